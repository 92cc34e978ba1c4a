import { DerError, DerReader, TAG, decodeOid, decodeString, type Tlv } from './der-reader';

/*
 * Certificate subject and issuer strings keep the spelling @peculiar/x509 gave them, which the
 * driver has always reported: RDNs in encoded order joined by ", ", multi-valued RDNs joined by
 * "+", its short names (G, I, SN, T, not ATTRIBUTE_NAME_BY_OID's CSR spellings) and dotted OIDs
 * for the rest, and "#<hex of the whole element>" for values that are not directory strings.
 */
const SHORT_NAME_BY_OID: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'G',
  '2.5.4.43': 'I',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'E',
};

/** DirectoryString choices plus IA5String; anything else is shown as hex. */
const TEXT_TAGS: ReadonlySet<number> = new Set([
  TAG.utf8String,
  TAG.printableString,
  TAG.t61String,
  TAG.universalString,
  TAG.bmpString,
  TAG.ia5String,
]);

function controlEscape(c: string): string {
  return `\\${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`;
}

/** RFC 4514 §2.4 escaping, in the same steps as before (control characters: every one). */
function escapeValue(value: string): string {
  return value
    .replace(/[,+"\\<>;]/g, '\\$&')
    .replace(/^[ #]/, '\\$&')
    .replace(/ $/, '\\ ')
    .replace(/[\r\n\t]/g, controlEscape);
}

function formatAttribute(buf: Uint8Array, atvTlv: Tlv, what: string): string {
  const atv = DerReader.of(buf, atvTlv);
  const oid = decodeOid(atv.contents(atv.read(TAG.oid, `${what} attribute type`)));
  const value = atv.read(undefined, `${what} attribute value`);
  atv.done(`${what} attribute`);
  const type = SHORT_NAME_BY_OID[oid] ?? oid;
  if (!TEXT_TAGS.has(value.tag))
    return `${type}=#${Buffer.from(atv.encoding(value)).toString('hex')}`;
  try {
    return `${type}=${escapeValue(decodeString(value.tag, atv.contents(value)))}`;
  } catch (error) {
    throw new DerError(`${what} ${type} value: ${(error as Error).message}`);
  }
}

/** A Name (`name` is its SEQUENCE) as "CN=a+O=b, C=US"; "" when it has no RDNs. */
export function formatDistinguishedName(buf: Uint8Array, name: Tlv, what = 'name'): string {
  const rdns = DerReader.of(buf, name);
  const out: string[] = [];
  while (rdns.hasMore()) {
    const atvs = DerReader.of(buf, rdns.read(TAG.set, `${what} RDN`));
    if (!atvs.hasMore()) throw new DerError(`${what} has an empty RDN`);
    const parts: string[] = [];
    while (atvs.hasMore()) {
      parts.push(formatAttribute(buf, atvs.read(TAG.sequence, `${what} attribute`), what));
    }
    out.push(parts.join('+'));
  }
  return out.join(', ');
}
