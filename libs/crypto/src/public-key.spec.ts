import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSpki, loadSpkiFast, spkiDerOf } from './public-key';

const DATA = Buffer.from('signed bytes');

function ecKey(curve: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

/** The same key with its point compressed, re-encoded by the openssl CLI. */
function compressed(spki: Buffer): Buffer {
  return execFileSync(
    'openssl',
    ['ec', '-pubin', '-inform', 'DER', '-outform', 'DER', '-conv_form', 'compressed'],
    {
      input: spki,
      stdio: ['pipe', 'pipe', 'ignore'],
    },
  );
}

describe('loadSpkiFast', () => {
  it.each(['P-256', 'P-384', 'P-521'])(
    'loads %s keys (uncompressed and compressed) that verify like loadSpki',
    async (curve) => {
      const { privateKey, spki } = ecKey(curve);
      const signature = sign('sha256', DATA, privateKey);
      for (const der of [spki, compressed(spki)]) {
        const key = await loadSpkiFast(der);
        expect(key?.asymmetricKeyType).toBe('ec');
        expect(verify('sha256', DATA, key!, signature)).toBe(true);
        expect(spkiDerOf(key!)).toEqual(spkiDerOf(loadSpki(der)!));
      }
    },
  );

  it('refuses a point that is not on the curve, as loadSpki does', async () => {
    const { spki } = ecKey('P-521');
    const offCurve = Buffer.from(spki);
    offCurve[offCurve.length - 1] ^= 0x01; // last byte of y
    expect(loadSpki(offCurve)).toBeUndefined();
    expect(await loadSpkiFast(offCurve)).toBeUndefined();
  });

  it('hands other key types to loadSpki', async () => {
    for (const type of ['ed25519', 'rsa'] as const) {
      const { publicKey } =
        type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ed25519');
      const der = publicKey.export({ type: 'spki', format: 'der' });
      expect((await loadSpkiFast(der))?.asymmetricKeyType).toBe(type);
    }
    const { spki } = ecKey('secp256k1');
    expect((await loadSpkiFast(spki))?.asymmetricKeyDetails?.namedCurve).toBe('secp256k1');
    expect(await loadSpkiFast(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]))).toBeUndefined();
  });
});
