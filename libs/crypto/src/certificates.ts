// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs the Reflect polyfill.
import 'reflect-metadata';
import { timingSafeEqual, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { derEnvelopeReason } from './der-reader';
import { decodeSubjectAltNames } from './names';
import { OID } from './oids';
import { decodePemBlocks } from './pem';
import { describeSpki, loadSpki, spkiDerOf } from './public-key';

export class CertificateParseError extends Error {
  override readonly name = 'CertificateParseError';
}

export interface CertificateInfo {
  pem: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  uriSans: string[];
  dnsSans: string[];
  publicKeyAlgorithm: string;
  namedCurve?: string;
  /** Addition to the contract: SPKI DER, for key comparison without re-parsing. */
  spkiDer: Buffer;
}

function describeCertificate(pem: string, der: Buffer, index: number): CertificateInfo {
  const envelope = derEnvelopeReason(der);
  if (envelope) throw new CertificateParseError(`certificate ${index}: ${envelope}`);
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(new Uint8Array(der));
  } catch (cause) {
    throw new CertificateParseError(`certificate ${index} is malformed`, { cause });
  }
  try {
    const spkiDer = Buffer.from(cert.publicKey.rawData);
    const key = describeSpki(spkiDer);
    const san = cert.getExtension(OID.subjectAltName);
    const sans = san ? decodeSubjectAltNames(new Uint8Array(san.value)) : [];
    const basic = cert.getExtension<x509.BasicConstraintsExtension>(x509.BasicConstraintsExtension);
    const info: CertificateInfo = {
      pem,
      subject: cert.subject,
      issuer: cert.issuer,
      serialNumber: cert.serialNumber,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      isCA: basic?.ca ?? false,
      uriSans: sans.filter((s) => s.type === 'uri').map((s) => s.value),
      dnsSans: sans.filter((s) => s.type === 'dns').map((s) => s.value),
      publicKeyAlgorithm: key.algorithm,
      spkiDer,
    };
    if (key.namedCurve) info.namedCurve = key.namedCurve;
    return info;
  } catch (cause) {
    if (cause instanceof CertificateParseError) throw cause;
    throw new CertificateParseError(
      `certificate ${index} is malformed: ${(cause as Error).message ?? 'unknown error'}`,
      { cause },
    );
  }
}

/** Parses every CERTIFICATE block, leaf first. Throws CertificateParseError if none or any is bad. */
export function parseCertificateChain(pem: string): CertificateInfo[] {
  let blocks;
  try {
    blocks = decodePemBlocks(pem).filter((b) => b.label === 'CERTIFICATE');
  } catch (cause) {
    throw new CertificateParseError(`certificate PEM is malformed: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (blocks.length === 0) throw new CertificateParseError('no CERTIFICATE PEM block found');
  return blocks.map((b, i) => describeCertificate(b.pem, b.der, i));
}

/** True when the first certificate's public key is the public half of `privateKey`. */
export function publicKeyMatches(certPem: string, privateKey: KeyObject | string): boolean {
  try {
    const [leaf] = parseCertificateChain(certPem);
    return spkiEqual(leaf.spkiDer, privateKey);
  } catch {
    return false;
  }
}

/** Compares through OpenSSL's re-encoding so compressed and uncompressed EC points agree. */
export function spkiEqual(spkiDer: Buffer, key: KeyObject | string): boolean {
  const certKey = loadSpki(spkiDer);
  if (!certKey) return false;
  const a = spkiDerOf(certKey);
  const b = spkiDerOf(key);
  return a.length === b.length && timingSafeEqual(a, b);
}
