// Hostile CSR attributes for the approver tests, built with @peculiar/x509 (never with our own
// crypto lib): each is something an enterprise CA may turn into an extra name or enrolment data.
import 'reflect-metadata'; // @peculiar/x509 uses tsyringe
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { EXTENSION_REQUEST } from './fixtures';

export const ATTRIBUTE_OIDS = {
  challengePassword: '1.2.840.113549.1.9.7',
  unstructuredName: '1.2.840.113549.1.9.2',
  msExtensionRequest: '1.3.6.1.4.1.311.2.1.14',
  enrollmentNameValuePair: '1.3.6.1.4.1.311.13.2.1',
} as const;

const dnsSanRequest = (dns: string) =>
  new x509.ExtensionsAttribute([
    new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: dns }]),
  ]);

export const challengePassword = (password: string): x509.Attribute =>
  new x509.ChallengePasswordAttribute(password);

/** unstructuredName holds a DirectoryString like challengePassword; its encoding is borrowed. */
export const unstructuredName = (name: string): x509.Attribute =>
  new x509.Attribute(
    ATTRIBUTE_OIDS.unstructuredName,
    new x509.ChallengePasswordAttribute(name).values,
  );

/** Microsoft's own extension request (szOID_CERT_EXTENSIONS), here asking for a DNS SAN. */
export const msExtensionRequest = (dns: string): x509.Attribute =>
  new x509.Attribute(ATTRIBUTE_OIDS.msExtensionRequest, dnsSanRequest(dns).values);

/** A second PKCS#9 extensionRequest attribute, asking for a DNS SAN. */
export const secondExtensionRequest = (dns: string): x509.Attribute =>
  new x509.Attribute(EXTENSION_REQUEST, dnsSanRequest(dns).values);

/**
 * szOID_ENROLLMENT_NAME_VALUE_PAIR: SEQUENCE { name BMPString, value BMPString }, which AD CS reads
 * as request attributes, e.g. name "SAN", value "dns=evil.example" (with EDITF_ATTRIBUTESUBJECTALTNAME2).
 */
export function enrollmentNameValuePair(name: string, value: string): x509.Attribute {
  const bmp = (text: string) => {
    const utf16be = Buffer.from(text, 'utf16le').swap16();
    return Buffer.concat([Buffer.from([0x1e, utf16be.length]), utf16be]); // short text only
  };
  const pair = Buffer.concat([bmp(name), bmp(value)]);
  return new x509.Attribute(ATTRIBUTE_OIDS.enrollmentNameValuePair, [
    Buffer.concat([Buffer.from([0x30, pair.length]), pair]),
  ]);
}

/**
 * The same attack made by the openssl CLI, a second independent producer: a P-521 CSR for `uri`
 * with a challengePassword from [req_attributes]. openssl writes config attributes only when the
 * subject comes from the config too, so this CSR also has the subject CN=x.
 */
export function opensslCsrWithChallengePassword(uri: string, password: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'approver-attrs-'));
  try {
    const config = join(dir, 'req.cnf');
    writeFileSync(config, ['[req]', 'prompt = no', 'distinguished_name = dn', 'attributes = attrs',
      '[dn]', 'CN = x', '[attrs]', `challengePassword = ${password}`, ''].join('\n'));
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-config', config, '-addext', `subjectAltName=critical,URI:${uri}`,
      '-out', join(dir, 'req.csr')], { stdio: 'pipe' });
    return readFileSync(join(dir, 'req.csr'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
