import {
  DerError,
  DerReader,
  TAG,
  decodeBitString,
  decodeOid,
  derEnvelopeReason,
  type Tlv,
} from './der-reader';
import { readExtension, readKnownExtension } from './extension-der';
import {
  describeName,
  type NameAttribute,
  type SubjectAltName,
} from './names';
import { OID } from './oids';
import { decodePemBlocks } from './pem';
import {
  describeSpki,
  loadSpkiFast,
  readAlgorithmIdentifier,
  type PublicKeyDescription,
} from './public-key';
import { verifySignature } from './signature';

export class CsrParseError extends Error {
  override readonly name = 'CsrParseError';
}

/** One attribute of certificationRequestInfo: its type and how many values its SET holds. */
export interface CsrAttribute {
  oid: string;
  valueCount: number;
}

export interface CsrInfo {
  publicKey: PublicKeyDescription;
  /**
   * Every attribute, in order. Only the first value of the first extensionRequest is read into
   * the fields below; judging any other attribute (or value) is the caller's job.
   */
  attributes: CsrAttribute[];
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
  return blocks[0].der;
}

function readExtensionRequest(buf: Uint8Array, extensions: Tlv, info: CsrInfo): void {
  const seen = new Set<string>();
  const list = DerReader.of(buf, extensions);
  while (list.hasMore()) {
    const { oid, critical, value } = readExtension(buf, list.read(TAG.sequence, 'extension'));
    if (seen.has(oid)) throw new CsrParseError(`CSR requests extension ${oid} more than once`);
    seen.add(oid);
    info.extensions.push({ oid, critical });
    readKnownExtension(oid, critical, value, info);
  }
}

/**
 * attributes [0] IMPLICIT SET OF Attribute. Every attribute is listed with its value count, so
 * the policy can refuse any but one single-valued extensionRequest by name; only that first value
 * is decoded (merging a second one would let it add names the caller never sees as separate).
 */
function readAttributes(buf: Uint8Array, attributes: Tlv, info: CsrInfo): void {
  const list = DerReader.of(buf, attributes);
  let extensionsRead = false;
  while (list.hasMore()) {
    const attribute = DerReader.of(buf, list.read(TAG.sequence, 'attribute'));
    const oid = decodeOid(attribute.contents(attribute.read(TAG.oid, 'attribute type')));
    const values = DerReader.of(buf, attribute.read(TAG.set, 'attribute values'));
    attribute.done('attribute');
    let valueCount = 0;
    while (values.hasMore()) {
      const value = values.read(undefined, 'attribute value');
      if (oid === OID.extensionRequest && !extensionsRead) {
        if (value.tag !== TAG.sequence)
          throw new CsrParseError('CSR extension request is not a SEQUENCE');
        readExtensionRequest(buf, value, info);
        extensionsRead = true;
      }
      valueCount++;
    }
    info.attributes.push({ oid, valueCount });
  }
}

/*
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
 * CertificationRequestInfo ::= SEQUENCE { version, subject Name, subjectPKInfo, [0] attributes }
 */
/** The parsed CSR, with its signature check still to run (off the event loop). */
function inspectDer(der: Uint8Array): { info: CsrInfo; signatureValid: () => Promise<boolean> } {
  const top = new DerReader(der);
  const csr = DerReader.of(der, top.read(TAG.sequence, 'CSR'));
  top.done('CSR');
  const tbsTlv = csr.read(TAG.sequence, 'certificationRequestInfo');
  const signatureAlgorithm = readAlgorithmIdentifier(csr, 'signature algorithm');
  const signature = decodeBitString(csr.contents(csr.read(TAG.bitString, 'signature')));
  csr.done('CSR');

  const tbs = DerReader.of(der, tbsTlv);
  tbs.read(TAG.integer, 'version');
  const subject = tbs.read(TAG.sequence, 'subject');
  const spki = tbs.encoding(tbs.read(TAG.sequence, 'subject public key info'));
  const attributes = tbs.readOptional(0xa0, 'attributes');
  tbs.done('certificationRequestInfo');

  const info: CsrInfo = {
    publicKey: describeSpki(spki),
    attributes: [],
    subject: describeName(der, subject),
    sans: [],
    extensions: [],
    signatureValid: false,
  };
  if (attributes) readAttributes(der, attributes, info);
  const signed = csr.encoding(tbsTlv);
  return {
    info,
    signatureValid: async () =>
      verifySignature(signatureAlgorithm, signed, signature, await loadSpkiFast(spki)),
  };
}

/**
 * Everything the approver needs to judge a CSR. Throws CsrParseError unless the input is exactly
 * one well-formed "CERTIFICATE REQUEST" PEM block; a bad signature is reported, not thrown.
 */
export async function inspectCsr(pem: string): Promise<CsrInfo> {
  const der = decodeDer(pem);
  const envelope = derEnvelopeReason(der);
  if (envelope) throw new CsrParseError(`CSR is not valid DER: ${envelope}`);
  let parsed: ReturnType<typeof inspectDer>;
  try {
    parsed = inspectDer(der);
  } catch (error) {
    if (error instanceof CsrParseError) throw error;
    if (error instanceof DerError) throw new CsrParseError(`CSR is malformed: ${error.message}`);
    // Anything else is still a malformed CSR, never a crash.
    throw new CsrParseError('CSR is malformed', { cause: error });
  }
  parsed.info.signatureValid = await parsed.signatureValid();
  return parsed.info;
}
