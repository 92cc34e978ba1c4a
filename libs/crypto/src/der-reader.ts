/**
 * A small strict DER reader for the hot path (the approver inspects every CSR). It reads only
 * definite, minimally encoded lengths within bounds and never recurses on its own, so hostile
 * input costs linear time and constant stack. Schema-driven ASN.1 libraries were an order of
 * magnitude slower here and accept BER forms and trailing data.
 */

export class DerError extends Error {
  override readonly name = 'DerError';
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  numericString: 0x12,
  printableString: 0x13,
  t61String: 0x14,
  ia5String: 0x16,
  visibleString: 0x1a,
  universalString: 0x1c,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const;

export interface Tlv {
  tag: number;
  /** Offset of the tag byte: `buf.subarray(headerStart, end)` is the whole encoding. */
  headerStart: number;
  /** Offset of the contents. */
  start: number;
  end: number;
}

export class DerReader {
  private pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** A reader over the contents of `tlv`. */
  static of(buf: Uint8Array, tlv: Tlv): DerReader {
    return new DerReader(buf, tlv.start, tlv.end);
  }

  hasMore(): boolean {
    return this.pos < this.end;
  }

  peekTag(): number | undefined {
    return this.hasMore() ? this.buf[this.pos] : undefined;
  }

  read(expectedTag?: number, what = 'element'): Tlv {
    const headerStart = this.pos;
    if (headerStart + 2 > this.end) throw new DerError(`${what} is truncated`);
    const tag = this.buf[headerStart];
    if ((tag & 0x1f) === 0x1f) throw new DerError(`${what} uses a high tag number`);
    if (expectedTag !== undefined && tag !== expectedTag) {
      throw new DerError(
        `${what} has tag 0x${tag.toString(16)}, expected 0x${expectedTag.toString(16)}`,
      );
    }
    let length = this.buf[headerStart + 1];
    let start = headerStart + 2;
    if (length >= 0x80) {
      const octets = length & 0x7f;
      if (octets === 0) throw new DerError(`${what} uses an indefinite length`);
      if (octets > 4) throw new DerError(`${what} length is too large`);
      if (start + octets > this.end) throw new DerError(`${what} is truncated`);
      if (this.buf[start] === 0) throw new DerError(`${what} length is not minimally encoded`);
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + this.buf[start + i];
      if (length < 0x80) throw new DerError(`${what} length is not minimally encoded`);
      start += octets;
    }
    const end = start + length;
    if (end > this.end) throw new DerError(`${what} is truncated`);
    this.pos = end;
    return { tag, headerStart, start, end };
  }

  /** Reads the next element only if it has `tag`. */
  readOptional(tag: number, what?: string): Tlv | undefined {
    return this.peekTag() === tag ? this.read(tag, what) : undefined;
  }

  /** Asserts that a SEQUENCE or SET has no elements left. */
  done(what: string): void {
    if (this.hasMore()) throw new DerError(`${what} has unexpected trailing elements`);
  }

  contents(tlv: Tlv): Uint8Array {
    return this.buf.subarray(tlv.start, tlv.end);
  }

  encoding(tlv: Tlv): Uint8Array {
    return this.buf.subarray(tlv.headerStart, tlv.end);
  }
}

export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('OID is empty');
  if ((bytes[bytes.length - 1] & 0x80) !== 0) throw new DerError('OID is truncated');
  const arcs: number[] = [];
  let value = 0;
  let first = true;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (value === 0 && byte === 0x80) throw new DerError('OID is not minimally encoded');
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc is too large');
    if ((byte & 0x80) !== 0) continue;
    if (first) {
      const top = value < 40 ? 0 : value < 80 ? 1 : 2;
      arcs.push(top, value - top * 40);
      first = false;
    } else {
      arcs.push(value);
    }
    value = 0;
  }
  return arcs.join('.');
}

export function decodeBoolean(bytes: Uint8Array): boolean {
  if (bytes.length !== 1 || (bytes[0] !== 0 && bytes[0] !== 0xff)) {
    throw new DerError('BOOLEAN is not DER');
  }
  return bytes[0] === 0xff;
}

/** A non-negative INTEGER that fits a JS number (versions, path lengths, salt lengths). */
export function decodeSmallUnsigned(bytes: Uint8Array): number {
  if (bytes.length === 0 || bytes.length > 6) throw new DerError('INTEGER is out of range');
  if ((bytes[0] & 0x80) !== 0) throw new DerError('INTEGER is negative');
  if (bytes.length > 1 && bytes[0] === 0 && (bytes[1] & 0x80) === 0) {
    throw new DerError('INTEGER is not minimally encoded');
  }
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}

/** Bit length of a positive INTEGER (an RSA modulus). */
export function unsignedBitLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]));
}

/** BIT STRING contents → the bit bytes; unused trailing bits must be zero in DER. */
export function decodeBitString(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) throw new DerError('BIT STRING is empty');
  const unused = bytes[0];
  if (unused > 7 || (bytes.length === 1 && unused !== 0))
    throw new DerError('BIT STRING is malformed');
  if (unused > 0 && (bytes[bytes.length - 1] & ((1 << unused) - 1)) !== 0) {
    throw new DerError('BIT STRING has non-zero padding bits');
  }
  return bytes.subarray(1);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

/** Decodes the directory/IA5 string types; other types come back as `#<hex>` (RFC 4514 style). */
export function decodeString(tag: number, bytes: Uint8Array): string {
  switch (tag) {
    case TAG.utf8String:
      try {
        return utf8.decode(bytes);
      } catch {
        throw new DerError('UTF8String is not valid UTF-8');
      }
    case TAG.printableString:
    case TAG.ia5String:
    case TAG.numericString:
    case TAG.visibleString:
      for (const byte of bytes) if (byte > 0x7f) throw new DerError('string is not ASCII');
      return Buffer.from(bytes).toString('latin1');
    case TAG.t61String:
      return Buffer.from(bytes).toString('latin1');
    case TAG.bmpString:
      try {
        return utf16be.decode(bytes);
      } catch {
        throw new DerError('BMPString is malformed');
      }
    case TAG.universalString: {
      if (bytes.length % 4 !== 0) throw new DerError('UniversalString is malformed');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let out = '';
      for (let i = 0; i < bytes.length; i += 4) {
        const codePoint = view.getUint32(i);
        if (codePoint > 0x10ffff) throw new DerError('UniversalString is malformed');
        out += String.fromCodePoint(codePoint);
      }
      return out;
    }
    default:
      return `#${Buffer.from(bytes).toString('hex')}`;
  }
}

/** Reason `der` is not exactly one definite-length, minimally encoded SEQUENCE, or null. */
export function derEnvelopeReason(der: Uint8Array): string | null {
  if (der.length > 0 && der[0] !== TAG.sequence) return 'DER does not start with a SEQUENCE';
  try {
    const r = new DerReader(der);
    r.read(TAG.sequence, 'DER');
    return r.hasMore() ? 'DER has trailing data' : null;
  } catch (error) {
    return (error as Error).message;
  }
}
