import { createPublicKey } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { OpensslWorkspace } from '../test-support/openssl';
import { CURVE_OF, KEY_ALGORITHMS, generateKey, isKeyAlgorithm, type KeyAlgorithm } from './keys';

const ws = new OpensslWorkspace();
afterAll(() => ws.cleanup());

const OPENSSL_CURVE: Record<KeyAlgorithm, string> = {
  'ecdsa-p256': 'prime256v1',
  'ecdsa-p384': 'secp384r1',
  'ecdsa-p521': 'secp521r1',
};

describe('generateKey', () => {
  it.each(KEY_ALGORITHMS)('%s: PKCS#8 PEM that openssl reads with the right curve', async (alg) => {
    const key = await generateKey(alg);
    expect(key.algorithm).toBe(alg);
    expect(key.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(key.privateKeyPem).toMatch(/-----END PRIVATE KEY-----\n$/);
    expect(key.privateKey.asymmetricKeyType).toBe('ec');

    const file = ws.write(`${alg}.key`, key.privateKeyPem);
    const text = ws.run(['pkey', '-in', file, '-noout', '-text']);
    expect(text).toContain(`ASN1 OID: ${OPENSSL_CURVE[alg]}`);
    expect(text).toContain(`NIST CURVE: ${CURVE_OF[alg]}`);

    // The public half openssl derives is the one we return.
    const pub = ws.run(['pkey', '-in', file, '-pubout']);
    expect(createPublicKey(pub).export({ type: 'spki', format: 'der' })).toEqual(
      key.publicKey.export({ type: 'spki', format: 'der' }),
    );
  });

  it('generates a fresh key every time', async () => {
    const [a, b] = await Promise.all([generateKey('ecdsa-p256'), generateKey('ecdsa-p256')]);
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem);
  });

  it('rejects an unknown algorithm', async () => {
    await expect(generateKey('rsa-2048' as KeyAlgorithm)).rejects.toThrow(
      /unsupported key algorithm/,
    );
    expect(isKeyAlgorithm('ecdsa-p384')).toBe(true);
    expect(isKeyAlgorithm('ecdsa-p999')).toBe(false);
  });
});
