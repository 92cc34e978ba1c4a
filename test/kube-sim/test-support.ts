/** Shared fixtures for the kube-sim tests (not a test file itself). */
import { webcrypto } from 'node:crypto';
import { EC_P256, x509 } from './x509-util';

export const CR_PATH = (ns: string, name = '') =>
  `/apis/cert-manager.io/v1/namespaces/${ns}/certificaterequests${name ? `/${name}` : ''}`;

/** A SPIFFE-style CSR: empty subject, one critical URI SAN. Returns spec.request (base64 PEM). */
export async function spiffeCsr(uri = 'spiffe://cluster.local/ns/sandbox/sa/app'): Promise<string> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: '', keys, signingAlgorithm: EC_P256,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], true)],
  });
  return Buffer.from(csr.toString('pem')).toString('base64');
}

export function certificateRequest(name: string, request: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: { name, labels: { app: 'demo' } },
    spec: {
      request,
      issuerRef: { name: 'spiffe-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
      duration: '1h0m0s',
      ...overrides,
    },
  };
}

export function approvedCondition(): Record<string, string> {
  return { type: 'Approved', status: 'True', reason: 'spiffe.csi.cert-manager.io', message: 'Approved request', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
}
