import { describe, expect, it } from 'vitest';
import { parseAnnotations, parseStringMap } from './annotations';

describe('parseStringMap', () => {
  it.each([
    ['', {}],
    ['a=b', { a: 'b' }],
    ['a=b,c=d', { a: 'b', c: 'd' }],
    ['a=', { a: '' }],
    ['a=b=c', { a: 'b=c' }],
    ['"a=x,y",b=z', { a: 'x,y', b: 'z' }],
    ['"a=say ""hi"""', { a: 'say "hi"' }],
  ])('%j → %j', (text, expected) => {
    expect(parseStringMap(text)).toEqual(expected);
  });

  it.each([
    ['a', /"a" must be key=value/],
    ['a=b,,c=d', /"" must be key=value/],
    ['a=1,a=2', /key "a" is given more than once/],
    ['"a=b', /unterminated quote/],
  ])('rejects %j', (text, reason) => {
    expect(() => parseStringMap(text)).toThrow(reason);
  });
});

describe('parseAnnotations', () => {
  it('accepts valid annotation keys with and without prefix', () => {
    expect(
      parseAnnotations('example.com/team=payments,owner=alice,firefly.venafi.com/policy-name=p1'),
    ).toEqual({
      'example.com/team': 'payments',
      owner: 'alice',
      'firefly.venafi.com/policy-name': 'p1',
    });
  });

  it.each([
    ['spiffe.csi.cert-manager.io/identity=spiffe://x/y', /reserved/],
    ['spiffe.csi.cert-manager.io/anything=1', /reserved/],
    ['Example.com/x=1', /prefix must be a DNS-1123 subdomain/],
    ['example.com/=1', /name must be 1-63 characters/],
    ['-bad=1', /name must be 1-63 characters/],
    ['a/b/c=1', /name must be 1-63 characters/],
    [`${'n'.repeat(64)}=1`, /name must be 1-63 characters/],
    ['has space=1', /name must be 1-63 characters/],
  ])('rejects %j', (text, reason) => {
    expect(() => parseAnnotations(text)).toThrow(reason);
  });

  it('rejects annotations above the Kubernetes 256 KiB total', () => {
    expect(() => parseAnnotations(`a=${'x'.repeat(256 * 1024)}`)).toThrow(/256 KiB/);
  });
});
