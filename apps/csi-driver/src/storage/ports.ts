// The storage module's injection tokens: what the volume code asks Nest for (docs/module-contracts.md).
export const METADATA_STORE = Symbol('METADATA_STORE');
export const SVID_WRITER = Symbol('SVID_WRITER');
export const SVID_READER = Symbol('SVID_READER');
export const MOUNTER = Symbol('MOUNTER');
export const DATA_ROOT = Symbol('DATA_ROOT');
export { SCHEDULER } from '../scheduler/scheduler';
