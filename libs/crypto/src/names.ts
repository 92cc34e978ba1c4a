import { DerError, DerReader, TAG, decodeOid, decodeString, type Tlv } from './der-reader';
import { ATTRIBUTE_NAME_BY_OID } from './oids';

export type SanType = 'uri' | 'dns' | 'ip' | 'email' | 'other';
export interface SubjectAltName {
  type: SanType;
  value: string;
}
export interface NameAttribute {
  type: string;
  value: string;
}

/** GeneralName context tags (RFC 5280 §4.2.1.6). */
const GN = {
  otherName: 0xa0,
  rfc822Name: 0x81,
  dNSName: 0x82,
  x400Address: 0xa3,
  directoryName: 0xa4,
  ediPartyName: 0xa5,
  uri: 0x86,
  ipAddress: 0x87,
  registeredID: 0x88,
} as const;

const OTHER_FORM: Readonly<Record<number, string>> = {
  [GN.x400Address]: 'x400Address',
  [GN.directoryName]: 'directoryName',
  [GN.ediPartyName]: 'ediPartyName',
};

function ia5(bytes: Uint8Array, what: string): string {
  for (const byte of bytes) if (byte > 0x7f) throw new DerError(`SAN ${what} is not an IA5String`);
  return Buffer.from(bytes).toString('latin1');
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16)
    throw new DerError(`SAN IP address has an invalid length ${bytes.length}`);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // RFC 5952: compress the longest run (length ≥ 2) of zero groups.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

function describeGeneralName(r: DerReader, tlv: Tlv): SubjectAltName {
  const bytes = r.contents(tlv);
  switch (tlv.tag) {
    case GN.uri:
      return { type: 'uri', value: ia5(bytes, 'URI') };
    case GN.dNSName:
      return { type: 'dns', value: ia5(bytes, 'DNS name') };
    case GN.rfc822Name:
      return { type: 'email', value: ia5(bytes, 'email') };
    case GN.ipAddress:
      return { type: 'ip', value: formatIp(bytes) };
    case GN.registeredID:
      return { type: 'other', value: `registeredID:${decodeOid(bytes)}` };
    case GN.otherName: {
      const inner = DerReader.of(r.buf, tlv);
      const typeId = decodeOid(inner.contents(inner.read(TAG.oid, 'otherName type')));
      inner.read(0xa0, 'otherName value');
      inner.done('otherName');
      return { type: 'other', value: `otherName:${typeId}` };
    }
  }
  const form = OTHER_FORM[tlv.tag];
  if (!form) throw new DerError('SAN contains an unknown name form');
  return { type: 'other', value: form };
}

/** Decodes the DER value of a subjectAltName extension. Throws DerError when malformed. */
export function decodeSubjectAltNames(extnValue: Uint8Array): SubjectAltName[] {
  const outer = new DerReader(extnValue);
  const seq = outer.read(TAG.sequence, 'SAN extension');
  outer.done('SAN extension');
  const r = DerReader.of(extnValue, seq);
  const names: SubjectAltName[] = [];
  while (r.hasMore()) names.push(describeGeneralName(r, r.read(undefined, 'SAN entry')));
  return names;
}

/** Name (the contents of its SEQUENCE) → [{type: 'CN', value: 'x'}, ...]; [] when empty. */
export function describeName(buf: Uint8Array, name: Tlv): NameAttribute[] {
  const attributes: NameAttribute[] = [];
  const rdns = DerReader.of(buf, name);
  while (rdns.hasMore()) {
    const atvs = DerReader.of(buf, rdns.read(TAG.set, 'RDN'));
    if (!atvs.hasMore()) throw new DerError('RDN is empty');
    while (atvs.hasMore()) {
      const atv = DerReader.of(buf, atvs.read(TAG.sequence, 'attribute'));
      const oid = decodeOid(atv.contents(atv.read(TAG.oid, 'attribute type')));
      const value = atv.read(undefined, 'attribute value');
      atv.done('attribute');
      attributes.push({
        type: ATTRIBUTE_NAME_BY_OID[oid] ?? oid,
        value: decodeString(value.tag, atv.contents(value)),
      });
    }
  }
  return attributes;
}
