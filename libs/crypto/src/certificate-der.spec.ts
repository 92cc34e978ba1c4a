import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test-support/csr-builder';
import { CertificateParseError, parseCertificateChain } from './certificates';
import { readCertificateDer } from './certificate-der';
import { DerError, TAG } from './der-reader';
import { booleanTrue, smallInteger, tlv } from './der-writer';
import { PemError } from './pem';
import {
  EXTENSIONS,
  basicConstraints,
  certificate,
  certificatePem,
  extension,
  extensions,
  hex,
  nest,
  san,
  spki,
  uri,
  version,
  withTbs,
} from './testing/certificate-builder';

describe('readCertificateDer', () => {
  it('reads every field of a v3 certificate', () => {
    const fields = readCertificateDer(certificate());
    expect(fields).toMatchObject({
      version: 3,
      serialNumber: '8badf00d',
      issuer: 'CN=Test CA',
      subject: 'CN=leaf',
      sans: [{ type: 'uri', value: 'spiffe://td/a' }],
      isCA: false,
    });
    expect(fields.notBefore.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(fields.notAfter.toISOString()).toBe('2051-01-01T00:00:00.000Z');
    expect(fields.spkiDer.equals(spki)).toBe(true);
  });

  it('reads a v1 certificate (no version field, no extensions) and v2 unique IDs', () => {
    const v1 = readCertificateDer(certificate((p) => p.tbs.splice(EXTENSIONS, 1) && p.tbs.shift()));
    expect(v1).toMatchObject({ version: 1, sans: [], isCA: false });
    const v2 = certificate(
      (p) =>
        p.tbs.splice(0, 1, version(1)) &&
        p.tbs.splice(EXTENSIONS, 1, hex('8102 0001'), hex('8201 00')),
    );
    expect(readCertificateDer(v2).version).toBe(2);
  });

  it('reads cA from basicConstraints, with or without a path length', () => {
    const ca = (...fields: Buffer[]) =>
      readCertificateDer(withTbs(EXTENSIONS, extensions(basicConstraints(...fields)))).isCA;
    expect(ca(booleanTrue(), smallInteger(0))).toBe(true);
    expect(ca(booleanTrue())).toBe(true);
    expect(ca()).toBe(false);
  });

  // Formats as @peculiar/x509 printed them: lower-case hex, without the 00 that keeps a positive
  // INTEGER positive; negative serials (which CAs must not issue) as their two's complement bytes.
  it.each([
    ['01', '01'],
    ['00', '00'],
    ['7f', '7f'],
    ['0080', '80'],
    ['00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff', 'ff00ff00ff00ff00ff00ff00ff00ff00ff00ff'],
    ['80', '80'],
    ['ff7f', 'ff7f'],
  ])('formats serial %s as %s', (bytes, expected) => {
    expect(readCertificateDer(withTbs(1, tlv(TAG.integer, hex(bytes)))).serialNumber).toBe(
      expected,
    );
  });
});

describe('parseCertificateChain on hostile input', () => {
  const good = certificate();

  it('names the certificate that is malformed in a chain', () => {
    const chain = certificatePem(good) + certificatePem(withTbs(1, tlv(TAG.integer)));
    expect(() => parseCertificateChain(chain)).toThrow(
      /^certificate 1 is malformed: serial number is empty$/,
    );
  });

  it('stops at a fixed depth however deeply the input nests', () => {
    const deep = nest(hex('0500'), 20_000);
    expect(() => parseCertificateChain(certificatePem(deep))).toThrow(
      /^certificate 0 is malformed: signature algorithm is truncated$/,
    );
    // Opaque values are skipped whole, not descended into.
    const fields = readCertificateDer(
      withTbs(
        EXTENSIONS,
        extensions(san(uri('spiffe://td/a'), tlv(0xa4, deep)), extension('1.2.3.4', deep)),
      ),
    );
    expect(fields.sans).toEqual([
      { type: 'uri', value: 'spiffe://td/a' },
      { type: 'other', value: 'directoryName' },
    ]);
  });

  // Every mutation must end in a result or a CertificateParseError that says why, never another
  // exception, a hang or a reason-less failure.
  it('survives random byte flips, truncations and insertions of a certificate', () => {
    const random = seededRandom(0xce27);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 1500; i++) {
      const der = Buffer.from(good);
      const at = Math.floor(random() * der.length);
      const byte = Math.floor(random() * 256);
      let mutated: Buffer = der;
      if (i % 3 === 0) der[at] ^= byte || 1;
      else if (i % 3 === 1) mutated = der.subarray(0, at);
      else mutated = Buffer.concat([der.subarray(0, at), Buffer.from([byte]), der.subarray(at)]);
      try {
        parseCertificateChain(certificatePem(mutated));
        parsed++;
      } catch (error) {
        expect(error, `mutation ${i}`).toBeInstanceOf(CertificateParseError);
        const cause = (error as Error).cause;
        if (cause !== undefined) {
          expect([DerError, PemError], `mutation ${i}`).toContain((cause as object).constructor);
        }
        rejected++;
      }
    }
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});
