/**
 * Minimal DER envelope check. The ASN.1 schema parser accepts trailing bytes after the outer
 * SEQUENCE and BER length forms; a CSR or certificate must be exactly one DER SEQUENCE.
 */
const SEQUENCE_TAG = 0x30;

/** Reason `der` is not exactly one definite-length, minimally encoded SEQUENCE, or null. */
export function derEnvelopeReason(der: Uint8Array): string | null {
  if (der.length < 2) return 'DER is truncated';
  if (der[0] !== SEQUENCE_TAG) return 'DER does not start with a SEQUENCE';
  const first = der[1];
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const octets = first & 0x7f;
    if (octets === 0) return 'DER uses an indefinite length';
    if (octets > 4) return 'DER length is too large';
    if (der.length < 2 + octets) return 'DER is truncated';
    if (der[2] === 0) return 'DER length is not minimally encoded';
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[2 + i];
    if (length < 0x80) return 'DER length is not minimally encoded';
    header = 2 + octets;
  }
  if (header + length > der.length) return 'DER is truncated';
  if (header + length < der.length) return 'DER has trailing data';
  return null;
}
