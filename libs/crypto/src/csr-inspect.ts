import { AsnConvert, type IAsnParseOptions } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import {
  BasicConstraints,
  ExtendedKeyUsage,
  Extensions,
  KeyUsage,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import { derEnvelopeReason } from './der';
import {
  decodeSubjectAltNames,
  describeName,
  type NameAttribute,
  type SubjectAltName,
} from './names';
import { OID } from './oids';
import { decodePemBlocks } from './pem';
import { describePublicKey, loadSpki, type PublicKeyDescription } from './public-key';
import { verifySignature } from './signature';

export class CsrParseError extends Error {
  override readonly name = 'CsrParseError';
}

export interface CsrInfo {
  publicKey: PublicKeyDescription;
  subject: NameAttribute[];
  sans: SubjectAltName[];
  extensions: { oid: string; critical: boolean }[];
  keyUsage?: { critical: boolean; usages: string[] };
  extendedKeyUsage?: string[];
  /** Addition to the contract: present when the CSR requests basicConstraints. */
  basicConstraints?: { critical: boolean; ca: boolean; pathLength?: number };
  signatureValid: boolean;
}

/** Real CSRs are 0.5–3 KiB; the cap bounds the work a hostile request can cause. */
export const MAX_CSR_PEM_LENGTH = 64 * 1024;

// asn1js limits for untrusted input: CSRs are shallow and small.
const PARSE_OPTIONS: IAsnParseOptions = {
  berOptions: { maxDepth: 32, maxNodes: 4096, maxContentLength: MAX_CSR_PEM_LENGTH },
};

/** RFC 5280 bit order (bit 0 = most significant bit of the first byte). */
const KEY_USAGE_NAMES = [
  'digitalSignature',
  'contentCommitment',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

function keyUsageNames(usage: KeyUsage): string[] {
  const bytes = new Uint8Array(usage.value);
  return KEY_USAGE_NAMES.filter((_, bit) => {
    const byte = bytes[bit >> 3] ?? 0;
    return (byte & (0x80 >> (bit & 7))) !== 0;
  });
}

// The schema layer converts any primitive to a string, so an INTEGER would pass as an "OID".
const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

function readExtendedKeyUsage(value: ArrayBuffer): string[] {
  const usages = Array.from(parse(value, ExtendedKeyUsage, 'extended key usage'), String);
  if (!usages.every((oid) => DOTTED_OID.test(oid))) {
    throw new CsrParseError('CSR extended key usage is malformed');
  }
  return usages;
}

function parse<T>(data: ArrayBuffer, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(data, type, PARSE_OPTIONS);
  } catch (cause) {
    throw new CsrParseError(`CSR ${what} is malformed`, { cause });
  }
}

function decodeDer(pem: string): Buffer {
  let blocks;
  try {
    blocks = decodePemBlocks(pem, { strictOutside: true, maxLength: MAX_CSR_PEM_LENGTH });
  } catch (cause) {
    throw new CsrParseError(`CSR PEM is malformed: ${(cause as Error).message}`, { cause });
  }
  if (blocks.length !== 1) {
    throw new CsrParseError(`expected exactly one PEM block, found ${blocks.length}`);
  }
  if (blocks[0].label !== 'CERTIFICATE REQUEST') {
    throw new CsrParseError('PEM block is not a CERTIFICATE REQUEST');
  }
  const reason = derEnvelopeReason(blocks[0].der);
  if (reason) throw new CsrParseError(`CSR is not valid DER: ${reason}`);
  return blocks[0].der;
}

function readExtensions(csr: CertificationRequest, info: CsrInfo): void {
  const seen = new Set<string>();
  for (const attribute of csr.certificationRequestInfo.attributes ?? []) {
    if (attribute.type !== OID.extensionRequest) continue;
    for (const value of attribute.values) {
      for (const ext of parse(value, Extensions, 'extension request')) {
        const oid = ext.extnID;
        if (seen.has(oid)) throw new CsrParseError(`CSR requests extension ${oid} more than once`);
        seen.add(oid);
        info.extensions.push({ oid, critical: ext.critical });
        readKnownExtension(oid, ext.critical, ext.extnValue.buffer, info);
      }
    }
  }
}

function readKnownExtension(
  oid: string,
  critical: boolean,
  value: ArrayBuffer,
  info: CsrInfo,
): void {
  switch (oid) {
    case OID.subjectAltName:
      try {
        info.sans = decodeSubjectAltNames(value);
      } catch (cause) {
        throw new CsrParseError(`CSR ${(cause as Error).message}`, { cause });
      }
      return;
    case OID.keyUsage:
      info.keyUsage = { critical, usages: keyUsageNames(parse(value, KeyUsage, 'key usage')) };
      return;
    case OID.extKeyUsage:
      info.extendedKeyUsage = readExtendedKeyUsage(value);
      return;
    case OID.basicConstraints: {
      const bc = parse(value, BasicConstraints, 'basic constraints');
      info.basicConstraints = { critical, ca: bc.cA };
      if (bc.pathLenConstraint !== undefined)
        info.basicConstraints.pathLength = bc.pathLenConstraint;
      return;
    }
  }
}

function inspectCsrSync(pem: string): CsrInfo {
  const der = decodeDer(pem);
  const csr = parse(new Uint8Array(der).buffer, CertificationRequest, 'structure');
  const requestInfo = csr.certificationRequestInfo;
  if (!csr.certificationRequestInfoRaw) throw new CsrParseError('CSR structure is malformed');
  const spki = requestInfo.subjectPKInfo;
  const key = loadSpki(new Uint8Array(AsnConvert.serialize(spki as SubjectPublicKeyInfo)));
  const info: CsrInfo = {
    publicKey: describePublicKey(spki.algorithm.algorithm, key),
    subject: describeName(requestInfo.subject),
    sans: [],
    extensions: [],
    signatureValid: verifySignature(
      csr.signatureAlgorithm,
      new Uint8Array(csr.certificationRequestInfoRaw),
      new Uint8Array(csr.signature),
      key,
    ),
  };
  readExtensions(csr, info);
  return info;
}

/**
 * Everything the approver needs to judge a CSR. Throws CsrParseError unless the input is exactly
 * one well-formed "CERTIFICATE REQUEST" PEM block; a bad signature is reported, not thrown.
 */
export async function inspectCsr(pem: string): Promise<CsrInfo> {
  try {
    return inspectCsrSync(pem);
  } catch (error) {
    if (error instanceof CsrParseError) throw error;
    // Anything else escaping the ASN.1 layer is still a malformed CSR, never a crash.
    throw new CsrParseError('CSR is malformed', { cause: error });
  }
}
