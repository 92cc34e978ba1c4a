/** The NIST curves the driver's ECDSA keys use, by their JOSE / WebCrypto names. */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';
