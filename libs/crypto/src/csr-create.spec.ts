import { SpiffeIdError } from '@spiffe-csi/spiffe';
import { afterAll, describe, expect, it } from 'vitest';
import { OpensslWorkspace } from '../test-support/openssl';
import { createSpiffeCsr } from './csr-create';
import { inspectCsr } from './csr-inspect';
import { CURVE_OF, KEY_ALGORITHMS, generateKey } from './keys';
import { OID } from './oids';

const ws = new OpensslWorkspace();
afterAll(() => ws.cleanup());

const ID = 'spiffe://cluster.local/ns/team-a/sa/web';
const SIGNATURE = {
  'ecdsa-p256': 'ecdsa-with-SHA256',
  'ecdsa-p384': 'ecdsa-with-SHA384',
  'ecdsa-p521': 'ecdsa-with-SHA512',
} as const;

describe('createSpiffeCsr', () => {
  it.each(KEY_ALGORITHMS)('%s: openssl verifies it and sees the SPIFFE shape', async (alg) => {
    const key = await generateKey(alg);
    const pem = await createSpiffeCsr(key, ID);
    expect(pem).toMatch(
      /^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+\n-----END CERTIFICATE REQUEST-----\n$/,
    );
    const file = ws.write(`${alg}.csr`, pem);

    expect(ws.csrSignatureVerifies(file)).toBe(true);

    const text = ws.run(['req', '-in', file, '-noout', '-text']);
    expect(text).toMatch(/Subject:\s*\n/); // empty subject
    expect(text).toContain('X509v3 Subject Alternative Name: critical');
    expect(text).toContain(`URI:${ID}`);
    expect(text.match(/X509v3 /g)).toHaveLength(1); // no other extensions
    expect(text).toContain(`Signature Algorithm: ${SIGNATURE[alg]}`);
    expect(text).toContain(`NIST CURVE: ${CURVE_OF[alg]}`);

    // The public key in the CSR is ours.
    ws.run(['req', '-in', file, '-noout', '-pubkey', '-out', `${alg}.pub`]);
    expect(ws.read(`${alg}.pub`)).toBe(key.publicKey.export({ type: 'spki', format: 'pem' }));
  });

  it('round-trips through inspectCsr', async () => {
    const key = await generateKey('ecdsa-p256');
    const info = await inspectCsr(await createSpiffeCsr(key, ID));
    expect(info).toEqual({
      publicKey: { algorithm: 'ECDSA', namedCurve: 'P-256' },
      attributes: [{ oid: OID.extensionRequest, valueCount: 1 }],
      subject: [],
      sans: [{ type: 'uri', value: ID }],
      extensions: [{ oid: OID.subjectAltName, critical: true }],
      signatureValid: true,
    });
  });

  it.each(['https://example.com', 'spiffe://Bad/x', 'spiffe://td/a//b', ''])(
    'rejects a non-SPIFFE URI %j',
    async (uri) => {
      const key = await generateKey('ecdsa-p256');
      await expect(createSpiffeCsr(key, uri)).rejects.toThrow(SpiffeIdError);
    },
  );
});
