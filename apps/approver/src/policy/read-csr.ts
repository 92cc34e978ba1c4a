import { CsrParseError, inspectCsr, type CsrInfo } from '@spiffe-csi/crypto';
import type { PolicyFailure } from './policy-types';

/** A CSR for one EC key is well under 2 KiB; anything this large is not ours. */
const MAX_REQUEST_BASE64_LENGTH = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const INVALID_CSR_REASON = 'spec.request is not a valid PEM certificate signing request';

/** spec.request (base64 of the PEM, as the API carries []byte) read strictly, or why not. */
export async function readCsr(
  request: unknown,
): Promise<{ csr?: CsrInfo; failures: PolicyFailure[] }> {
  const fail = (reason: string) => ({ failures: [{ rule: 'request' as const, reason }] });
  if (request === undefined || request === null || request === '')
    return fail('spec.request is missing');
  if (typeof request !== 'string') return fail(INVALID_CSR_REASON);
  if (request.length > MAX_REQUEST_BASE64_LENGTH) return fail('spec.request is too large');
  if (!BASE64.test(request)) return fail(INVALID_CSR_REASON);
  const pem = Buffer.from(request, 'base64').toString('utf8');
  try {
    return { csr: await inspectCsr(pem), failures: [] };
  } catch (err) {
    if (err instanceof CsrParseError) return fail(INVALID_CSR_REASON);
    throw err;
  }
}
