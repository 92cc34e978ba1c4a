/** Volume-context keys kubelet sets for inline ephemeral CSI volumes (podInfoOnMount + tokenRequests). */
export const CONTEXT_EPHEMERAL = 'csi.storage.k8s.io/ephemeral';
export const CONTEXT_POD_NAME = 'csi.storage.k8s.io/pod.name';
export const CONTEXT_POD_NAMESPACE = 'csi.storage.k8s.io/pod.namespace';
export const CONTEXT_POD_UID = 'csi.storage.k8s.io/pod.uid';
export const CONTEXT_SERVICE_ACCOUNT_NAME = 'csi.storage.k8s.io/serviceAccount.name';
export const CONTEXT_SERVICE_ACCOUNT_TOKENS = 'csi.storage.k8s.io/serviceAccount.tokens';

/** The driver's own volume attribute (same key as the Go original). */
export const ATTRIBUTE_FS_GROUP = 'spiffe.csi.cert-manager.io/fs-group';

/** "false" keeps this volume's Workload API socket away (files only). */
export const ATTRIBUTE_WORKLOAD_API = 'spiffe.csi.cert-manager.io/workload-api';

/** Placeholder written into logs in place of the token map: the one the logger uses everywhere. */
export { REDACTED } from '@spiffe-csi/config';
