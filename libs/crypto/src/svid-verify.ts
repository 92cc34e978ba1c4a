import type { KeyObject } from 'node:crypto';
import { parseCertificateChain, spkiEqual, type CertificateInfo } from './certificates';

export interface VerifyIssuedSvidOptions {
  chainPem: string;
  privateKey: KeyObject;
  /** The key's SPKI DER when already known: equal bytes in the leaf settle the key check at once. */
  spkiDer?: Buffer;
  spiffeId: string;
  now?: Date;
}

export type VerifyIssuedSvidResult =
  { ok: true; leaf: CertificateInfo; chain: CertificateInfo[] } | { ok: false; reason: string };

/** Reason the leaf cannot be served for `spiffeId` with `privateKey` at `now`, or null. */
function leafReason(leaf: CertificateInfo, o: VerifyIssuedSvidOptions, now: Date): string | null {
  const sameBytes = o.spkiDer !== undefined && o.spkiDer.equals(leaf.spkiDer);
  if (!sameBytes && !spkiEqual(leaf.spkiDer, o.privateKey)) {
    return 'leaf certificate public key does not match the private key';
  }
  if (leaf.uriSans.length !== 1) {
    return `leaf certificate must have exactly one URI SAN, found ${leaf.uriSans.length}`;
  }
  if (leaf.uriSans[0] !== o.spiffeId) {
    return `leaf certificate URI SAN ${JSON.stringify(leaf.uriSans[0])} does not equal ${o.spiffeId}`;
  }
  if (leaf.isCA) return 'leaf certificate is a CA certificate';
  if (now < leaf.notBefore)
    return `leaf certificate is not valid before ${leaf.notBefore.toISOString()}`;
  if (now > leaf.notAfter) return `leaf certificate expired at ${leaf.notAfter.toISOString()}`;
  return null;
}

/**
 * The checks the driver makes before mounting an issued SVID: leaf key is our key, exactly one
 * URI SAN equal to the SPIFFE ID, leaf is not a CA, leaf valid at `now`. Never throws.
 */
export function verifyIssuedSvid(o: VerifyIssuedSvidOptions): VerifyIssuedSvidResult {
  let chain: CertificateInfo[];
  try {
    chain = parseCertificateChain(o.chainPem);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  const leaf = chain[0];
  let reason: string | null;
  try {
    reason = leafReason(leaf, o, o.now ?? new Date());
  } catch (error) {
    reason = `cannot compare keys: ${(error as Error).message}`;
  }
  return reason ? { ok: false, reason } : { ok: true, leaf, chain };
}
