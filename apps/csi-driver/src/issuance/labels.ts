// Names the driver stamps on every CertificateRequest it creates. The hash labels let the driver
// select "my node's / my volume's requests" with a label selector even though node and volume ids
// are not label-safe (csi-lib uses the same 32-bit FNV-1a, decimal).
export const IDENTITY_ANNOTATION = 'spiffe.csi.cert-manager.io/identity';
export const NODE_ID_HASH_LABEL = 'csi.cert-manager.io/node-id-hash';
export const VOLUME_ID_HASH_LABEL = 'csi.cert-manager.io/volume-id-hash';
export const NODE_LABEL = 'spiffe.csi.cert-manager.io/node';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a of the UTF-8 bytes, as an unsigned decimal string. */
export function fnv1a32(value: string): string {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of Buffer.from(value, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return String(hash >>> 0);
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True when `value` may be used as a Kubernetes label value (≤ 63 chars, alphanumeric ends). */
export function isLabelSafe(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

export function nodeSelector(nodeId: string): string {
  return `${NODE_ID_HASH_LABEL}=${fnv1a32(nodeId)}`;
}

export function volumeSelector(nodeId: string, volumeId: string): string {
  return `${nodeSelector(nodeId)},${VOLUME_ID_HASH_LABEL}=${fnv1a32(volumeId)}`;
}
