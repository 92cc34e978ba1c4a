import { afterAll, describe, expect, it } from 'vitest';
import { derToPem, pemToDer, rawExtension, signedCsr } from '../test-support/csr-builder';
import { OpensslWorkspace } from '../test-support/openssl';
import { createSpiffeCsr } from './csr-create';
import { CsrParseError, inspectCsr } from './csr-inspect';
import { generateKey } from './keys';
import { OID } from './oids';

const ws = new OpensslWorkspace();
afterAll(() => ws.cleanup());

describe('inspectCsr on CSRs made by openssl', () => {
  it('reports subject, every SAN type, every extension, key usages and EKUs', async () => {
    const pem = ws.makeCsr('everything', {
      newkey: 'ec:' + ws.write('p384.param', ws.run(['ecparam', '-name', 'secp384r1'])),
      subj: '/CN=web.example/O=Acme/OU=Platform',
      ext: [
        'subjectAltName=DNS:a.example,IP:10.0.0.1,IP:2001:db8::1,email:ops@example.com,URI:spiffe://td/x,otherName:1.2.3.4;UTF8:hello',
        'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
        'extendedKeyUsage=serverAuth,clientAuth,1.2.3.5',
        'basicConstraints=critical,CA:TRUE,pathlen:2',
      ],
    });
    const info = await inspectCsr(pem);
    expect(info.publicKey).toEqual({ algorithm: 'ECDSA', namedCurve: 'P-384' });
    expect(info.subject).toEqual([
      { type: 'CN', value: 'web.example' },
      { type: 'O', value: 'Acme' },
      { type: 'OU', value: 'Platform' },
    ]);
    expect(info.sans).toEqual([
      { type: 'dns', value: 'a.example' },
      { type: 'ip', value: '10.0.0.1' },
      { type: 'ip', value: '2001:db8::1' },
      { type: 'email', value: 'ops@example.com' },
      { type: 'uri', value: 'spiffe://td/x' },
      { type: 'other', value: 'otherName:1.2.3.4' },
    ]);
    expect(info.extensions).toEqual([
      { oid: OID.subjectAltName, critical: false },
      { oid: OID.keyUsage, critical: true },
      { oid: OID.extKeyUsage, critical: false },
      { oid: OID.basicConstraints, critical: true },
    ]);
    expect(info.keyUsage).toEqual({
      critical: true,
      usages: ['digitalSignature', 'keyEncipherment', 'keyCertSign'],
    });
    expect(info.extendedKeyUsage).toEqual([OID.serverAuth, OID.clientAuth, '1.2.3.5']);
    expect(info.basicConstraints).toEqual({ critical: true, ca: true, pathLength: 2 });
    expect(info.signatureValid).toBe(true);
  });

  it('reads an RSA CSR without extensions', async () => {
    const info = await inspectCsr(ws.makeCsr('rsa', { newkey: 'rsa:2048', subj: '/CN=legacy' }));
    expect(info.publicKey).toEqual({ algorithm: 'RSA', modulusBits: 2048 });
    expect(info.subject).toEqual([{ type: 'CN', value: 'legacy' }]);
    expect(info.sans).toEqual([]);
    expect(info.extensions).toEqual([]);
    expect(info.keyUsage).toBeUndefined();
    expect(info.extendedKeyUsage).toBeUndefined();
    expect(info.signatureValid).toBe(true);
  });

  it('verifies RSA-PSS and Ed25519 signatures', async () => {
    ws.run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'pss.key']);
    ws.run([
      'req',
      '-new',
      '-key',
      'pss.key',
      '-subj',
      '/CN=pss',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:32',
      '-sha384',
      '-out',
      'pss.csr',
    ]);
    expect((await inspectCsr(ws.read('pss.csr'))).signatureValid).toBe(true);

    const ed = await inspectCsr(ws.makeCsr('ed', { newkey: 'ed25519', subj: '/CN=ed' }));
    expect(ed.publicKey).toEqual({ algorithm: 'Ed25519' });
    expect(ed.signatureValid).toBe(true);
  });

  it('reads a SPIFFE-shaped request with non-critical usages like the Go driver would send', async () => {
    const pem = ws.makeCsr('spiffe', {
      newkey: 'ec:' + ws.write('p256.param', ws.run(['ecparam', '-name', 'prime256v1'])),
      ext: [
        'subjectAltName=critical,URI:spiffe://cluster.local/ns/a/sa/b',
        'keyUsage=digitalSignature,keyEncipherment',
        'extendedKeyUsage=clientAuth,serverAuth',
      ],
    });
    const info = await inspectCsr(pem);
    expect(info.subject).toEqual([]);
    expect(info.sans).toEqual([{ type: 'uri', value: 'spiffe://cluster.local/ns/a/sa/b' }]);
    expect(info.extensions[0]).toEqual({ oid: OID.subjectAltName, critical: true });
    expect(info.keyUsage).toEqual({
      critical: false,
      usages: ['digitalSignature', 'keyEncipherment'],
    });
    expect(info.extendedKeyUsage).toEqual([OID.clientAuth, OID.serverAuth]);
  });
});

