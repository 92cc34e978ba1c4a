import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePemBlocks } from '@spiffe-csi/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest, type SignInput } from './ca-signer';
import { certificateSubject, csrParts } from './x509-parts';
import { createSelfSignedCa, loadCa, type CertificateAuthority } from './x509-util';

// Every issued certificate is judged by the openssl CLI, not by the code that wrote it.
let dir: string;
let ca: CertificateAuthority;
let caPath: string;
let file = 0;

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const derOf = (pem: string) => decodePemBlocks(pem)[0].der;

function save(pem: string): string {
  const path = join(dir, `${++file}.pem`);
  writeFileSync(path, pem);
  return path;
}

/** An openssl-made CSR: `subject` in openssl's /A=b form ('/' for none), SAN as an -addext value. */
function csr(curve: 'prime256v1' | 'secp521r1', subject: string, san?: string): string {
  const key = join(dir, `${++file}.key`);
  openssl('ecparam', '-name', curve, '-genkey', '-noout', '-out', key);
  const out = join(dir, `${++file}.csr`);
  openssl('req', '-new', '-key', key, '-subj', subject, ...(san ? ['-addext', `subjectAltName=${san}`] : []), '-out', out);
  return readFileSync(out, 'latin1');
}

const request = (pem: string): string => Buffer.from(pem, 'latin1').toString('base64');

/** `openssl x509 -text`'s X509v3 extensions, by name. */
function extensionsOf(text: string): Record<string, { critical: boolean; value: string }> {
  const found: Record<string, { critical: boolean; value: string }> = {};
  for (const m of text.matchAll(/^ {12}X509v3 ([^:\n]+):( critical)? *\n\s+(.+)$/gm)) {
    found[m[1]] = { critical: !!m[2], value: m[3].trim() };
  }
  return found;
}

/** The DER of an extension's value, as `openssl asn1parse` dumps it (upper-case hex). */
function extensionValueHex(pem: string, name: string): string | undefined {
  return openssl('asn1parse', '-in', save(pem)).match(new RegExp(`:X509v3 ${name}\\s*\\n(?:.*BOOLEAN.*\\n)?.*\\[HEX DUMP\\]:([0-9A-F]+)`))?.[1];
}

/** A certificate's issuer or subject Name DER, cut out at the offsets `openssl asn1parse` reports. */
function nameDer(pem: string, which: 'issuer' | 'subject'): Buffer {
  const der = derOf(pem);
  // TBSCertificate's children (depth 2): version, serial, signature, issuer, validity, subject, ...
  const children = [...openssl('asn1parse', '-in', save(pem)).matchAll(/^ *(\d+):d=2 +hl= *(\d+) +l= *(\d+)/gm)];
  const [, offset, header, length] = children[which === 'issuer' ? 3 : 5];
  return der.subarray(Number(offset), Number(offset) + Number(header) + Number(length));
}

