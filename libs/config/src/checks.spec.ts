import { describe, expect, it } from 'vitest';
import { dns1123SubdomainProblem, fileNameProblem, trustDomainProblem } from './name-checks';
import { bindAddressProblem, parseCsiEndpoint, parseHostPort } from './network-checks';

describe('trustDomainProblem', () => {
  it.each([
    'cluster.local',
    'example.org',
    'a',
    'td_with-under.score',
    '192.168.1.1',
    'x'.repeat(255),
  ])('accepts %s', (td) => expect(trustDomainProblem(td)).toBeNull());

  it.each([
    ['', /missing/],
    ['Cluster.Local', /lowercase/],
    ['example.org:8080', /port/],
    ['user@example.org', /userinfo/],
    ['exa%41mple.org', /percent-encoded/],
    ['spiffe://example.org', /not a SPIFFE ID/],
    ['example.org/path', /limited to lowercase letters/],
    ['[::1]', /IPv6/],
    ['exämple.org', /limited to lowercase letters/],
    ['x'.repeat(256), /longer than 255 bytes/],
  ])('rejects %j', (td, reason) => expect(trustDomainProblem(td)).toMatch(reason));
});

describe('dns1123SubdomainProblem', () => {
  it.each(['a', 'cert-manager.io', 'spiffe.csi.cert-manager.io', '0abc'])('accepts %s', (name) =>
    expect(dns1123SubdomainProblem(name)).toBeNull(),
  );
  it.each(['', 'A.io', '-a.io', 'a-.io', 'a..io', 'a_b', `${'a'.repeat(254)}`])(
    'rejects %j',
    (name) => expect(dns1123SubdomainProblem(name)).not.toBeNull(),
  );
});

describe('fileNameProblem', () => {
  it.each(['tls.crt', 'key.pem', '.hidden', 'a..b'])('accepts %s', (name) =>
    expect(fileNameProblem(name)).toBeNull(),
  );
  it.each([
    ['', /empty/],
    ['.', /start with/],
    ['..', /start with/],
    ['..data', /start with/],
    ['dir/tls.crt', /single file name/],
    ['dir\\tls.crt', /single file name/],
    ['a\0b', /NUL/],
    ['x'.repeat(256), /255 bytes/],
  ])('rejects %j', (name, reason) => expect(fileNameProblem(name)).toMatch(reason));
});

describe('bind addresses', () => {
  it.each([
    [':6060', { host: '', port: 6060 }],
    ['0.0.0.0:9402', { host: '0.0.0.0', port: 9402 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
    ['[::]:9402', { host: '::', port: 9402 }],
    ['[::1]:0', { host: '::1', port: 0 }],
  ])('parses %s', (text, expected) =>
    expect(parseHostPort(text, { allowEmptyHost: true })).toEqual(expected),
  );

  it.each([
    ['6060', /host:port/],
    [':', /port ""/],
    [':65536', /port "65536"/],
    [':http', /port "http"/],
    ['::1:80', /\[addr\]:port/],
    ['[::1]80', /\[addr\]:port/],
    ['[zz]:80', /not an IPv6/],
    ['bad host:80', /not a valid host/],
  ])('rejects %j', (text, reason) => expect(bindAddressProblem(text)).toMatch(reason));
});

describe('parseCsiEndpoint', () => {
  it.each([
    ['unix:///csi/csi.sock', { kind: 'unix', path: '/csi/csi.sock' }],
    [
      'unix:///var/lib/kubelet/plugins/spiffe.csi.cert-manager.io/csi.sock',
      {
        kind: 'unix',
        path: '/var/lib/kubelet/plugins/spiffe.csi.cert-manager.io/csi.sock',
      },
    ],
    ['tcp://127.0.0.1:10000', { kind: 'tcp', host: '127.0.0.1', port: 10000 }],
    ['tcp://[::1]:10000', { kind: 'tcp', host: '::1', port: 10000 }],
  ])('parses %s', (text, expected) => expect(parseCsiEndpoint(text)).toEqual(expected));

  it.each([
    ['/csi/csi.sock', /unix:\/\/\/absolute\/path or tcp:\/\/host:port/],
    ['unix://plugin/csi.sock', /must be absolute/],
    ['unix://', /must be absolute/],
    [`unix:///${'a'.repeat(120)}`, /at most 107 bytes/],
    ['tcp://:10000', /host must not be empty/],
    ['tcp://127.0.0.1:0', /1-65535/],
    ['tcp://127.0.0.1', /host:port/],
    ['tcp://127.0.0.1:10000/foo', /port "10000\/foo"/],
    ['http://x:1', /unix:\/\/\//],
  ])('rejects %j', (text, reason) => expect(() => parseCsiEndpoint(text)).toThrow(reason));
});
