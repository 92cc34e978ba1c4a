import { OID, type CsrInfo } from '@spiffe-csi/crypto';
import { describe, expect, it } from 'vitest';
import { checkAttributes } from './attribute-check';

const EXT_REQ = OID.extensionRequest;
const csrWith = (attributes: CsrInfo['attributes']): CsrInfo => ({
  publicKey: { algorithm: 'ECDSA', namedCurve: 'P-521' },
  attributes,
  subject: [],
  sans: [{ type: 'uri', value: 'spiffe://cluster.local/ns/a/sa/b' }],
  extensions: [{ oid: OID.subjectAltName, critical: true }],
  signatureValid: true,
});
const reasons = (attributes: CsrInfo['attributes']) =>
  checkAttributes(csrWith(attributes)).map((f) => `${f.rule}: ${f.reason}`);

describe('checkAttributes', () => {
  it('accepts one extensionRequest with one value, and a CSR with no attributes at all', () => {
    expect(reasons([{ oid: EXT_REQ, valueCount: 1 }])).toEqual([]);
    expect(reasons([])).toEqual([]);
  });

  it.each([
    ['challengePassword', '1.2.840.113549.1.9.7', 'challengePassword (1.2.840.113549.1.9.7)'],
    ['unstructuredName', '1.2.840.113549.1.9.2', 'unstructuredName (1.2.840.113549.1.9.2)'],
    ['msExtensionRequest', '1.3.6.1.4.1.311.2.1.14', 'msExtensionRequest (1.3.6.1.4.1.311.2.1.14)'],
    [
      'enrollmentNameValuePair',
      '1.3.6.1.4.1.311.13.2.1',
      'enrollmentNameValuePair (1.3.6.1.4.1.311.13.2.1)',
    ],
    ['an unnamed OID', '1.2.3.4.5', '1.2.3.4.5'],
  ])('denies %s beside the extension request, naming it', (_name, oid, described) => {
    expect(
      reasons([
        { oid: EXT_REQ, valueCount: 1 },
        { oid, valueCount: 1 },
      ]),
    ).toEqual([`attributes: CSR attribute ${described} is not allowed`]);
  });

  it('denies another attribute even when there is no extension request', () => {
    expect(reasons([{ oid: '1.2.840.113549.1.9.7', valueCount: 1 }])).toEqual([
      'attributes: CSR attribute challengePassword (1.2.840.113549.1.9.7) is not allowed',
    ]);
  });

  it.each([
    [0, 'must have exactly one value, got 0'],
    [2, 'must have exactly one value, got 2'],
  ])('denies an extensionRequest with %d values', (valueCount, detail) => {
    expect(reasons([{ oid: EXT_REQ, valueCount }])).toEqual([
      `attributes: CSR attribute extensionRequest (${EXT_REQ}) ${detail}`,
    ]);
  });

  it('denies a second extensionRequest once, however many follow', () => {
    const one = { oid: EXT_REQ, valueCount: 1 };
    expect(reasons([one, one, one])).toEqual([
      `attributes: CSR attribute extensionRequest (${EXT_REQ}) appears more than once`,
    ]);
  });

  it('reports every bad attribute, in order', () => {
    expect(
      reasons([
        { oid: '1.3.6.1.4.1.311.13.2.1', valueCount: 1 },
        { oid: EXT_REQ, valueCount: 1 },
        { oid: '1.2.840.113549.1.9.7', valueCount: 1 },
      ]),
    ).toEqual([
      'attributes: CSR attribute enrollmentNameValuePair (1.3.6.1.4.1.311.13.2.1) is not allowed',
      'attributes: CSR attribute challengePassword (1.2.840.113549.1.9.7) is not allowed',
    ]);
  });

  it('cuts an absurdly long OID like any other echoed value', () => {
    const oid = `1.2.${'9.'.repeat(100)}1`;
    const [reason] = reasons([{ oid, valueCount: 1 }]);
    expect(reason.length).toBeLessThan(160);
    expect(reason).toContain('…');
  });
});