/** Signs, checks the chain with `openssl verify`, and returns the `-text` dump and the PEM. */
async function issue(input: SignInput, authority = ca): Promise<{ text: string; pem: string }> {
  const pem = await signRequest(authority, input);
  const leaf = save(pem);
  const anchor = authority === ca ? caPath : save(authority.certPem);
  expect(openssl('verify', '-CAfile', anchor, leaf)).toContain(': OK');
  return { text: openssl('x509', '-noout', '-text', '-in', leaf), pem };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-signer-test-'));
  ca = await createSelfSignedCa('signer test CA');
  caPath = save(ca.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('signRequest', () => {
  const caKeyId = () => extensionsOf(openssl('x509', '-noout', '-text', '-in', caPath))['Subject Key Identifier'].value;

  for (const [curve, bits] of [['prime256v1', 'P-256'], ['secp521r1', 'P-521']] as const) {
    it(`issues a leaf for a ${bits} CSR: subject, key and SAN copied, usages applied, AKI = CA's SKI`, async () => {
      const csrPem = csr(curve, '/CN=foo/O=bar', 'DNS:a.example,URI:spiffe://x/y');
      const usages = ['digital signature', 'key encipherment', 'server auth', 'client auth'];
      const { text, pem } = await issue({ request: request(csrPem), usages, duration: '1h0m0s' });

      expect(text).toContain('Version: 3 (0x2)');
      expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
      expect(text).toContain('Issuer: CN = signer test CA');
      expect(text).toContain('Subject: CN = foo, O = bar');
      expect(text).toContain(`NIST CURVE: ${bits}`);
      expect(Buffer.from(certificateSubject(derOf(pem)))).toEqual(Buffer.from(csrParts(derOf(csrPem)).subject));
      expect(extensionsOf(text)).toEqual({
        'Basic Constraints': { critical: true, value: 'CA:FALSE' },
        'Key Usage': { critical: true, value: 'Digital Signature, Key Encipherment' },
        'Extended Key Usage': { critical: false, value: 'TLS Web Server Authentication, TLS Web Client Authentication' },
        'Subject Alternative Name': { critical: false, value: 'DNS:a.example, URI:spiffe://x/y' },
        'Authority Key Identifier': { critical: false, value: caKeyId() },
      });
      const [notBefore, notAfter] = ['Not Before', 'Not After '].map((k) => Date.parse(text.match(new RegExp(`${k}: (.+)`))![1]));
      expect(notAfter - notBefore).toBe(3_600_000);
      expect(Math.abs(notBefore - Date.now())).toBeLessThan(5_000);
    });

    it(`issues a CA certificate for a ${bits} CSR: CA:TRUE and keyCertSign`, async () => {
      const { text } = await issue({ request: request(csr(curve, '/CN=intermediate', 'DNS:ca.example')), isCA: true, usages: ['digital signature'] });
      expect(extensionsOf(text)).toMatchObject({
        'Basic Constraints': { critical: true, value: 'CA:TRUE' },
        'Key Usage': { critical: true, value: 'Digital Signature, Certificate Sign' },
        'Subject Alternative Name': { critical: false, value: 'DNS:ca.example' },
      });
      expect(extensionsOf(text)['Extended Key Usage']).toBeUndefined();
    });
  }

  it('marks the SAN critical when the subject is empty, and keeps a critical SAN critical', async () => {
    const plain = await issue({ request: request(csr('prime256v1', '/', 'URI:spiffe://cluster.local/ns/a/sa/b')) });
    expect(plain.text).toMatch(/Subject: *\n/);
    expect(extensionsOf(plain.text)['Subject Alternative Name']).toEqual({ critical: true, value: 'URI:spiffe://cluster.local/ns/a/sa/b' });
    const marked = await issue({ request: request(csr('prime256v1', '/CN=named', 'critical,DNS:b.example')) });
    expect(extensionsOf(marked.text)['Subject Alternative Name']).toEqual({ critical: true, value: 'DNS:b.example' });
  });

  it('defaults usages to digital signature + key encipherment; maps every key usage bit; dedupes EKUs', async () => {
    const issued = await issue({ request: request(csr('prime256v1', '/CN=d')) });
    const defaults = extensionsOf(issued.text);
    expect(extensionValueHex(issued.pem, 'Key Usage')).toBe('030205A0'); // DER: 5 unused trailing bits
    expect(defaults['Key Usage']).toEqual({ critical: true, value: 'Digital Signature, Key Encipherment' });
    expect(defaults['Extended Key Usage']).toBeUndefined();
    expect(defaults['Subject Alternative Name']).toBeUndefined();

    const usages = ['content commitment', 'data encipherment', 'key agreement', 'crl sign', 'encipher only', 'decipher only', 's/mime', 'email protection', 'ocsp signing'];
    const allIssued = await issue({ request: request(csr('prime256v1', '/CN=u')), usages });
    expect(extensionValueHex(allIssued.pem, 'Key Usage')).toBe('0303075B80'); // bits 1,3,4,6,7 + 8
    const all = extensionsOf(allIssued.text);
    expect(all['Key Usage']).toEqual({
      critical: true,
      value: 'Non Repudiation, Data Encipherment, Key Agreement, CRL Sign, Encipher Only, Decipher Only',
    });
    expect(all['Extended Key Usage']).toEqual({ critical: false, value: 'E-mail Protection, OCSP Signing' });
  });

  it('copies the CA certificate\'s subject DER verbatim as the issuer (Go matches parents by these bytes)', async () => {
    // An openssl-made CA whose subject uses PrintableString (string_mask=default) and a
    // multi-valued RDN: anything that re-encodes the name instead of copying it changes the bytes.
    const key = join(dir, 'bytes-ca.key');
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key);
    const cnf = save('[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n');
    const caCert = join(dir, 'bytes-ca.pem');
    openssl('req', '-x509', '-new', '-key', key, '-config', cnf, '-multivalue-rdn', '-subj', '/C=DE/O=Example+OU=PKI/CN=Bytes CA',
      '-days', '1', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-out', caCert);
    const authority = await loadCa(readFileSync(caCert, 'utf8'), readFileSync(key, 'utf8'));
    expect(openssl('asn1parse', '-in', caCert)).toMatch(/PRINTABLESTRING +:Bytes CA/);

    const { pem } = await issue({ request: request(csr('prime256v1', '/', 'critical,URI:spiffe://cluster.local/ns/a/sa/b')) }, authority);
    expect(nameDer(pem, 'issuer').equals(nameDer(readFileSync(caCert, 'utf8'), 'subject'))).toBe(true);
    expect(openssl('verify', '-x509_strict', '-CAfile', caCert, save(pem))).toContain(': OK');
  });

  it('caps notAfter at the CA expiry and switches to GeneralizedTime from 2050 (RFC 5280)', async () => {
    const shortCa = await createSelfSignedCa('short CA', 1);
    const capped = await issue({ request: request(csr('prime256v1', '/CN=c')), duration: '100h' }, shortCa);
    expect(capped.text.match(/Not After : (.+)/)![1]).toBe(openssl('x509', '-noout', '-enddate', '-in', save(shortCa.certPem)).trim().split('=')[1]);

    const longCa = await createSelfSignedCa('long CA', 40 * 366);
    const { pem } = await issue({ request: request(csr('prime256v1', '/CN=l')), duration: `${35 * 366 * 24}h` }, longCa);
    const times = openssl('asn1parse', '-in', save(pem)).match(/(UTCTIME|GENERALIZEDTIME) +:\d+Z/g);
    expect(times?.map((t) => t.split(/ +:/)[0])).toEqual(['UTCTIME', 'GENERALIZEDTIME']);
  });

  it('refuses a tampered CSR with the signature error, and a malformed one with a decode error', async () => {
    const pem = csr('secp521r1', '/', 'URI:spiffe://cluster.local/ns/a/sa/b');
    const der = derOf(pem);
    const wrap = (bytes: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${bytes.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const sanAt = der.indexOf(Buffer.from('spiffe://'));
    const tampered = Buffer.from(der);
    tampered[sanAt + 10] ^= 0x01; // a different SPIFFE ID under the same signature
    await expect(signRequest(ca, { request: request(wrap(tampered)) })).rejects.toThrow(
      /^error checking CSR signature: signature does not match the public key$/,
    );
    await expect(signRequest(ca, { request: request(wrap(der.subarray(0, der.length - 4))) })).rejects.toThrow(/^failed to decode csr: /);
    await expect(signRequest(ca, { request: request(pem + pem) })).rejects.toThrow(
      /^failed to decode csr: expected exactly one CERTIFICATE REQUEST PEM block$/,
    );
    await expect(signRequest(ca, { request: request(pem), duration: 'soon' })).rejects.toThrow('invalid duration "soon"');
  });
});