describe('inspectCsr lists every CSR attribute', () => {
  it('names each attribute with its value count and reads only the extension request', async () => {
    // openssl writes challengePassword and unstructuredName from [req_attributes] when prompt=no.
    const config = ws.write(
      'attributes.cnf',
      [
        '[req]',
        'prompt = no',
        'distinguished_name = dn',
        'attributes = attrs',
        '[dn]',
        'CN = x',
        '[attrs]',
        'challengePassword = hunter2hunter2',
        'unstructuredName = evil.example',
      ].join('\n'),
    );
    ws.run([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'attrs.key',
      '-config',
      config,
      '-addext',
      'subjectAltName=URI:spiffe://td/x',
      '-out',
      'attrs.csr',
    ]);
    const info = await inspectCsr(ws.read('attrs.csr'));
    // A SET OF in DER is sorted by encoding, so the order is openssl's, not the config's.
    expect(info.attributes).toHaveLength(3);
    expect(info.attributes).toEqual(
      expect.arrayContaining([
        { oid: '1.2.840.113549.1.9.7', valueCount: 1 },
        { oid: '1.2.840.113549.1.9.2', valueCount: 1 },
        { oid: OID.extensionRequest, valueCount: 1 },
      ]),
    );
    expect(info.sans).toEqual([{ type: 'uri', value: 'spiffe://td/x' }]);
  });

  it('lists no attributes for a CSR without any', async () => {
    const info = await inspectCsr(ws.makeCsr('bare', { newkey: 'rsa:2048', subj: '/CN=legacy' }));
    expect(info.attributes).toEqual([]);
  });
});

describe('inspectCsr signature checks', () => {
  const ID = 'spiffe://td/ns/tamper/sa/web';

  async function ourCsrDer(): Promise<Buffer> {
    return pemToDer(await createSpiffeCsr(await generateKey('ecdsa-p256'), ID));
  }

  it('reports signatureValid=false when the signed content is changed', async () => {
    const der = await ourCsrDer();
    const at = der.indexOf(Buffer.from('tamper'));
    der[at] = 'T'.charCodeAt(0);
    const tampered = derToPem(der);
    ws.write('tampered.csr', tampered);
    expect(ws.csrSignatureVerifies('tampered.csr')).toBe(false);
    const info = await inspectCsr(tampered);
    expect(info.sans).toEqual([{ type: 'uri', value: ID.replace('tamper', 'Tamper') }]);
    expect(info.signatureValid).toBe(false);
  });

  it('reports signatureValid=false when the signature bytes are changed', async () => {
    const der = await ourCsrDer();
    der[der.length - 5] ^= 0x01;
    expect((await inspectCsr(derToPem(der))).signatureValid).toBe(false);
  });

  it('reports signatureValid=false when the algorithm does not fit the key', async () => {
    const der = await ourCsrDer();
    // ecdsa-with-SHA256 (06 08 2a8648ce3d040302) → sha256WithRSAEncryption is a different length,
    // so swap to ecdsa-with-SHA384 instead: same length, wrong hash for the signature.
    const oid = Buffer.from('06082a8648ce3d040302', 'hex');
    const at = der.lastIndexOf(oid);
    der[at + oid.length - 1] = 0x03;
    expect((await inspectCsr(derToPem(der))).signatureValid).toBe(false);
  });
});

