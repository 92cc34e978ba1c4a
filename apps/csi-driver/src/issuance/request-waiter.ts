import type { CertificateRequest, CertificateRequestGateway } from './ports';
import { classifyRequest, isApproved, type RequestOutcome } from './request-outcome';

export type WaitResult = Exclude<RequestOutcome, { state: 'pending' }> | { state: 'timeout'; lastReason: string };

// Pause before re-reading after a dropped watch, so a flapping API server is not hammered.
const REWATCH_DELAY_MS = 250;

/**
 * Waits for `initial` (as returned by create or get) to reach a final state, with a watch on that
 * one request rather than polling. A dropped watch is resumed from a fresh read.
 */
export function waitForRequestOutcome(
  gateway: CertificateRequestGateway,
  initial: CertificateRequest,
  timeoutMs: number,
  /** Called once, when the request is first seen Approved and not yet final (phase timing). */
  onApproved?: () => void,
): Promise<WaitResult> {
  const namespace = initial.metadata.namespace!;
  const name = initial.metadata.name!;
  return new Promise<WaitResult>((resolve) => {
    let lastReason = 'not yet approved';
    let stopWatch: (() => void) | undefined;
    let rewatchTimer: NodeJS.Timeout | undefined;
    let done = false;
    let approvedSeen = false;

    const finish = (result: WaitResult) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(rewatchTimer);
      stopWatch?.();
      resolve(result);
    };
    const consider = (request: CertificateRequest): boolean => {
      const outcome = classifyRequest(request);
      if (outcome.state === 'pending') {
        lastReason = outcome.reason;
        if (!approvedSeen && isApproved(request)) {
          approvedSeen = true;
          onApproved?.();
        }
        return false;
      }
      finish(outcome);
      return true;
    };
    const watchFrom = (request: CertificateRequest) => {
      if (done || consider(request)) return;
      stopWatch = gateway.watch(namespace, name, (event) => {
        if (done) return;
        if (event.type === 'changed') consider(event.request);
        else if (event.type === 'deleted') finish({ state: 'failed', message: 'the request was deleted' });
        else rewatchTimer = setTimeout(reread, REWATCH_DELAY_MS);
      });
    };
    const reread = () => {
      stopWatch?.();
      stopWatch = undefined;
      gateway.get(namespace, name).then(
        (current) => (current ? watchFrom(current) : finish({ state: 'failed', message: 'the request was deleted' })),
        (error: Error) => {
          lastReason = `reading the request failed: ${error.message}`;
          if (!done) rewatchTimer = setTimeout(reread, REWATCH_DELAY_MS);
        },
      );
    };
    const deadline = setTimeout(() => finish({ state: 'timeout', lastReason }), timeoutMs);
    watchFrom(initial);
  });
}
