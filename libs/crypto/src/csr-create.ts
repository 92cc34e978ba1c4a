// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs the Reflect polyfill.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SpiffeId } from '@spiffe-csi/spiffe';
import { CURVE_OF, HASH_OF, type GeneratedKey } from './keys';

// @peculiar/x509 signs through WebCrypto; Node's implementation is backed by OpenSSL.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CreateParams = x509.Pkcs10CertificateRequestCreateParams;

async function toCryptoKeyPair(key: GeneratedKey): Promise<CreateParams['keys']> {
  const algorithm = { name: 'ECDSA', namedCurve: CURVE_OF[key.algorithm] };
  const pkcs8 = key.privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']),
    webcrypto.subtle.importKey('spki', spki, algorithm, true, ['verify']),
  ]);
  return { privateKey, publicKey } as unknown as CreateParams['keys'];
}

/**
 * A CSR for one SPIFFE ID, shaped like the Go driver's: empty subject, a single URI SAN in a
 * critical extension (RFC 5280 §4.2.1.6 requires critical when the subject is empty), no other
 * extensions, ECDSA with the hash matched to the curve. Throws SpiffeIdError for an invalid ID.
 */
export async function createSpiffeCsr(key: GeneratedKey, uri: string): Promise<string> {
  const id = SpiffeId.parse(uri).toString();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys: await toCryptoKeyPair(key),
    signingAlgorithm: {
      name: 'ECDSA',
      hash: HASH_OF[key.algorithm],
    } as CreateParams['signingAlgorithm'],
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: id }], true)],
  });
  return csr.toString('pem') + '\n';
}
