/**
 * The one gate an issued SVID passes before the driver writes or serves it: every X.509-SVID rule
 * of spiffe-checklists (B1–B17) on the chain, the key and the trust bundle. A refusal names the
 * rule, e.g. "B8: keyUsage lacks digitalSignature".
 */
import { SpiffeId, SpiffeIdError } from '@spiffe-csi/spiffe';
import { CertificateParseError, parseCertificateChain, type CertificateInfo } from './certificates';
import { chainViolation } from './svid-chain';
import { keyMatchViolation, readSvidKey } from './svid-key';
import { leafViolation, signingCertificateViolation, violation, type SvidViolation } from './svid-rules';

export type { SvidRule, SvidViolation } from './svid-rules';

export interface ValidateX509SvidInput {
  /** As issued: leaf first, then intermediates (and possibly the root). */
  chainPem: string;
  /** Unencrypted PKCS#8 PEM. */
  keyPem: string;
  /** The SPIFFE ID the SVID was requested for. */
  spiffeId: string;
  /** CA certificates of the ID's trust domain; empty when none is known (then no anchor is checked). */
  bundlePem?: string;
  /** The key's SPKI DER when already known: equal bytes in the leaf settle B16 at once. */
  spkiDer?: Buffer;
  now?: Date;
}

/** An SVID that passed every rule: the only input the files and the Workload API are built from. */
export interface ValidatedX509Svid {
  spiffeId: string;
  /** `spiffe://<trust domain>`. */
  trustDomainId: string;
  chainPem: string;
  keyPem: string;
  /** Leaf first; each entry's `der` is what the Workload API sends. */
  chain: CertificateInfo[];
  keyDer: Buffer;
  /** The trust bundle it was checked against; empty when none is known. */
  bundle: CertificateInfo[];
  bundlePem: string;
  notBefore: Date;
  notAfter: Date;
}

export type ValidateX509SvidResult =
  | { ok: true; svid: ValidatedX509Svid }
  | { ok: false; violation: SvidViolation; message: string };

function refused(v: SvidViolation): ValidateX509SvidResult {
  return { ok: false, violation: v, message: `${v.rule}: ${v.reason}` };
}

function parsed(pem: string, what: string, rule: 'B12' | 'B14'): CertificateInfo[] | SvidViolation {
  try {
    return parseCertificateChain(pem);
  } catch (error) {
    if (!(error instanceof CertificateParseError)) throw error;
    return violation(rule, `the ${what} is unreadable: ${error.message}`);
  }
}

const isViolation = (v: object): v is SvidViolation => 'rule' in v;

/** Checks every rule; never throws for bad input. */
export function validateX509Svid(input: ValidateX509SvidInput): ValidateX509SvidResult {
  let expected: SpiffeId;
  try {
    expected = SpiffeId.parse(input.spiffeId);
  } catch (error) {
    if (!(error instanceof SpiffeIdError)) throw error;
    return refused(violation('B1', `the expected SPIFFE ID is invalid: ${error.message}`));
  }
  const chain = parsed(input.chainPem, 'certificate chain', 'B12');
  if (isViolation(chain)) return refused(chain);
  const bundle = input.bundlePem?.trim() ? parsed(input.bundlePem, 'trust bundle', 'B14') : [];
  if (isViolation(bundle)) return refused(bundle);
  const key = readSvidKey(input.keyPem);
  if (isViolation(key)) return refused(key);

  const leaf = chain[0];
  const problem = keyMatchViolation(leaf, key.key, input.spkiDer) ?? leafViolation(leaf, expected) ??
    chain.slice(1).reduce<SvidViolation | undefined>(
      (found, cert, i) => found ?? signingCertificateViolation(cert, i + 1, expected.trustDomain), undefined) ??
    chainViolation(chain, bundle, input.now ?? new Date());
  if (problem) return refused(problem);
  return {
    ok: true,
    svid: {
      spiffeId: expected.toString(),
      trustDomainId: `spiffe://${expected.trustDomain}`,
      chainPem: input.chainPem,
      keyPem: input.keyPem,
      chain,
      keyDer: key.der,
      bundle,
      bundlePem: bundle.length ? input.bundlePem! : '',
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    },
  };
}
