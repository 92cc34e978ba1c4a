import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, pinoLevelForVerbosity, REDACTED, redactSecrets, TRUNCATED } from './logger';

function capture(level = 1) {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: createLogger({ level, name: 'test-app', destination }), lines, raw };
}

const SECRET = 'eyJhbGciOiJSUzI1NiJ9.SECRET-TOKEN.sig';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----';
const CSR_PEM = '-----BEGIN CERTIFICATE REQUEST-----\nSECRETCSR\n-----END CERTIFICATE REQUEST-----';
// A ServiceAccount token's shape: base64url JSON header and payload, then the signature.
const JWT = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"sub":"SECRET"}').toString('base64url')}.c2lnbmF0dXJl`;

describe('createLogger', () => {
  it('writes JSON with the app name and message', () => {
    const { logger, lines } = capture();
    logger.info({ volumeId: 'v1' }, 'published');
    expect(lines[0]).toMatchObject({
      name: 'test-app',
      msg: 'published',
      volumeId: 'v1',
      level: 30,
    });
  });

  it.each([
    ['top level', { token: SECRET }],
    ['tokens', { tokens: SECRET }],
    ['privateKey', { privateKey: KEY_PEM }],
    ['key', { key: KEY_PEM }],
    ['privateKeyPem', { generated: { privateKeyPem: KEY_PEM } }],
    ['csr', { cr: { spec: { csr: CSR_PEM } } }],
    ['a CSR PEM under any name', { cr: { spec: { request: CSR_PEM } } }],
    [
      'a CSR as the API carries it (base64 of the PEM)',
      { cr: { spec: { request: Buffer.from(CSR_PEM).toString('base64') } } },
    ],
    ['a key PEM under any name', { detail: KEY_PEM }],
    ['secrets', { request: { volume_id: 'v', secrets: { password: 'SECRET-PASSWORD' } } }],
    ['a JWT inside a text', { cause: `401 for Bearer ${JWT}, retrying` }],
    ['authorization', { headers: { authorization: `Bearer ${SECRET}` } }],
    [
      'volume context',
      {
        volumeContext: { 'csi.storage.k8s.io/serviceAccount.tokens': `{"":{"token":"${SECRET}"}}` },
      },
    ],
    ['deep', { a: { b: { c: { d: { token: SECRET } } } } }],
    ['in an array', { identities: [{ token: SECRET }] }],
  ])('never shows a secret: %s', (_label, fields) => {
    const { logger, raw } = capture();
    logger.info(fields, 'something happened');
    expect(raw[0]).not.toMatch(/SECRET/);
    expect(raw[0]).toContain(REDACTED);
  });

  // Issue 11 item 8: `request` was redacted as a secret, so every CertificateRequest name and the
  // CSI request printed as [REDACTED] in production.
  it('prints CertificateRequest names and the (already redacted) CSI request under `request`', () => {
    const { logger, lines } = capture();
    logger.info({ volumeId: 'v1', request: 'sandbox/app-7x2kq' }, 'certificate request created');
    logger.info({ rpc: 'Node/NodePublishVolume', request: { volume_id: 'csi-1' } }, 'gRPC call');
    expect(lines[0]).toMatchObject({ request: 'sandbox/app-7x2kq' });
    expect(lines[1]).toMatchObject({ request: { volume_id: 'csi-1' } });
  });

  it('keeps the text around a JWT it cuts out', () => {
    const { logger, lines } = capture();
    logger.warn({ cause: `401 for Bearer ${JWT}, retrying` }, 'failed');
    expect(lines[0].cause).toBe(`401 for Bearer ${REDACTED}, retrying`);
  });

  it('redacts in child logger bindings too', () => {
    const { logger, raw } = capture();
    logger.child({ token: SECRET }).info('child');
    expect(raw[0]).not.toContain('SECRET');
  });

  it('redacts in grandchild bindings and in objects printed through toJSON', () => {
    const { logger, raw } = capture();
    const printable = { toJSON: () => ({ server: 'https://api', token: SECRET }) };
    logger
      .child({ a: 1 })
      .child({ nested: { authorization: SECRET } })
      .info({ printable }, 'deep child');
    expect(raw[0]).not.toContain('SECRET');
    expect(JSON.parse(raw[0])).toMatchObject({
      a: 1,
      printable: { server: 'https://api', token: REDACTED },
    });
  });

  it('keeps an error readable while redacting its secret fields', () => {
    const { logger, lines } = capture();
    const err = Object.assign(new Error('boom'), { request: CSR_PEM, code: 7 });
    logger.error({ err }, 'failed');
    expect(JSON.stringify(lines[0])).not.toContain('SECRETCSR');
    expect(lines[0].err).toMatchObject({ message: 'boom', code: 7, request: REDACTED });
  });

  it('leaves ordinary fields alone', () => {
    const { logger, lines } = capture();
    logger.info({ spiffeId: 'spiffe://cluster.local/ns/a/sa/b', notAfter: '2030-01-01' }, 'issued');
    expect(lines[0]).toMatchObject({
      spiffeId: 'spiffe://cluster.local/ns/a/sa/b',
      notAfter: '2030-01-01',
    });
  });

  it('filters by verbosity', () => {
    const quiet = capture(1);
    quiet.logger.debug('hidden');
    quiet.logger.info('shown');
    expect(quiet.lines.map((l) => l.msg)).toEqual(['shown']);

    const chatty = capture(5);
    chatty.logger.trace('trace line');
    expect(chatty.lines.map((l) => l.msg)).toEqual(['trace line']);
  });
});

describe('redactSecrets', () => {
  it('returns objects without secrets unchanged (no copy) and never mutates the input', () => {
    const clean = { a: { b: [1, { c: 'x' }] } };
    expect(redactSecrets(clean)).toBe(clean);
    const dirty = { a: { token: SECRET }, keep: { b: 1 } };
    const out = redactSecrets(dirty) as typeof dirty;
    expect(out).toEqual({ a: { token: REDACTED }, keep: { b: 1 } });
    expect(out.keep).toBe(dirty.keep);
    expect(dirty.a.token).toBe(SECRET);
  });

  it('cuts structures deeper than it checks instead of printing them unchecked', () => {
    let deep: Record<string, unknown> = { token: SECRET };
    for (let i = 0; i < 12; i++) deep = { next: deep };
    expect(JSON.stringify(redactSecrets(deep))).not.toContain('SECRET');
    expect(JSON.stringify(redactSecrets(deep))).toContain(TRUNCATED);
    let seven: Record<string, unknown> = { token: SECRET };
    for (let i = 0; i < 7; i++) seven = { next: seven };
    expect(JSON.stringify(redactSecrets(seven))).toContain(REDACTED);
  });
});

describe('pinoLevelForVerbosity', () => {
  it.each([
    [0, 'info'],
    [1, 'info'],
    [2, 'debug'],
    [3, 'debug'],
    [4, 'trace'],
    [10, 'trace'],
  ])('-v=%d → %s', (verbosity, level) => {
    expect(pinoLevelForVerbosity(verbosity)).toBe(level);
  });
});
