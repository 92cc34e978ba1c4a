import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpensslWorkspace } from '../test-support/openssl';
import { CertificateParseError, parseCertificateChain, publicKeyMatches } from './certificates';
import { createSpiffeCsr } from './csr-create';
import { generateKey, type GeneratedKey } from './keys';
import { splitPemChain } from './pem';

const ID = 'spiffe://cluster.local/ns/team-a/sa/web';
const ws = new OpensslWorkspace();
let key: GeneratedKey;
let caPem: string;
let serial = 0x1000;

/** Signs our CSR with the openssl test CA, with the given v3 extension lines. */
async function issue(name: string, ext: string[], k: GeneratedKey = key): Promise<string> {
  ws.write(`${name}.csr`, await createSpiffeCsr(k, ID));
  ws.write(`${name}.ext`, ext.join('\n') + '\n');
  ws.run([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    String(serial++),
    '-days',
    '1',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
  return ws.read(`${name}.crt`);
}

const SVID_EXT = [
  `subjectAltName=critical,URI:${ID},DNS:web.team-a.svc`,
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth,clientAuth',
];

beforeAll(async () => {
  key = await generateKey('ecdsa-p384');
  ws.run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=Test SPIFFE CA/O=Tests',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  caPem = ws.read('ca.crt');
});
afterAll(() => ws.cleanup());

describe('parseCertificateChain', () => {
  it('agrees with openssl on an SVID issued by an openssl CA', async () => {
    const leafPem = await issue('leaf', SVID_EXT);
    expect(ws.run(['verify', '-CAfile', 'ca.crt', 'leaf.crt'])).toContain('leaf.crt: OK');

    const [leaf, ca] = parseCertificateChain(leafPem + caPem);
    expect(leaf.uriSans).toEqual([ID]);
    expect(leaf.dnsSans).toEqual(['web.team-a.svc']);
    expect(leaf.isCA).toBe(false);
    expect(leaf.subject).toBe('');
    expect(leaf.issuer).toBe('CN=Test SPIFFE CA, O=Tests');
    expect(leaf.publicKeyAlgorithm).toBe('ECDSA');
    expect(leaf.namedCurve).toBe('P-384');
    expect(leaf.pem).toBe(leafPem);

    const serialOut = ws.run(['x509', '-in', 'leaf.crt', '-noout', '-serial']);
    expect(serialOut.trim()).toBe(`serial=${leaf.serialNumber.toUpperCase()}`);
    const dates = ws.run(['x509', '-in', 'leaf.crt', '-noout', '-startdate', '-enddate']);
    const [, start] = /notBefore=(.+)/.exec(dates)!;
    const [, end] = /notAfter=(.+)/.exec(dates)!;
    expect(leaf.notBefore.getTime()).toBe(new Date(start).getTime());
    expect(leaf.notAfter.getTime()).toBe(new Date(end).getTime());

    expect(ca.isCA).toBe(true);
    expect(ca.subject).toBe(ca.issuer);
    expect(ca.publicKeyAlgorithm).toBe('RSA');
    expect(ca.namedCurve).toBeUndefined();
    expect(ca.uriSans).toEqual([]);
  });

  it.each([
    ['no certificate', 'hello', /no CERTIFICATE PEM block/],
    [
      'a malformed block',
      '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n',
      /malformed/,
    ],
    [
      'DER that is not a certificate',
      '-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\n',
      /malformed/,
    ],
    [
      'trailing DER bytes',
      '-----BEGIN CERTIFICATE-----\nMAMCAQUAAA==\n-----END CERTIFICATE-----\n',
      /trailing data/,
    ],
  ])('rejects %s', (_name, pem, message) => {
    expect(() => parseCertificateChain(pem)).toThrow(CertificateParseError);
    expect(() => parseCertificateChain(pem)).toThrow(message);
  });
});

describe('splitPemChain', () => {
  it('returns CERTIFICATE blocks in order, skipping other blocks and text', async () => {
    const leafPem = await issue('split', SVID_EXT);
    const mixed = `leaf:\n${leafPem}\n${key.privateKeyPem}\r\n${caPem.replace(/\n/g, '\r\n')}`;
    expect(splitPemChain(mixed)).toEqual([leafPem, caPem]);
    expect(splitPemChain('')).toEqual([]);
  });

  it('throws on a malformed CERTIFICATE block', () => {
    expect(() =>
      splitPemChain('-----BEGIN CERTIFICATE-----\nAB*\n-----END CERTIFICATE-----'),
    ).toThrow();
  });
});

describe('publicKeyMatches', () => {
  it('compares the certificate key with a private key object or PEM', async () => {
    const leafPem = await issue('match', SVID_EXT);
    expect(publicKeyMatches(leafPem, key.privateKey)).toBe(true);
    expect(publicKeyMatches(leafPem + caPem, key.privateKeyPem)).toBe(true);
    expect(publicKeyMatches(leafPem, (await generateKey('ecdsa-p384')).privateKey)).toBe(false);
    expect(publicKeyMatches(caPem, key.privateKey)).toBe(false);
    expect(publicKeyMatches(caPem, ws.read('ca.key'))).toBe(true);
    expect(publicKeyMatches('garbage', key.privateKey)).toBe(false);
  });
});
