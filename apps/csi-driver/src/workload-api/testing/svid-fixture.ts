import 'reflect-metadata'; // @peculiar/x509's DI container needs it loaded first
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface SvidFixture {
  spiffeId: string;
  caPem: string;
  chainPem: string; // leaf first, then the CA
  keyPem: string; // PKCS#8
}

/** A CA made with @peculiar/x509 (not our libs/crypto), able to sign fresh SVIDs for tests. */
export class FixtureCa {
  private constructor(private readonly keys: webcrypto.CryptoKeyPair, readonly cert: x509.X509Certificate) {}

  static async create(name = 'CN=workload-test-ca'): Promise<FixtureCa> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01', name, keys, signingAlgorithm: EC,
      notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3600_000),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    return new FixtureCa(keys, cert);
  }

  get pem(): string {
    return this.cert.toString('pem');
  }

  async issue(spiffeId: string): Promise<SvidFixture> {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: Math.floor(Math.random() * 1e9).toString(16), subject: '', issuer: this.cert.subject,
      notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 600_000),
      publicKey: keys.publicKey, signingKey: this.keys.privateKey, signingAlgorithm: EC,
      // An SVID that meets the X.509-SVID rules (B1–B17), as cert-manager's CA issuer makes them.
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true),
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
    return { spiffeId, caPem: this.pem, chainPem: `${leaf.toString('pem')}\n${this.pem}\n`, keyPem };
  }
}
