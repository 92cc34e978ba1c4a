import { isRecord } from './describe';
import { evaluate } from './evaluate';
import { evaluateNonSpiffe } from './non-spiffe';
import type { PolicyDecision, PolicyOptions } from './policy-types';

/** The annotation the driver puts on every request it makes (go-original.md 1.5 step 7). */
export const IDENTITY_ANNOTATION = 'spiffe.csi.cert-manager.io/identity';

export interface DecideOptions extends PolicyOptions {
  autoApproveNonSpiffe?: boolean;
}

/**
 * Which requests the approver decides: without auto-approve, only those for our issuer, all by
 * the SPIFFE policy (an unannotated one fails it). With auto-approve, every undecided request:
 * a SPIFFE request (the driver's annotation, for our issuer) by the SPIFFE policy, any other by
 * evaluateNonSpiffe.
 */
export function isDecidedByUs(targetsOurIssuer: boolean, options: DecideOptions): boolean {
  return targetsOurIssuer || options.autoApproveNonSpiffe === true;
}

export function decide(
  cr: unknown,
  targetsOurIssuer: boolean,
  options: DecideOptions,
): Promise<PolicyDecision> {
  if (!options.autoApproveNonSpiffe || (targetsOurIssuer && hasIdentityAnnotation(cr))) {
    return evaluate(cr, options);
  }
  return evaluateNonSpiffe(cr, targetsOurIssuer);
}

function hasIdentityAnnotation(cr: unknown): boolean {
  const metadata = isRecord(cr) && isRecord(cr.metadata) ? cr.metadata : {};
  return isRecord(metadata.annotations) && IDENTITY_ANNOTATION in metadata.annotations;
}
