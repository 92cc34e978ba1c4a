import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { readCertificateDer, type CertificateFields } from './certificate-der';
import { DerError, derEnvelopeReason } from './der-reader';
import { certificateBlocks } from './pem';
import { describeSpki, loadSpki, spkiDerOf } from './public-key';

export class CertificateParseError extends Error {
  override readonly name = 'CertificateParseError';
}

/**
 * One certificate as the driver reports it: the reader's fields (CertificateFields, with the
 * SANs split by type and no version) plus the PEM, the DER and the public key's description.
 */
export interface CertificateInfo extends Omit<CertificateFields, 'version' | 'sans'> {
  pem: string;
  der: Buffer;
  uriSans: string[];
  dnsSans: string[];
  publicKeyAlgorithm: string;
  namedCurve?: string;
}

function describeCertificate(pem: string, der: Buffer, index: number): CertificateInfo {
  const envelope = derEnvelopeReason(der);
  if (envelope) throw new CertificateParseError(`certificate ${index}: ${envelope}`);
  try {
    const cert = readCertificateDer(der);
    const key = describeSpki(cert.spkiDer);
    const { version: _version, sans, ...fields } = cert;
    const info: CertificateInfo = {
      ...fields,
      pem,
      der,
      uriSans: sans.filter((s) => s.type === 'uri').map((s) => s.value),
      dnsSans: sans.filter((s) => s.type === 'dns').map((s) => s.value),
      publicKeyAlgorithm: key.algorithm,
    };
    if (key.namedCurve) info.namedCurve = key.namedCurve;
    return info;
  } catch (cause) {
    // Anything the walk throws is a malformed certificate, never a crash of the caller.
    const reason = cause instanceof DerError ? `: ${cause.message}` : '';
    throw new CertificateParseError(`certificate ${index} is malformed${reason}`, { cause });
  }
}

/** Parses every CERTIFICATE block, leaf first. Throws CertificateParseError if none or any is bad. */
export function parseCertificateChain(pem: string): CertificateInfo[] {
  let blocks;
  try {
    blocks = certificateBlocks(pem);
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
  const ours = spkiDerOf(key);
  // Issuers normally copy the CSR's SPKI verbatim: equal bytes need no key import.
  if (ours.length === spkiDer.length && timingSafeEqual(ours, spkiDer)) return true;
  const certKey = loadSpki(spkiDer);
  if (!certKey) return false;
  const theirs = spkiDerOf(certKey);
  return theirs.length === ours.length && timingSafeEqual(theirs, ours);
}
