export { evaluate, INVALID_CSR_REASON } from './evaluate';
export { REQUIRED_USAGES } from './spec-checks';
export * from './policy-types';
