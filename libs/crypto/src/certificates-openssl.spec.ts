import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpensslWorkspace } from '../test-support/openssl';
import { parseCertificateChain, type CertificateInfo } from './certificates';

// Cross-checks the DER walk against `openssl x509` on certificates the openssl CLI issues: every
// key type the driver meets, with and without the extensions it reads, and both time encodings.
const ws = new OpensslWorkspace();
const NAMEOPT = 'esc_2253,utf8,sep_comma_plus_space,sname';

interface Case {
  name: string;
  newkey: string[];
  subj: string;
  ext?: string[];
  serial?: string;
  /** `openssl ca` -startdate/-enddate; otherwise `openssl x509 -days`. */
  dates?: [string, string];
  days?: number;
}

const CASES: Case[] = [
  {
    name: 'p256-svid',
    newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    subj: '/',
    ext: [
      'subjectAltName=critical,URI:spiffe://td/ns/a/sa/b,DNS:web.svc,IP:10.0.0.1',
      'basicConstraints=critical,CA:FALSE',
    ],
    serial: '0x01',
  },
  {
    name: 'p384-ca',
    newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    subj: '/CN=Intermediate+OU=Issuing/O=Example\\, Inc./C=DE',
    ext: ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign'],
    serial: '0x80',
  },
  {
    name: 'p521-v1',
    newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'],
    subj: '/CN=Zoë ☃/O=\\#tag;x/L= spaced ',
    serial: '0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff',
  },
  {
    name: 'rsa-dns-far',
    newkey: ['-newkey', 'rsa:2048'],
    subj: '/DC=example/DC=com/CN=rsa',
    ext: ['subjectAltName=DNS:a.example,DNS:b.example'],
    days: 12_000,
  },
  {
    name: 'p521-generalized',
    newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'],
    subj: '/CN=after 2050',
    ext: ['subjectAltName=URI:spiffe://td/late'],
    dates: ['20510101000000Z', '20991231235959Z'],
  },
  {
    name: 'p256-utc-19xx',
    newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    subj: '/CN=old',
    ext: ['basicConstraints=CA:FALSE'],
    dates: ['500101000000Z', '491231235959Z'],
  },
];

const CA_CONFIG = `[ca]
default_ca = issuing
[issuing]
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha384
policy = any
copy_extensions = copy
[any]
commonName = optional
`;

function issue(c: Case): string {
  ws.run(
    [
      'req',
      '-new',
      ...c.newkey,
      '-nodes',
      '-keyout',
      `${c.name}.key`,
      '-out',
      `${c.name}.csr`,
    ].concat(['-subj', c.subj, '-multivalue-rdn', '-utf8']),
  );
  const ext = c.ext ? ['-extfile', ws.write(`${c.name}.ext`, c.ext.join('\n') + '\n')] : [];
  if (c.dates) {
    ws.run(
      ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-notext']
        .concat([
          '-in',
          `${c.name}.csr`,
          '-out',
          `${c.name}.crt`,
          '-startdate',
          c.dates[0],
          '-enddate',
          c.dates[1],
        ])
        .concat(c.ext ? ['-extfile', `${c.name}.ext`] : []),
    );
  } else {
    ws.run(
      ['x509', '-req', '-in', `${c.name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', ...ext].concat([
        '-set_serial',
        c.serial ?? '0x42',
        '-days',
        String(c.days ?? 1),
        '-out',
        `${c.name}.crt`,
      ]),
    );
  }
  return ws.read(`${c.name}.crt`);
}

/** What `openssl x509 -noout -text -serial -dates -subject -issuer` says, in CertificateInfo terms. */
function opensslView(file: string): Partial<CertificateInfo> {
  const out = ws.run(
    ['x509', '-in', file, '-noout', '-text', '-serial', '-dates', '-subject'].concat([
      '-issuer',
      '-nameopt',
      NAMEOPT,
      '-dateopt',
      'iso_8601',
    ]),
  );
  const line = (re: RegExp) => re.exec(out)?.[1] ?? '';
  // OpenSSL spaces out "+" between the attributes of one RDN; no test value contains " + ".
  const name = (re: RegExp) => line(re).replace(/ \+ /g, '+');
  const sans = line(/X509v3 Subject Alternative Name:.*\n\s*(.*)/)
    .split(', ')
    .filter(Boolean);
  const curve = line(/NIST CURVE: (\S+)/);
  return {
    serialNumber: line(/^serial=(\S+)$/m).toLowerCase(),
    notBefore: new Date(line(/^notBefore=(.+)$/m)),
    notAfter: new Date(line(/^notAfter=(.+)$/m)),
    subject: name(/^subject=(.*)$/m),
    issuer: name(/^issuer=(.*)$/m),
    isCA: /CA:TRUE/.test(out),
    uriSans: sans.filter((s) => s.startsWith('URI:')).map((s) => s.slice(4)),
    dnsSans: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
    publicKeyAlgorithm: line(/Public Key Algorithm: (\S+)/) === 'rsaEncryption' ? 'RSA' : 'ECDSA',
    ...(curve ? { namedCurve: curve } : {}),
  };
}

const issued = new Map<string, string>();

beforeAll(() => {
  ws.run(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes'].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      '/CN=Cross-check CA/O=Tests',
      '-days',
      '2',
    ]),
  );
  ws.write('ca.cnf', CA_CONFIG);
  mkdirSync(ws.path('db'));
  ws.write('db/index.txt', '');
  ws.write('db/serial', '1000\n');
  for (const c of CASES) issued.set(c.name, issue(c));
});
afterAll(() => ws.cleanup());

describe('parseCertificateChain agrees with openssl x509', () => {
  it.each(CASES.map((c) => c.name))('on %s', (name) => {
    const [info] = parseCertificateChain(issued.get(name)!);
    const expected = opensslView(`${name}.crt`);
    const { pem: _pem, spkiDer: _spki, der: _der, issuerDer: _i, subjectDer: _s, subjectEmpty: _e, extensions: _x, keyUsage: _k,
      extendedKeyUsage: _u, basicConstraints: _b, ...actual } = info;
    expect(actual).toEqual(expected);
    const spki = ws.run(['x509', '-in', `${name}.crt`, '-noout', '-pubkey']);
    expect(info.spkiDer.toString('base64')).toBe(spki.replace(/-----[^-]+-----|\s/g, ''));
  });

  it('covers what it claims: both time encodings, v1 and CA certificates, sign-padded serials', () => {
    const der = (name: string) => ws.run(['asn1parse', '-in', `${name}.crt`]);
    expect(der('p521-generalized')).toMatch(
      /GENERALIZEDTIME\s+:20510101000000Z[\s\S]*GENERALIZEDTIME/,
    );
    expect(der('rsa-dns-far')).toMatch(/UTCTIME[\s\S]*GENERALIZEDTIME/);
    expect(der('p256-utc-19xx')).toMatch(/UTCTIME\s+:500101000000Z/);
    expect(ws.run(['x509', '-in', 'p521-v1.crt', '-noout', '-text'])).toMatch(/Version: 1 \(0x0\)/);
    expect(der('p384-ca')).toMatch(/l=\s*2 prim: INTEGER\s+:80\n/);
  });
});
