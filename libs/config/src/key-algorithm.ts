// Stand-in for @spiffe-csi/crypto's KeyAlgorithm / KEY_ALGORITHMS until that library lands;
// then re-export from there instead.
export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521'];
