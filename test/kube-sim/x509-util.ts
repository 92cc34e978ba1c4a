import 'reflect-metadata'; // @peculiar/x509 pulls in tsyringe, which needs it loaded first
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { certificateSubject } from './x509-parts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export { x509 };

export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface CertificateAuthority {
  cert: x509.X509Certificate;
  certPem: string;
  privateKey: CryptoKey;
  keyPem: string;
  /** Derived once so that signing a request touches neither WebCrypto nor the ASN.1 library. */
  signing: {
    key: KeyObject;
    /** The CA's subject Name DER, copied verbatim as each certificate's issuer. */
    subject: Uint8Array;
    /** The CA's subjectKeyIdentifier, if it has one (the leaves' authorityKeyIdentifier). */
    keyId?: Buffer;
    notAfter: Date;
  };
}

function authority(cert: x509.X509Certificate, privateKey: CryptoKey, keyPem: string): CertificateAuthority {
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const signing = {
    key: KeyObject.from(privateKey), subject: certificateSubject(new Uint8Array(cert.rawData)), notAfter: cert.notAfter,
    ...(ski ? { keyId: Buffer.from(ski.keyId, 'hex') } : {}),
  };
  return { cert, certPem: cert.toString('pem') + '\n', privateKey, keyPem, signing };
}

/** A positive serial of 128 random bits, hex encoded. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return bytes.toString('hex');
}

export async function exportPkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

export async function importPkcs8Pem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  return webcrypto.subtle.importKey('pkcs8', der, EC_P256, true, ['sign']);
}

/** ECDSA P-256 self-signed CA (basicConstraints CA:true critical, keyCertSign + cRLSign). */
export async function createSelfSignedCa(commonName: string, validityDays = 3650): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(), name: `CN=${commonName}`, notBefore,
    notAfter: new Date(notBefore.getTime() + validityDays * 86_400_000), keys, signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return authority(cert, keys.privateKey, await exportPkcs8Pem(keys.privateKey));
}

export async function loadCa(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  return authority(new x509.X509Certificate(certPem), await importPkcs8Pem(keyPem), keyPem);
}

/** A TLS serving certificate for the loopback addresses, signed by `ca`. */
export async function issueServingCert(ca: CertificateAuthority, host: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    { type: 'dns', value: 'localhost' }, { type: 'dns', value: 'kubernetes.default.svc' },
    { type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' },
  ];
  if (/^[\d.]+$/.test(host) && host !== '127.0.0.1') names.push({ type: 'ip', value: host });
  else if (!/^[\d.:]+$/.test(host) && host !== 'localhost') names.push({ type: 'dns', value: host });
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(), subject: 'CN=kube-apiserver', issuer: ca.cert.subjectName, notBefore,
    notAfter: new Date(notBefore.getTime() + 365 * 86_400_000), publicKey: keys.publicKey, signingKey: ca.privateKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPkcs8Pem(keys.privateKey) };
}
