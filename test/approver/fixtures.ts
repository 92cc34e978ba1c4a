// Test-only builders: hostile CSRs (made directly with @peculiar/x509, not with our crypto lib,
// so the policy is checked against inputs our own code would never produce) and CertificateRequests.
import 'reflect-metadata'; // @peculiar/x509 uses tsyringe
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createSpiffeCsr, generateKey, type KeyAlgorithm } from '@spiffe-csi/crypto';

export const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
x509.cryptoProvider.set(webcrypto as Parameters<typeof x509.cryptoProvider.set>[1]);

export type FixtureKey = 'P-256' | 'P-384' | 'P-521' | 'RSA-2048' | 'Ed25519';

export interface CsrSpec {
  key?: FixtureKey; // default P-521
  subject?: string; // e.g. 'CN=foo'
  uris?: string[];
  dns?: string[];
  ips?: string[];
  emails?: string[];
  keyUsages?: x509.KeyUsageFlags;
  extendedKeyUsages?: string[];
  basicConstraints?: { ca: boolean };
  extraExtensionOids?: string[];
  /** Attributes added after the extension request (see csr-attributes.ts). */
  attributes?: x509.Attribute[];
  /** The extension request with no value, or with a second value asking for a DNS SAN. */
  extensionRequestValues?: 0 | 2;
  corruptSignature?: boolean;
}

const keyCache = new Map<FixtureKey, CryptoKeyPair>();

async function keysFor(
  key: FixtureKey,
): Promise<{ keys: CryptoKeyPair; signingAlgorithm: Algorithm }> {
  const hash = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' } as const;
  let keys = keyCache.get(key);
  if (key === 'RSA-2048') {
    const alg = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 2048,
    };
    keys ??= (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
    keyCache.set(key, keys);
    return { keys, signingAlgorithm: alg };
  }
  if (key === 'Ed25519') {
    keys ??= (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    keyCache.set(key, keys);
    return { keys, signingAlgorithm: { name: 'Ed25519' } };
  }
  const alg = { name: 'ECDSA', namedCurve: key };
  keys ??= (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  keyCache.set(key, keys);
  return { keys, signingAlgorithm: { name: 'ECDSA', hash: hash[key] } as Algorithm };
}

/** A PEM CSR with exactly the requested contents. */
export async function buildCsr(spec: CsrSpec): Promise<string> {
  const { keys, signingAlgorithm } = await keysFor(spec.key ?? 'P-521');
  const names: x509.JsonGeneralName[] = [
    ...(spec.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(spec.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(spec.emails ?? []).map((value) => ({ type: 'email' as const, value })),
  ];
  const extensions: x509.Extension[] = [];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names, !spec.subject));
  if (spec.keyUsages !== undefined)
    extensions.push(new x509.KeyUsagesExtension(spec.keyUsages, true));
  if (spec.extendedKeyUsages) {
    extensions.push(new x509.ExtendedKeyUsageExtension(spec.extendedKeyUsages, false));
  }
  if (spec.basicConstraints) {
    extensions.push(new x509.BasicConstraintsExtension(spec.basicConstraints.ca, undefined, true));
  }
  for (const oid of spec.extraExtensionOids ?? []) {
    extensions.push(new x509.Extension(oid, false, new Uint8Array([0x05, 0x00]))); // DER NULL
  }
  // The extension request goes first, then any hostile attributes (the generator would put its
  // own extension request last).
  const attributes: x509.Attribute[] = [];
  if (spec.extensionRequestValues !== undefined) {
    attributes.push(extensionRequestWithValues(spec.extensionRequestValues, extensions));
  } else if (extensions.length) attributes.push(new x509.ExtensionsAttribute(extensions));
  attributes.push(...(spec.attributes ?? []));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: spec.subject,
    keys,
    signingAlgorithm,
    attributes,
  });
  const der = new Uint8Array(csr.rawData);
  // The last byte belongs to the signature value; flipping it keeps the DER valid.
  if (spec.corruptSignature) der[der.length - 1] ^= 0x01;
  return toPem(der);
}

function extensionRequestWithValues(count: 0 | 2, extensions: x509.Extension[]): x509.Attribute {
  if (count === 0) return new x509.Attribute(EXTENSION_REQUEST, []);
  const dns = new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'evil.example' }]);
  const values = [extensions, [dns]].map((e) => new x509.ExtensionsAttribute(e).values[0]);
  return new x509.Attribute(EXTENSION_REQUEST, values);
}

export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}

export const TRUST_DOMAIN = 'cluster.local';
export const USAGES = ['digital signature', 'key encipherment', 'client auth', 'server auth'];
export const spiffeIdOf = (ns: string, sa: string, td = TRUST_DOMAIN) =>
  `spiffe://${td}/ns/${ns}/sa/${sa}`;

/** A CSR exactly as the driver makes it, with our own crypto lib. */
export async function driverCsr(uri: string, alg: KeyAlgorithm = 'ecdsa-p521'): Promise<string> {
  return createSpiffeCsr(await generateKey(alg), uri);
}

export interface RequestSpec {
  csrPem: string;
  namespace?: string;
  name?: string;
  username?: string;
  duration?: string;
  usages?: string[];
  isCA?: boolean;
  issuerRef?: { name: string; kind?: string; group?: string };
}

/** A CertificateRequest as the API returns it (spec.request is base64 of the PEM). */
export function certificateRequest(r: RequestSpec) {
  const namespace = r.namespace ?? 'sandbox';
  return {
    apiVersion: 'cert-manager.io/v1' as const,
    kind: 'CertificateRequest' as const,
    metadata: { name: r.name ?? 'req-1', namespace },
    spec: {
      request: Buffer.from(r.csrPem).toString('base64'),
      issuerRef: r.issuerRef ?? {
        name: 'spiffe-ca',
        kind: 'ClusterIssuer',
        group: 'cert-manager.io',
      },
      duration: r.duration ?? '1h',
      isCA: r.isCA ?? false,
      usages: r.usages ?? [...USAGES],
      username: r.username ?? `system:serviceaccount:${namespace}:app`,
    },
  };
}
