// Every certificate, key and CSR here is made by the openssl CLI (or @peculiar/x509), never by this
// library: the oracle that judges the validator must not share its code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpensslWorkspace } from '../test-support/openssl';
import { validateX509Svid, type ValidateX509SvidInput } from './svid-validate';

const ID = 'spiffe://cluster.local/ns/team-a/sa/web';
const GOOD_LEAF = [
  `subjectAltName=critical,URI:${ID}`,
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth,clientAuth',
];
const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

const ws = new OpensslWorkspace();
let serial = 0x2000;

function newKey(name: string, algorithm: string[] = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']): string {
  ws.run(['genpkey', ...algorithm, '-out', `${name}.key`]);
  return ws.read(`${name}.key`);
}

/** Signs `name`.key's CSR (subject `subj`) with `signer` and the given extension lines. */
function sign(name: string, signer: string, ext: string[], subj = '/'): string {
  if (!ws.attempt(['pkey', '-in', `${name}.key`, '-noout']).ok) newKey(name);
  ws.run(['req', '-new', '-key', `${name}.key`, '-subj', subj, '-out', `${name}.csr`]);
  ws.write(`${name}.ext`, ext.join('\n') + '\n');
  ws.run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.crt`, '-CAkey', `${signer}.key`, '-set_serial', String(serial++),
    '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  return ws.read(`${name}.crt`);
}

function selfSignedCa(name: string, subj: string): string {
  newKey(name);
  ws.run(['req', '-x509', '-new', '-key', `${name}.key`, '-subj', subj, '-days', '30', '-sha256',
    ...CA_EXT.flatMap((e) => ['-addext', e]), '-out', `${name}.crt`]);
  return ws.read(`${name}.crt`);
}

let rootPem: string;
let otherRootPem: string;
let keyPem: string;
let leafPem: string;

/** The validator's verdict for a variant of the good SVID: 'ok' or "Bn: reason". */
function verdict(o: Partial<ValidateX509SvidInput> = {}): string {
  const r = validateX509Svid({ chainPem: leafPem, keyPem, spiffeId: ID, bundlePem: rootPem, ...o });
  return r.ok ? 'ok' : r.message;
}

/** A leaf for the good key, signed by the root, with `ext` instead of the good extensions. */
const leafWith = (name: string, ext: string[], subj = '/') => {
  ws.write(`${name}.key`, keyPem);
  return sign(name, 'root', ext, subj);
};

beforeAll(() => {
  rootPem = selfSignedCa('root', '/O=cert-manager/CN=root CA');
  otherRootPem = selfSignedCa('other', '/CN=another CA');
  keyPem = newKey('leaf');
  leafPem = sign('leaf', 'root', GOOD_LEAF);
});
afterAll(() => ws.cleanup());

describe('validateX509Svid', () => {
  it('accepts a good SVID and returns what the files and the Workload API are built from', () => {
    const r = validateX509Svid({ chainPem: leafPem, keyPem, spiffeId: ID, bundlePem: rootPem });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.svid.trustDomainId).toBe('spiffe://cluster.local');
    expect(r.svid.chain.map((c) => c.der.toString('base64'))).toEqual([leafPem.split('\n').slice(1, -2).join('')]);
    expect(r.svid.bundle).toHaveLength(1);
    expect(r.svid.keyDer.toString('base64')).toBe(keyPem.split('\n').slice(1, -2).join(''));
  });

  it('accepts a chain through an intermediate, and a chain that repeats the root', () => {
    ws.write('inter.key', newKey('inter'));
    const inter = sign('inter', 'root', CA_EXT, '/CN=intermediate');
    ws.write('deep.key', keyPem);
    const deep = sign('deep', 'inter', GOOD_LEAF);
    expect(verdict({ chainPem: deep + inter })).toBe('ok');
    expect(verdict({ chainPem: deep + inter + rootPem })).toBe('ok');
    expect(verdict({ chainPem: deep })).toMatch(/^B17: /);
    expect(verdict({ chainPem: inter + deep })).toMatch(/^B16: /);
  });

  it('B1: exactly one URI SAN, a SPIFFE ID of our trust domain, the one requested', () => {
    expect(verdict({ chainPem: leafWith('b1-two', [`subjectAltName=critical,URI:${ID},URI:spiffe://cluster.local/x`, ...GOOD_LEAF.slice(1)]) }))
      .toBe('B1: the leaf must have exactly one URI SAN, found 2');
    expect(verdict({ chainPem: leafWith('b1-none', ['subjectAltName=critical,DNS:web', ...GOOD_LEAF.slice(1)]) }))
      .toMatch(/^B1: .*found 0/);
    expect(verdict({ chainPem: leafWith('b1-https', ['subjectAltName=critical,URI:https://web', ...GOOD_LEAF.slice(1)]) }))
      .toMatch(/^B1: .*not a valid SPIFFE ID: scheme/);
    expect(verdict({ chainPem: leafWith('b1-td', ['subjectAltName=critical,URI:spiffe://other.org/ns/team-a/sa/web', ...GOOD_LEAF.slice(1)]) }))
      .toMatch(/^B1: .*not in trust domain cluster.local/);
    expect(verdict({ spiffeId: 'spiffe://cluster.local/ns/team-a/sa/db' })).toMatch(/^B1: .*is not the volume's/);
  });

  it('B2: other SAN types may sit beside the URI', () => {
    expect(verdict({ chainPem: leafWith('b2', [`subjectAltName=critical,URI:${ID},DNS:web.svc,IP:10.0.0.1`, ...GOOD_LEAF.slice(1)]) }))
      .toBe('ok');
  });

  it('B3: the leaf ID has a path', () => {
    expect(verdict({ chainPem: leafWith('b3', ['subjectAltName=critical,URI:spiffe://cluster.local', ...GOOD_LEAF.slice(1)]) }))
      .toMatch(/^B3: /);
  });

  it('B4: an empty subject needs a critical SAN; a subject does not', () => {
    const nonCritical = [`subjectAltName=URI:${ID}`, ...GOOD_LEAF.slice(1)];
    expect(verdict({ chainPem: leafWith('b4', nonCritical) }))
      .toBe('B4: the subject is empty but the subjectAltName extension is not critical');
    expect(verdict({ chainPem: leafWith('b4-subject', nonCritical, '/CN=web') })).toBe('ok');
  });

  it('B5, B6: not a CA, no path length', () => {
    expect(verdict({ chainPem: leafWith('b5', [GOOD_LEAF[0], 'basicConstraints=critical,CA:TRUE', ...GOOD_LEAF.slice(2)]) }))
      .toMatch(/^B5: /);
    expect(verdict({ chainPem: leafWith('b6', [GOOD_LEAF[0], 'basicConstraints=critical,CA:FALSE,pathlen:0', ...GOOD_LEAF.slice(2)]) }))
      .toMatch(/^B6: /);
    expect(verdict({ chainPem: leafWith('b5-absent', [GOOD_LEAF[0], ...GOOD_LEAF.slice(2)]) })).toBe('ok');
  });

  it('B7, B8, B9, B10: keyUsage present, critical, digitalSignature, never a signing usage', () => {
    const ku = (name: string, line?: string) =>
      verdict({ chainPem: leafWith(name, [...GOOD_LEAF.slice(0, 2), ...(line ? [line] : []), GOOD_LEAF[3]]) });
    expect(ku('b7-absent')).toBe('B7: the leaf has no keyUsage extension');
    expect(ku('b7-noncritical', 'keyUsage=digitalSignature')).toMatch(/^B7: .*not critical/);
    expect(ku('b8', 'keyUsage=critical,keyEncipherment')).toBe('B8: keyUsage lacks digitalSignature');
    expect(ku('b9', 'keyUsage=critical,digitalSignature,keyAgreement')).toBe('ok');
    expect(ku('b10-certsign', 'keyUsage=critical,digitalSignature,keyCertSign')).toBe('B10: keyUsage includes keyCertSign');
    expect(ku('b10-crlsign', 'keyUsage=critical,digitalSignature,cRLSign')).toBe('B10: keyUsage includes cRLSign');
  });

  it('B11: an EKU, when present, has serverAuth and clientAuth', () => {
    const eku = (name: string, line?: string) =>
      verdict({ chainPem: leafWith(name, [...GOOD_LEAF.slice(0, 3), ...(line ? [line] : [])]) });
    expect(eku('b11-absent')).toBe('ok');
    expect(eku('b11-server', 'extendedKeyUsage=serverAuth')).toBe('B11: extendedKeyUsage lacks clientAuth');
    expect(eku('b11-code', 'extendedKeyUsage=codeSigning')).toBe('B11: extendedKeyUsage lacks serverAuth and clientAuth');
  });

  it('B12: every signing certificate is a CA with keyCertSign and a path-less ID of our domain; order matters', () => {
    const viaIntermediate = (name: string, ext: string[]) => {
      newKey(`${name}-ca`);
      const inter = sign(`${name}-ca`, 'root', ext, `/CN=${name}`);
      ws.write(`${name}.key`, keyPem);
      return verdict({ chainPem: sign(name, `${name}-ca`, GOOD_LEAF) + inter });
    };
    expect(viaIntermediate('b12-noca', ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,keyCertSign']))
      .toMatch(/^B12: chain certificate 1 \(CN=b12-noca\) signs the SVID but is not a CA/);
    expect(viaIntermediate('b12-nosign', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature']))
      .toMatch(/^B12: .*lacks keyUsage keyCertSign/);
    expect(viaIntermediate('b12-path', [...CA_EXT, 'subjectAltName=URI:spiffe://cluster.local/ca']))
      .toMatch(/^B12: .*has a path/);
    expect(viaIntermediate('b12-td', [...CA_EXT, 'subjectAltName=URI:spiffe://other.org']))
      .toMatch(/^B12: .*trust domain other.org/);
    expect(viaIntermediate('b12-id', [...CA_EXT, 'subjectAltName=URI:spiffe://cluster.local'])).toBe('ok');
    // The leaf is anchored directly, but the certificate after it signs nothing in the chain.
    expect(verdict({ chainPem: leafPem + otherRootPem + rootPem })).toBe('ok');
    ws.write('b12-order.key', keyPem);
    newKey('b12-i1');
    const i1 = sign('b12-i1', 'other', CA_EXT, '/CN=i1');
    expect(verdict({ chainPem: sign('b12-order', 'b12-i1', GOOD_LEAF) + i1 + rootPem, bundlePem: rootPem }))
      .toMatch(/^B12: chain certificate 1 \(CN=i1\) is not signed by chain certificate 2/);
  });

  it('B13: a leaf carries no name constraints', () => {
    expect(verdict({ chainPem: leafWith('b13', [...GOOD_LEAF, 'nameConstraints=critical,permitted;URI:.cluster.local']) }))
      .toMatch(/^B13: /);
  });

  it('B14: the chain verifies to the bundle of its trust domain, every certificate valid now', () => {
    expect(verdict({ bundlePem: otherRootPem })).toMatch(/^B17: .*trust bundle/);
    expect(verdict({ bundlePem: 'garbage' })).toMatch(/^B14: the trust bundle is unreadable/);
    const leaf = validateX509Svid({ chainPem: leafPem, keyPem, spiffeId: ID, bundlePem: rootPem });
    if (!leaf.ok) throw new Error(leaf.message);
    expect(verdict({ now: new Date(leaf.svid.notAfter.getTime() + 1000) })).toMatch(/^B14: the leaf .*expired at/);
    expect(verdict({ now: new Date(leaf.svid.notBefore.getTime() - 1000) })).toMatch(/^B14: the leaf .*not valid before/);
    expect(verdict({ now: new Date(Date.now() + 40 * 86_400_000), chainPem: leafPem })).toMatch(/^B14: /);
    ws.write('b14.key', keyPem);
    newKey('b14-ca');
    const inter = sign('b14-ca', 'other', CA_EXT, '/CN=elsewhere');
    expect(verdict({ chainPem: sign('b14', 'b14-ca', GOOD_LEAF) + inter }))
      .toBe('B14: the chain does not verify against the trust bundle of its trust domain');
    // No bundle known: the links inside the chain are all there is to check.
    expect(verdict({ bundlePem: '' })).toBe('ok');
  });

  it('B15: one unencrypted PKCS#8 PRIVATE KEY block, EC or RSA', () => {
    ws.run(['ec', '-in', 'leaf.key', '-out', 'leaf-sec1.key']);
    expect(verdict({ keyPem: ws.read('leaf-sec1.key') })).toMatch(/^B15: .*"EC PRIVATE KEY" block/);
    expect(verdict({ keyPem: keyPem + keyPem })).toMatch(/^B15: .*exactly one PEM block, found 2/);
    const ed = newKey('ed', ['-algorithm', 'ED25519']);
    expect(verdict({ keyPem: ed })).toMatch(/^B15: the private key is ed25519/);
    ws.run(['pkcs8', '-topk8', '-in', 'leaf.key', '-passout', 'pass:x', '-out', 'leaf-enc.key']);
    expect(verdict({ keyPem: ws.read('leaf-enc.key') })).toMatch(/^B15: .*"ENCRYPTED PRIVATE KEY"/);
  });

  it('B15, B16: an RSA SVID passes; another key fails', () => {
    newKey('rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    const rsaLeaf = sign('rsa', 'root', GOOD_LEAF);
    expect(verdict({ chainPem: rsaLeaf, keyPem: ws.read('rsa.key') })).toBe('ok');
    expect(verdict({ keyPem: newKey('stranger') })).toBe('B16: the leaf\'s public key does not match the private key');
  });

  it('B17: the leaf is signed by an authority of its domain, found by the exact bytes of its issuer name', () => {
    ws.write('b17.key', keyPem);
    expect(verdict({ chainPem: sign('b17', 'other', GOOD_LEAF) })).toMatch(/^B17: /);
    // Same key and a name that means the same, but encoded differently (PrintableString instead of
    // UTF8String): OpenSSL would match it, Go's chain building (byte comparison) does not.
    ws.write('root-printable.cnf', '[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n');
    ws.run(['req', '-x509', '-new', '-key', 'root.key', '-subj', '/O=cert-manager/CN=root CA', '-config', 'root-printable.cnf',
      '-days', '30', ...CA_EXT.flatMap((e) => ['-addext', e]), '-out', 'root-printable.crt']);
    ws.run(['x509', '-in', 'root-printable.crt', '-out', 'root-printable.crt']);
    const printable = ws.read('root-printable.crt');
    ws.write('b17-bytes.key', keyPem);
    ws.write('root-printable.key', ws.read('root.key'));
    const leaf = sign('b17-bytes', 'root-printable', GOOD_LEAF);
    expect(verdict({ chainPem: leaf, bundlePem: printable })).toBe('ok');
    expect(verdict({ chainPem: leaf, bundlePem: rootPem })).toMatch(/^B17: /);
  });
});
