import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** How the test CA should (mis)behave when signing: the bad certificates verify must refuse. */
export type Tamper = 'none' | 'other-key' | 'wrong-uri' | 'ca-cert' | 'no-digital-signature';

/** A throwaway CA for tests: signs CSRs the way cert-manager's CA issuer would. */
export class TestCa {
  private constructor(
    private readonly keys: CryptoKeyPair,
    readonly certificate: x509.X509Certificate,
  ) {}

  static async create(): Promise<TestCa> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=test-ca',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 24 * 3600_000),
      keys,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      ],
    });
    return new TestCa(keys, certificate);
  }

  get pem(): string {
    return this.certificate.toString('pem');
  }

  /** Signs the CSR (PEM) for `durationMs`; returns leaf + CA PEM, leaf first. */
  async sign(csrPem: string, durationMs: number, tamper: Tamper = 'none'): Promise<string> {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    // By OID: the class lookup fails when two copies of @peculiar/x509 are loaded.
    const san = csr.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension | null;
    const uris = san?.names.items.filter((n) => n.type === 'url').map((n) => n.value) ?? [];
    const uri = tamper === 'wrong-uri' ? 'spiffe://cluster.local/ns/other/sa/intruder' : uris[0];
    const publicKey = tamper === 'other-key'
      ? ((await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair).publicKey
      : await csr.publicKey.export();
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: Date.now().toString(16) + Math.floor(Math.random() * 1e6).toString(16),
      subject: '', // SPIFFE leaves have an empty subject and a critical SAN
      issuer: this.certificate.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + durationMs),
      publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: EC,
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], true),
        new x509.BasicConstraintsExtension(tamper === 'ca-cert', undefined, true),
        new x509.KeyUsagesExtension(
          tamper === 'no-digital-signature' ? x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature, true),
      ],
    });
    return `${leaf.toString('pem')}\n${this.pem}\n`;
  }
}
