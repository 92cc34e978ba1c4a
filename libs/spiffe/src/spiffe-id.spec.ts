import { describe, expect, it } from 'vitest';
import { SpiffeId, SpiffeIdError, validateTrustDomain } from './spiffe-id';

const td255 = 'a'.repeat(255);
const maxPath = '/' + 'p'.repeat(2048 - 'spiffe://td'.length - 1);

describe('SpiffeId.parse accepts valid IDs', () => {
  it.each([
    ['spiffe://cluster.local', 'cluster.local', ''],
    ['spiffe://cluster.local/ns/default/sa/default', 'cluster.local', '/ns/default/sa/default'],
    ['spiffe://example.org/Path/With/UPPER', 'example.org', '/Path/With/UPPER'],
    ['spiffe://td/a.b-c_d/e', 'td', '/a.b-c_d/e'],
    ['spiffe://192.168.1.1/x', '192.168.1.1', '/x'], // A7: dotted quad is just a name
    ['spiffe://under_score-dash.0/x', 'under_score-dash.0', '/x'],
    ['spiffe://a/...', 'a', '/...'], // three dots is a normal segment, not a dot segment
    ['spiffe://a/.hidden', 'a', '/.hidden'],
    [`spiffe://${td255}/x`, td255, '/x'], // A6 boundary
    [`spiffe://td${maxPath}`, 'td', maxPath], // A16 boundary: exactly 2048 bytes
  ])('%s', (input, trustDomain, path) => {
    const id = SpiffeId.parse(input);
    expect(id.trustDomain).toBe(trustDomain);
    expect(id.path).toBe(path);
    expect(id.toString()).toBe(input);
  });
});

describe('SpiffeId.parse rejects invalid IDs, naming the rule', () => {
  it.each([
    ['', /cannot be empty/],
    ['SPIFFE://td/x', /scheme is missing or invalid/], // A1: literal lowercase scheme
    ['Spiffe://td/x', /scheme is missing or invalid/],
    ['https://td/x', /scheme is missing or invalid/],
    ['spiffe:/td/x', /scheme is missing or invalid/],
    ['spiffe:x', /scheme is missing or invalid/],
    ['td/x', /scheme is missing or invalid/],
    [' spiffe://td/x', /scheme is missing or invalid/],
    ['spiffe://', /trust domain is missing/], // A2
    ['spiffe:///x', /trust domain is missing/],
    ['spiffe://user@td/x', /userinfo/], // A3
    ['spiffe://td:8443/x', /port/],
    ['spiffe://Cluster.local/x', /must be lowercase/], // A4
    ['spiffe://td!/x', /limited to lowercase letters/],
    ['spiffe://t d/x', /limited to lowercase letters/],
    ['spiffe://tä/x', /limited to lowercase letters/],
    ['spiffe://[::1]/x', /limited to lowercase letters/], // A7: IPv6 outside charset
    ['spiffe://t%41/x', /percent-encoded/], // A5
    [`spiffe://${td255}a/x`, /longer than 255 bytes/], // A6
    ['spiffe://td?x=1', /query/], // A8
    ['spiffe://td/x?y=1', /query/],
    ['spiffe://td#frag', /fragment/],
    ['spiffe://td/x#frag', /fragment/],
    ['spiffe://td/a%2Fb', /percent-encoded/], // A11
    ['spiffe://td//x', /empty segments/], // A12
    ['spiffe://td/a//b', /empty segments/],
    ['spiffe://td/./x', /dot segments/], // A13
    ['spiffe://td/a/..', /dot segments/],
    ['spiffe://td/a/.', /dot segments/],
    ['spiffe://td/', /trailing slash/], // A14
    ['spiffe://td/a/', /trailing slash/],
    ['spiffe://td/a b', /limited to letters/], // A15
    ['spiffe://td/a:b', /limited to letters/],
    ['spiffe://td/a@b', /limited to letters/],
    ['spiffe://td/ä', /limited to letters/],
    [`spiffe://td${maxPath}p`, /longer than 2048 bytes/], // A16
    [`spiffe://td/${'é'.repeat(1100)}`, /longer than 2048 bytes/], // bytes, not characters
  ])('%j', (input, message) => {
    expect(() => SpiffeId.parse(input)).toThrow(SpiffeIdError);
    expect(() => SpiffeId.parse(input)).toThrow(message);
  });

  it('rejects non-string input without crashing', () => {
    expect(() => SpiffeId.parse(undefined as unknown as string)).toThrow(SpiffeIdError);
    expect(() => SpiffeId.parse(42 as unknown as string)).toThrow(SpiffeIdError);
  });
});

describe('validateTrustDomain', () => {
  it.each(['cluster.local', 'example.org', '10.0.0.1', 'a', 'a_b-c.d', td255])(
    'accepts %s',
    (td) => {
      expect(validateTrustDomain(td)).toBeNull();
    },
  );

  it.each([
    ['', /missing/],
    ['Example.org', /lowercase/],
    ['td:80', /port/],
    ['u@td', /userinfo/],
    ['t%20d', /percent/],
    ['td/x', /limited to lowercase/],
    [td255 + 'a', /255 bytes/],
  ])('rejects %j', (td, reason) => {
    expect(validateTrustDomain(td)).toMatch(reason);
  });
});

describe('SpiffeId.forServiceAccount', () => {
  it('builds spiffe://td/ns/<ns>/sa/<sa>', () => {
    const id = SpiffeId.forServiceAccount('cluster.local', 'team-a', 'web.server');
    expect(id.toString()).toBe('spiffe://cluster.local/ns/team-a/sa/web.server');
    expect(id.path).toBe('/ns/team-a/sa/web.server');
  });

  it.each([
    ['Cluster.local', 'ns', 'sa', /trust domain must be lowercase/],
    ['', 'ns', 'sa', /trust domain is missing/],
    ['td', '', 'sa', /namespace name/],
    ['td', 'a/b', 'sa', /namespace name.*"\/"/],
    ['td', 'ns', 'x/../y', /service account name.*"\/"/],
    ['td', 'ns', '..', /service account name.*dot segments/],
    ['td', 'ns', 'a b', /service account name/],
  ])('rejects (%j, %j, %j)', (td, ns, sa, message) => {
    expect(() => SpiffeId.forServiceAccount(td, ns, sa)).toThrow(message);
  });
});

describe('SpiffeId.equals', () => {
  it('is true for the same ID and false otherwise; the path is case-sensitive', () => {
    const a = SpiffeId.parse('spiffe://td/ns/a/sa/b');
    expect(a.equals(SpiffeId.parse('spiffe://td/ns/a/sa/b'))).toBe(true);
    expect(a.equals(SpiffeId.forServiceAccount('td', 'a', 'b'))).toBe(true);
    expect(a.equals(SpiffeId.parse('spiffe://td/ns/a/sa/B'))).toBe(false);
    expect(a.equals(SpiffeId.parse('spiffe://other/ns/a/sa/b'))).toBe(false);
    expect(a.equals(SpiffeId.parse('spiffe://td'))).toBe(false);
  });

  it('serialises to its string form in JSON', () => {
    expect(JSON.stringify({ id: SpiffeId.parse('spiffe://td/x') })).toBe('{"id":"spiffe://td/x"}');
  });
});
