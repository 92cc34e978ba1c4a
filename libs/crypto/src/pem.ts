/**
 * Strict, linear-time PEM decoding. A line-based state machine instead of a regular expression,
 * because PEM arrives from untrusted CertificateRequests and a backtracking pattern over many
 * unterminated BEGIN lines would be quadratic.
 */

export class PemError extends Error {
  override readonly name = 'PemError';
}

export interface PemBlock {
  label: string;
  der: Buffer;
  /** Canonical re-encoding (64-column base64, trailing newline). */
  pem: string;
}

export interface PemDecodeOptions {
  /** Reject any non-blank text before, between or after blocks. */
  strictOutside?: boolean;
  /** Reject input longer than this many characters. */
  maxLength?: number;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9]+(?: [A-Z0-9]+)*$/;
const BASE64_LINE = /^[A-Za-z0-9+/=]*$/;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function decodeBody(label: string, body: string): Buffer {
  if (body.length === 0) throw new PemError(`PEM block ${label} is empty`);
  if (body.length % 4 !== 0 || !BASE64_BODY.test(body)) {
    throw new PemError(`PEM block ${label} has truncated or malformed base64`);
  }
  const der = Buffer.from(body, 'base64');
  // Non-canonical base64 (stray bits in the final quantum) is a sign of corruption.
  if (der.toString('base64') !== body) {
    throw new PemError(`PEM block ${label} has malformed base64`);
  }
  return der;
}

function beginLabel(line: string): string | null {
  if (!line.startsWith(BEGIN) || !line.endsWith(DASHES) || line.length < BEGIN.length + 6) {
    return null;
  }
  return line.slice(BEGIN.length, -DASHES.length);
}

export function decodePemBlocks(text: string, options: PemDecodeOptions = {}): PemBlock[] {
  if (typeof text !== 'string') throw new PemError('PEM input is not a string');
  if (options.maxLength !== undefined && text.length > options.maxLength) {
    throw new PemError(`PEM input is longer than ${options.maxLength} characters`);
  }
  const blocks: PemBlock[] = [];
  let label: string | null = null;
  let body: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (label === null) {
      const begun = beginLabel(line);
      if (begun !== null) {
        if (!LABEL.test(begun)) throw new PemError('PEM block has an invalid label');
        label = begun;
        body = [];
      } else if (line !== '' && options.strictOutside) {
        throw new PemError('unexpected text outside a PEM block');
      }
      continue;
    }
    if (line.startsWith(END)) {
      if (line !== `${END}${label}${DASHES}`) {
        throw new PemError(`PEM block ${label} has a mismatched END line`);
      }
      const der = decodeBody(label, body.join(''));
      blocks.push({ label, der, pem: encodePem(label, der) });
      label = null;
      continue;
    }
    if (line.startsWith(BEGIN)) throw new PemError(`PEM block ${label} is not terminated`);
    if (!BASE64_LINE.test(line)) {
      throw new PemError(`PEM block ${label} contains headers or non-base64 text`);
    }
    body.push(line);
  }
  if (label !== null) throw new PemError(`PEM block ${label} is not terminated`);
  return blocks;
}

/** The CERTIFICATE blocks of a PEM text, in order; other blocks are ignored. Throws PemError. */
export function certificateBlocks(pem: string): PemBlock[] {
  return decodePemBlocks(pem).filter((b) => b.label === 'CERTIFICATE');
}

/** The CERTIFICATE blocks of a chain, in order, canonically re-encoded. Other text is ignored. */
export function splitPemChain(pem: string): string[] {
  return certificateBlocks(pem).map((b) => b.pem);
}
