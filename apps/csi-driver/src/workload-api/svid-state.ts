import { X509Certificate, createPrivateKey } from 'node:crypto';
import { decodePemBlocks } from '@spiffe-csi/crypto';

/**
 * What one volume's Workload API serves: one X.509-SVID and its trust domain's bundle, as DER.
 * Built from the same PEM the volume's files hold, so the files and the API always agree.
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

/** Longest chain we follow from the leaf to a bundle certificate (leaf + intermediates). */
const MAX_CHAIN = 8;

export function buildSvidState(input: SvidStateInput): SvidStateResult {
  let chain: X509Certificate[];
  let bundle: X509Certificate[];
  let keyDer: Buffer;
  let trustDomain: string;
  try {
    chain = certificates(input.chainPem);
    bundle = certificates(input.bundlePem);
    keyDer = createPrivateKey(input.keyPem).export({ format: 'der', type: 'pkcs8' });
    trustDomain = new URL(input.spiffeId).host;
  } catch (error) {
    return { ok: false, reason: `unreadable SVID or bundle: ${(error as Error).message}` };
  }
  if (chain.length === 0) return { ok: false, reason: 'the certificate file holds no certificate' };
  if (bundle.length === 0) return { ok: false, reason: 'no trust bundle is known for this volume' };
  const unverified = chainProblem(chain, bundle);
  if (unverified) return { ok: false, reason: unverified };
  return {
    ok: true,
    state: {
      spiffeId: input.spiffeId,
      trustDomainId: `spiffe://${trustDomain}`,
      chainDer: chain.map((c) => c.raw),
      keyDer,
      bundleDer: bundle.map((c) => c.raw),
    },
  };
}

/** Two states serve the same bytes (a republish or an unchanged CA must not push a message). */
export function sameSvidState(a: X509SvidState | undefined, b: X509SvidState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.spiffeId === b.spiffeId && a.keyDer.equals(b.keyDer) &&
    Buffer.concat(a.chainDer).equals(Buffer.concat(b.chainDer)) &&
    Buffer.concat(a.bundleDer).equals(Buffer.concat(b.bundleDer));
}

/**
 * The SVID must verify against the bundle served with it: a client validates the one with the
 * other, so a pair that does not verify would only make every client fail its handshakes.
 */
function chainProblem(chain: X509Certificate[], bundle: X509Certificate[]): string | undefined {
  const now = new Date();
  let current = chain[0];
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (new Date(current.validTo) < now) return `certificate ${current.subject || '(empty subject)'} has expired`;
    const anchor = bundle.find((ca) => signedBy(current, ca));
    if (anchor) return undefined;
    const next = chain.slice(1).find((c) => c !== current && signedBy(current, c));
    if (!next) return 'the SVID chain does not verify against the trust bundle served with it';
    current = next;
  }
  return `the SVID chain is longer than ${MAX_CHAIN} certificates`;
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

function certificates(pem: string): X509Certificate[] {
  return decodePemBlocks(pem).filter((b) => b.label === 'CERTIFICATE').map((b) => new X509Certificate(b.der));
}
