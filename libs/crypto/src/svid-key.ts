/**
 * B15 and B16 (spiffe-checklists): the key is delivered as one unencrypted PKCS#8 `PRIVATE KEY`
 * PEM block, EC or RSA (what go-spiffe's x509svid.Parse accepts), and is the leaf's key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from './certificates';
import { spkiEqual } from './certificates';
import { decodePemBlocks } from './pem';
import { violation, type SvidViolation } from './svid-rules';

const ACCEPTED_KEY_TYPES = new Set(['ec', 'rsa']);

/** The key and its PKCS#8 DER, or the B15 violation. Never includes key bytes in a reason. */
export function readSvidKey(keyPem: string): { key: KeyObject; der: Buffer } | SvidViolation {
  let blocks;
  try {
    blocks = decodePemBlocks(keyPem);
  } catch (error) {
    return violation('B15', `the private key PEM is malformed: ${(error as Error).message}`);
  }
  if (blocks.length !== 1) return violation('B15', `the key file must hold exactly one PEM block, found ${blocks.length}`);
  if (blocks[0].label !== 'PRIVATE KEY') {
    return violation('B15', `the private key is a "${blocks[0].label}" block, not an unencrypted PKCS#8 "PRIVATE KEY"`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: blocks[0].der, format: 'der', type: 'pkcs8' });
  } catch {
    return violation('B15', 'the private key is not a readable PKCS#8 key');
  }
  if (!ACCEPTED_KEY_TYPES.has(key.asymmetricKeyType ?? '')) {
    return violation('B15', `the private key is ${key.asymmetricKeyType}; SPIFFE clients accept EC and RSA keys only`);
  }
  return { key, der: blocks[0].der };
}

/** B16; `spkiDer` (the key's SPKI, when known) settles equal bytes without a key import. */
export function keyMatchViolation(leaf: CertificateInfo, key: KeyObject, spkiDer?: Buffer): SvidViolation | undefined {
  if (spkiDer?.equals(leaf.spkiDer)) return undefined;
  let same: boolean;
  try {
    same = spkiEqual(leaf.spkiDer, key);
  } catch (error) {
    return violation('B16', `the leaf's public key cannot be compared with the private key: ${(error as Error).message}`);
  }
  return same ? undefined : violation('B16', 'the leaf\'s public key does not match the private key');
}
