import { validateX509Svid, type ValidatedX509Svid } from '@spiffe-csi/crypto';

/**
 * What one volume's Workload API serves: one X.509-SVID and its trust domain's bundle, as DER.
 * Built only from a ValidatedX509Svid, the same value the volume's files were written from.
 */
export interface X509SvidState {
  spiffeId: string;
  /** `spiffe://<trust domain>`: the key of the bundles map. */
  trustDomainId: string;
  /** Leaf first. */
  chainDer: Buffer[];
  /** Unencrypted PKCS#8. */
  keyDer: Buffer;
  bundleDer: Buffer[];
}

export interface SvidStateInput {
  spiffeId: string;
  chainPem: string;
  keyPem: string;
  bundlePem: string;
}

/** A state that may be served, or why not. */
export type SvidStateResult = { ok: true; state: X509SvidState } | { ok: false; reason: string };

/**
 * The state for an SVID that passed the rules. Serving needs a bundle as well: a client validates
 * the SVID with the bundle it gets beside it, and without one every handshake would fail.
 */
export function svidState(svid: ValidatedX509Svid): SvidStateResult {
  if (svid.bundle.length === 0) return { ok: false, reason: 'no trust bundle is known for this volume' };
  const [keyDer, ...ders] = compact([svid.keyDer, ...svid.chain.map((c) => c.der), ...svid.bundle.map((c) => c.der)]);
  return {
    ok: true,
    state: {
      spiffeId: svid.spiffeId,
      trustDomainId: svid.trustDomainId,
      keyDer,
      chainDer: ders.slice(0, svid.chain.length),
      bundleDer: ders.slice(svid.chain.length),
    },
  };
}

/**
 * Copies of `parts`, all in one right-sized memory block of their own. The parsed DER values are
 * views into Node's shared 8 KB Buffer pool slabs, and a state lives as long as its volume: kept
 * as they were, 1,000 volumes held ~10 KB of slabs each for ~1.5 KB of certificates and key.
 */
function compact(parts: Buffer[]): Buffer[] {
  const block = Buffer.allocUnsafeSlow(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  return parts.map((part) => {
    part.copy(block, offset);
    offset += part.length;
    return block.subarray(offset - part.length, offset);
  });
}

/**
 * For what was not just validated by issuance (files read back after a restart, or a new trust
 * bundle): the same rules (B1–B17), then the state.
 */
export function buildSvidState(input: SvidStateInput): SvidStateResult {
  if (!input.bundlePem.trim()) return { ok: false, reason: 'no trust bundle is known for this volume' };
  const checked = validateX509Svid(input);
  return checked.ok ? svidState(checked.svid) : { ok: false, reason: checked.message };
}

/** Two states serve the same bytes (a republish or an unchanged CA must not push a message). */
export function sameSvidState(a: X509SvidState | undefined, b: X509SvidState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.spiffeId === b.spiffeId && a.keyDer.equals(b.keyDer) &&
    Buffer.concat(a.chainDer).equals(Buffer.concat(b.chainDer)) &&
    Buffer.concat(a.bundleDer).equals(Buffer.concat(b.bundleDer));
}
