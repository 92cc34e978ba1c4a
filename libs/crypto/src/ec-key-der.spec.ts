import { createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { encodeEcKey } from './ec-key-der';
import type { NamedCurve } from './curves';

const generateEcKeyPair = promisify(generateKeyPair);

describe('encodeEcKey', () => {
  // Enough keys that some scalars and coordinates start with zero bytes (padding must be kept).
  // Generated asynchronously, as the product does: see encodeEcKey on generateKeyPairSync.
  it.each([
    ['P-256', 2000],
    ['P-384', 300],
    ['P-521', 200],
  ] as [NamedCurve, number][])(
    'writes exactly the DER OpenSSL exports for %s keys',
    async (curve, count) => {
      for (let i = 0; i < count; i++) {
        const { privateKey, publicKey } = await generateEcKeyPair('ec', { namedCurve: curve });
        const { spkiDer, pkcs8Der } = encodeEcKey(privateKey, curve);
        expect(spkiDer.equals(publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
        expect(pkcs8Der.equals(privateKey.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
      }
    },
  );

  it('produces keys OpenSSL loads back as the same key', async () => {
    const { privateKey } = await generateEcKeyPair('ec', { namedCurve: 'P-521' });
    const { spkiDer, pkcs8Der } = encodeEcKey(privateKey, 'P-521');
    const reloaded = createPrivateKey({ key: pkcs8Der, format: 'der', type: 'pkcs8' });
    expect(reloaded.export({ format: 'jwk' })).toEqual(privateKey.export({ format: 'jwk' }));
    expect(
      createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }).asymmetricKeyDetails,
    ).toEqual({ namedCurve: 'secp521r1' });
  });

  it('refuses keys that are not EC private keys', async () => {
    const { privateKey, publicKey } = await promisify(generateKeyPair)('ed25519');
    expect(() => encodeEcKey(privateKey, 'P-256')).toThrow(/not an EC private key/);
    const ec = await generateEcKeyPair('ec', { namedCurve: 'P-256' });
    expect(() => encodeEcKey(ec.publicKey, 'P-256')).toThrow(/not an EC private key/);
    expect(publicKey.type).toBe('public');
  });
});
