import { describe, expect, it } from 'vitest';
import { BindAddressError, formatBoundAddress, parseBindAddress } from './bind-address';

describe('parseBindAddress', () => {
  it.each([
    [':6060', { host: undefined, port: 6060 }],
    ['0.0.0.0:6060', { host: '0.0.0.0', port: 6060 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:6060', { host: '::1', port: 6060 }],
    ['[::]:9402', { host: '::', port: 9402 }],
    ['localhost:9402', { host: 'localhost', port: 9402 }],
    [':65535', { host: undefined, port: 65535 }],
  ])('%s', (input, expected) => {
    expect(parseBindAddress(input)).toEqual(expected);
  });

  it.each([
    ['', /expected host:port/],
    ['6060', /missing port/],
    [':', /port must be a number/],
    [':65536', /port must be a number/],
    [':-1', /port must be a number/],
    [':http', /port must be a number/],
    ['::1:6060', /IPv6 hosts must be in brackets/],
    ['[::1]6060', /\[addr\]:port/],
    ['[127.0.0.1]:80', /only for IPv6/],
    ['a b:80', /invalid characters/],
  ])('rejects %j', (input, message) => {
    expect(() => parseBindAddress(input)).toThrow(BindAddressError);
    expect(() => parseBindAddress(input)).toThrow(message);
  });

  it('rejects non-strings and huge input without echoing all of it', () => {
    expect(() => parseBindAddress(undefined as unknown as string)).toThrow(BindAddressError);
    const err = (() => {
      try {
        parseBindAddress('x'.repeat(10_000));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message.length).toBeLessThan(400);
  });
});

describe('formatBoundAddress', () => {
  it('brackets IPv6 hosts', () => {
    expect(formatBoundAddress({ host: '::', port: 1 })).toBe('[::]:1');
    expect(formatBoundAddress({ host: '127.0.0.1', port: 2 })).toBe('127.0.0.1:2');
  });
});
