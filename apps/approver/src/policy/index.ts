export { evaluate } from './evaluate';
export { INVALID_CSR_REASON } from './read-csr';
export { decide, isDecidedByUs, IDENTITY_ANNOTATION, type DecideOptions } from './decide';
export { SPIFFE_ISSUER_REASON, SPIFFE_URI_SAN_REASON, UNREADABLE_CSR_REASON } from './non-spiffe';
export { REQUIRED_USAGES } from './spec-checks';
export * from './policy-types';
