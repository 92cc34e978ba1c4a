import { describe, expect, it } from 'vitest';
import { issuerRefMatches, normalizeIssuerRef } from './issuer-ref';
import { issuerRefFromConfigMap } from './runtime-issuer';

describe('issuerRefMatches', () => {
  const clusterIssuer = { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' };
  const issuer = { name: 'spiffe-ca', kind: 'Issuer', group: 'cert-manager.io' };

  it.each([
    [clusterIssuer, clusterIssuer, true],
    [{ name: 'spiffe-ca', kind: 'ClusterIssuer' }, clusterIssuer, true], // empty group → cert-manager.io
    [{ name: 'spiffe-ca', kind: 'ClusterIssuer', group: '' }, clusterIssuer, true],
    [{ name: 'spiffe-ca' }, issuer, true], // empty kind → Issuer
    [{ name: 'spiffe-ca' }, clusterIssuer, false],
    [{ name: 'other', kind: 'ClusterIssuer' }, clusterIssuer, false],
    [{ name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'example.com' }, clusterIssuer, false],
    [{ name: 'spiffe-ca', kind: 'clusterissuer' }, clusterIssuer, false],
    [undefined, clusterIssuer, false],
    [{ name: '' }, { name: '', kind: 'Issuer', group: 'cert-manager.io' }, false],
    ['spiffe-ca', clusterIssuer, false],
  ])('%j vs %j → %s', (requested, wanted, expected) => {
    expect(issuerRefMatches(requested, wanted)).toBe(expected);
  });

  it('normalizes like cert-manager', () => {
    expect(normalizeIssuerRef({ name: 'a' })).toEqual({
      name: 'a',
      kind: 'Issuer',
      group: 'cert-manager.io',
    });
    expect(normalizeIssuerRef({ name: 7 })).toBeUndefined();
  });
});

describe('issuerRefFromConfigMap', () => {
  const meta = { metadata: { name: 'cm', namespace: 'ns' } };
  it('reads the three keys', () => {
    const data = { 'issuer-name': 'ca', 'issuer-kind': 'Issuer', 'issuer-group': 'example.com' };
    expect(issuerRefFromConfigMap({ ...meta, data })).toEqual({
      name: 'ca',
      kind: 'Issuer',
      group: 'example.com',
    });
  });
  it('names every missing or empty key', () => {
    expect(
      issuerRefFromConfigMap({ ...meta, data: { 'issuer-name': 'ca', 'issuer-kind': ' ' } }),
    ).toEqual({
      problem: 'missing or empty keys: issuer-kind, issuer-group',
    });
    expect(issuerRefFromConfigMap(meta)).toEqual({
      problem: 'missing or empty keys: issuer-name, issuer-kind, issuer-group',
    });
  });
});
