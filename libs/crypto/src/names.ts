import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralNames, type GeneralName, type Name } from '@peculiar/asn1-x509';
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

/** Thrown for a SAN extension or Name that does not decode; callers wrap it in their own error. */
export class NameDecodeError extends Error {
  override readonly name = 'NameDecodeError';
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

function ia5(value: string, what: string): string {
  if (!isAscii(value)) throw new NameDecodeError(`SAN ${what} is not an IA5String`);
  return value;
}

/** The schema formats 4- and 16-byte addresses; any other length becomes a CIDR or hex string. */
function ipAddress(value: string): string {
  if (!value.includes('/') && (IPV4.test(value) || value.includes(':'))) return value;
  throw new NameDecodeError('SAN IP address has an invalid length');
}

function describeGeneralName(name: GeneralName): SubjectAltName {
  if (name.uniformResourceIdentifier !== undefined) {
    return { type: 'uri', value: ia5(name.uniformResourceIdentifier, 'URI') };
  }
  if (name.dNSName !== undefined) return { type: 'dns', value: ia5(name.dNSName, 'DNS name') };
  if (name.rfc822Name !== undefined) return { type: 'email', value: ia5(name.rfc822Name, 'email') };
  if (name.iPAddress !== undefined) return { type: 'ip', value: ipAddress(name.iPAddress) };
  if (name.otherName) return { type: 'other', value: `otherName:${name.otherName.typeId}` };
  if (name.registeredID !== undefined)
    return { type: 'other', value: `registeredID:${name.registeredID}` };
  if (name.directoryName) return { type: 'other', value: 'directoryName' };
  if (name.x400Address) return { type: 'other', value: 'x400Address' };
  if (name.ediPartyName) return { type: 'other', value: 'ediPartyName' };
  throw new NameDecodeError('SAN contains an unknown name form');
}

/** Decodes the DER value of a subjectAltName extension. */
export function decodeSubjectAltNames(extnValue: ArrayBuffer): SubjectAltName[] {
  let names: GeneralNames;
  try {
    names = AsnConvert.parse(extnValue, GeneralNames);
  } catch {
    throw new NameDecodeError('SAN extension is malformed');
  }
  return Array.from(names, describeGeneralName);
}

/** Name → [{type: 'CN', value: 'x'}, ...] in encoding order; [] for an empty Name. */
export function describeName(name: Name): NameAttribute[] {
  const attributes: NameAttribute[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      attributes.push({
        type: ATTRIBUTE_NAME_BY_OID[atv.type] ?? atv.type,
        value: atv.value.anyValue
          ? `#${Buffer.from(atv.value.anyValue).toString('hex')}`
          : atv.value.toString(),
      });
    }
  }
  return attributes;
}