describe('inspectCsr rejects anything that is not exactly one well-formed CSR', () => {
  const valid = signedCsr([rawExtension(OID.subjectAltName, true, '3009 8607 73706966 6665 3a')]);

  it('accepts the fixture used by these cases', async () => {
    expect((await inspectCsr(await valid)).signatureValid).toBe(true);
  });

  const cases: [string, (pem: string) => string, RegExp][] = [
    ['empty input', () => '', /exactly one PEM block, found 0/],
    ['garbage', () => 'not a csr at all', /outside a PEM block/],
    ['two blocks', (p) => `${p}\n${p}`, /exactly one PEM block, found 2/],
    [
      'a certificate label',
      (p) => p.replace(/CERTIFICATE REQUEST/g, 'CERTIFICATE'),
      /not a CERTIFICATE REQUEST/,
    ],
    [
      'the legacy NEW label',
      (p) => p.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST'),
      /not a CERTIFICATE REQUEST/,
    ],
    ['text before the block', (p) => `hello\n${p}`, /outside a PEM block/],
    ['text after the block', (p) => `${p}\ntrailing`, /outside a PEM block/],
    [
      'PEM headers',
      (p) => p.replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\n\n'),
      /headers or non-base64/,
    ],
    [
      'truncated base64',
      (p) => p.replace(/.{3}\n-----END/, '\n-----END'),
      /truncated or malformed base64/,
    ],
    ['non-base64 characters', (p) => p.replace(/\n[A-Za-z]/, '\n*'), /headers or non-base64/],
    ['no END line', (p) => p.replace(/-----END[^\n]*\n?/, ''), /not terminated/],
    [
      'mismatched END line',
      (p) => p.replace('END CERTIFICATE REQUEST', 'END CERTIFICATE'),
      /mismatched END/,
    ],
    [
      'an empty block',
      () => '-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n',
      /is empty/,
    ],
    [
      'random DER',
      () => derToPem(Buffer.from('0403010203', 'hex')),
      /does not start with a SEQUENCE/,
    ],
    ['truncated DER', (p) => derToPem(pemToDer(p).subarray(0, 100)), /truncated/],
    [
      'trailing DER bytes',
      (p) => derToPem(Buffer.concat([pemToDer(p), Buffer.from([0, 0])])),
      /trailing data/,
    ],
    [
      'indefinite-length DER',
      () => derToPem(Buffer.from('30800201000000', 'hex')),
      /indefinite length/,
    ],
    ['a SEQUENCE that is not a CSR', () => derToPem(Buffer.from('3003020105', 'hex')), /malformed/],
    ['oversized input', (p) => p + ' '.repeat(70_000), /longer than/],
  ];

  it.each(cases)('%s', async (_name, mutate, message) => {
    const pem = mutate(await valid);
    const error = await inspectCsr(pem).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CsrParseError);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects non-string input', async () => {
    await expect(inspectCsr(undefined as unknown as string)).rejects.toBeInstanceOf(CsrParseError);
    await expect(inspectCsr(42 as unknown as string)).rejects.toBeInstanceOf(CsrParseError);
  });

  it.each([
    [
      'a SAN IP address of 5 bytes',
      [rawExtension(OID.subjectAltName, false, '3007 8705 0102030405')],
      /IP address/,
    ],
    [
      'a SAN that is not GeneralNames',
      [rawExtension(OID.subjectAltName, false, '0403 010203')],
      /SAN extension has tag/,
    ],
    [
      'a non-ASCII DNS name',
      [rawExtension(OID.subjectAltName, false, '3004 8202 c3a4')],
      /IA5String/,
    ],
    [
      'a key usage that is not a BIT STRING',
      [rawExtension(OID.keyUsage, true, '0400')],
      /key usage has tag/,
    ],
    [
      'an EKU that is not a list of OIDs',
      [rawExtension(OID.extKeyUsage, false, '3003 020101')],
      /key purpose has tag/,
    ],
    [
      'malformed basic constraints',
      [rawExtension(OID.basicConstraints, true, '3003 0c0161')],
      /basic constraints has unexpected trailing/,
    ],
    [
      'a duplicated extension',
      [rawExtension(OID.keyUsage, true, '03020780'), rawExtension(OID.keyUsage, true, '03020780')],
      /more than once/,
    ],
  ])('rejects %s', async (_name, extensions, message) => {
    const pem = await signedCsr(extensions);
    await expect(inspectCsr(pem)).rejects.toThrow(message);
    await expect(inspectCsr(pem)).rejects.toBeInstanceOf(CsrParseError);
  });

  it('rejects deeply nested DER without exhausting the stack', async () => {
    let inner = Buffer.from('0500', 'hex');
    for (let depth = 0; depth < 2000; depth++) {
      const len = inner.length;
      const header =
        len < 0x80
          ? Buffer.from([0x30, len])
          : len < 0x100
            ? Buffer.from([0x30, 0x81, len])
            : Buffer.from([0x30, 0x82, len >> 8, len & 0xff]);
      inner = Buffer.concat([header, inner]);
    }
    await expect(inspectCsr(derToPem(inner))).rejects.toBeInstanceOf(CsrParseError);
  });

  it('reports unknown SAN forms as "other" and keeps extensions it does not know', async () => {
    const pem = await signedCsr([
      rawExtension(OID.subjectAltName, false, '3005 8803 2a0304'), // registeredID 1.2.3.4
      rawExtension('1.2.3.4.5', true, '0500'),
    ]);
    const info = await inspectCsr(pem);
    expect(info.sans).toEqual([{ type: 'other', value: 'registeredID:1.2.3.4' }]);
    expect(info.extensions).toEqual([
      { oid: OID.subjectAltName, critical: false },
      { oid: '1.2.3.4.5', critical: true },
    ]);
  });
});
