import { createPublicKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeX509Bundle } from './spiffe-bundle';

// CA certificates from the openssl CLI: nothing of ours makes the inputs.
const dir = mkdtempSync(join(tmpdir(), 'spiffe-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ca(name: string, newkey: string[]): Buffer {
  execFileSync('openssl', ['req', '-x509', '-nodes', ...newkey, '-keyout', join(dir, `${name}.key`), '-subj', `/CN=${name}`,
    '-days', '1', '-outform', 'DER', '-out', join(dir, `${name}.der`)], { stdio: 'pipe' });
  return readFileSync(join(dir, `${name}.der`));
}

describe('encodeX509Bundle', () => {
  const ec = ca('ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']);
  const rsa = ca('rsa', ['-newkey', 'rsa:2048']);

  it('writes one x509-svid JWK per CA: kty, the public key parameters and x5c with that one certificate', () => {
    const doc = JSON.parse(encodeX509Bundle([ec, rsa, ec]));
    expect(Object.keys(doc)).toEqual(['keys']);
    expect(doc.keys).toHaveLength(2);
    const [ecKey, rsaKey] = doc.keys;
    expect(ecKey).toMatchObject({ use: 'x509-svid', kty: 'EC', crv: 'P-384', x5c: [ec.toString('base64')] });
    expect(Object.keys(ecKey).sort()).toEqual(['crv', 'kty', 'use', 'x', 'x5c', 'y']);
    expect(rsaKey).toMatchObject({ use: 'x509-svid', kty: 'RSA', e: 'AQAB', x5c: [rsa.toString('base64')] });
    expect(Object.keys(rsaKey).sort()).toEqual(['e', 'kty', 'n', 'use', 'x5c']);
    for (const [key, der] of [[ecKey, ec], [rsaKey, rsa]] as const) {
      expect(key.kid).toBeUndefined();
      // The JWK parameters are the certificate's public key.
      const jwk = createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x, y: key.y, n: key.n, e: key.e }, format: 'jwk' });
      expect(jwk.equals(new X509Certificate(der).publicKey)).toBe(true);
    }
  });

  it('writes an empty key list for no CA (every SVID of the domain untrusted) and ends with a newline', () => {
    expect(encodeX509Bundle([])).toBe('{\n  "keys": []\n}\n');
  });
});
