import { describe, expect, it } from 'vitest';
import { derToPem, pemToDer, seededRandom } from '../test-support/csr-builder';
import { createSpiffeCsr } from './csr-create';
import { CsrParseError, inspectCsr } from './csr-inspect';
import { generateKey } from './keys';

// The approver feeds inspectCsr whatever a CertificateRequest contains: every mutation must end
// in a result or a CsrParseError, never another exception, and a changed byte must never leave
// the signature "valid".
describe('inspectCsr under mutation', () => {
  it('survives random byte flips, truncations and insertions of a real CSR', async () => {
    const original = pemToDer(
      await createSpiffeCsr(await generateKey('ecdsa-p256'), 'spiffe://td/ns/a/sa/b'),
    );
    const random = seededRandom(0x5eed);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 600; i++) {
      const der = Buffer.from(original);
      let mutated: Buffer = der;
      const mode = i % 3;
      const at = Math.floor(random() * der.length);
      if (mode === 0) der[at] ^= 1 + Math.floor(random() * 255);
      else if (mode === 1) mutated = der.subarray(0, at);
      else
        mutated = Buffer.concat([
          der.subarray(0, at),
          Buffer.from([Math.floor(random() * 256)]),
          der.subarray(at),
        ]);

      try {
        const info = await inspectCsr(derToPem(mutated));
        parsed++;
        if (!mutated.equals(original)) expect(info.signatureValid, `mutation ${i}`).toBe(false);
      } catch (error) {
        expect(error, `mutation ${i}`).toBeInstanceOf(CsrParseError);
        rejected++;
      }
    }
    // Both outcomes must occur, or the mutations are not reaching the parser.
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
