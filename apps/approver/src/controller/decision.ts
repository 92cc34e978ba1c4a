import { getCondition, setCondition, type CertificateRequest } from '@spiffe-csi/kubernetes';
import type { PolicyDecision } from '../policy';

/** The condition reason the original approver writes; kept so tooling keyed on it still works. */
export const CONDITION_REASON = 'spiffe.csi.cert-manager.io';

/** Someone (us, another replica, an admin, cert-manager's approver) already decided. */
export function isDecided(cr: CertificateRequest): boolean {
  return getCondition(cr, 'Approved') !== undefined || getCondition(cr, 'Denied') !== undefined;
}

export function conditionMessage(decision: PolicyDecision): string {
  return decision.approved ? 'Approved request' : `Denied request: ${decision.reasons.join('; ')}`;
}

export function withDecision(
  cr: CertificateRequest,
  decision: PolicyDecision,
  now = new Date(),
): CertificateRequest {
  return setCondition(
    cr,
    {
      type: decision.approved ? 'Approved' : 'Denied',
      status: 'True',
      reason: CONDITION_REASON,
      message: conditionMessage(decision),
    },
    now,
  );
}
