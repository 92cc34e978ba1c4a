import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeServiceAccountJwt } from '../csi-grpc/sa-token';
import { SecretLedger } from './secret-ledger';

// The log checks of every fault and hostile suite rely on this finding real leaks.
describe('SecretLedger', () => {
  const token = makeServiceAccountJwt();
  const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ledger = new SecretLedger();
  ledger.addToken(token);
  ledger.addToken('x'); // too short to be a secret: ignored
  ledger.addPrivateKey(keyPem);
  const source = (...lines: unknown[]) => [{ name: 'app', logs: lines, stderr: [] }];

  it('finds a token, its signature alone, a key body line and PEM markers', () => {
    expect(ledger.leaksIn(source({ msg: `Bearer ${token}` }))).toHaveLength(2); // whole token + its signature
    expect(ledger.leaksIn(source({ sig: token.split('.')[2] }))).toHaveLength(1);
    expect(ledger.leaksIn(source({ key: keyPem.split('\n')[1] }))).toHaveLength(1);
    expect(ledger.leaksIn([{ name: 'app', logs: [], stderr: ['-----BEGIN PRIVATE KEY-----'] }])).toHaveLength(1);
  });

  it('stays quiet for clean lines', () => {
    expect(ledger.leaksIn(source({ msg: 'volume published', volumeId: 'csi-1', token: '[REDACTED]' }))).toEqual([]);
  });
});
