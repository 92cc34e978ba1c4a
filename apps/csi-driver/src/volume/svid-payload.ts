import type { DriverOptions } from '@spiffe-csi/config';
import { certificateBlocks } from '@spiffe-csi/crypto';
import { encodeX509Bundle } from '@spiffe-csi/spiffe';

/** The names of a volume's files; '' turns the credential or the bundle file off. */
export interface SvidFileNames {
  certificate: string;
  key: string;
  ca: string;
  credentials: string;
  bundle: string;
}

export function svidFileNames(
  o: Pick<DriverOptions, 'fileNameCertificate' | 'fileNameKey' | 'fileNameCa' | 'fileNameCredentials' | 'fileNameBundle'>,
): SvidFileNames {
  return {
    certificate: o.fileNameCertificate, key: o.fileNameKey, ca: o.fileNameCa,
    credentials: o.fileNameCredentials, bundle: o.fileNameBundle,
  };
}

export interface SvidPayloadInput {
  /** As issued, leaf first. */
  chainPem: string | Buffer;
  /** PKCS#8 PEM. */
  keyPem: string | Buffer;
  /** The trust bundle the SVID was validated against ('' when none is known). */
  bundlePem: string;
  /** --source-ca-bundle's bytes: the CA file, exactly as the Go driver writes it. */
  sourceCa?: Buffer;
}

/**
 * Every file of one SVID, for ONE atomic swap: certificate, key, CA file (from --source-ca-bundle,
 * as the Go driver), the credential file (key, then chain: a reader of that one file can never see
 * a key beside another issuance's certificate) and the SPIFFE bundle (whenever a bundle is known,
 * so also from the request's status.ca: the bundle the Workload API serves).
 */
export function svidPayload(svid: SvidPayloadInput, names: SvidFileNames): Record<string, string | Buffer> {
  const files: Record<string, string | Buffer> = { [names.certificate]: svid.chainPem, [names.key]: svid.keyPem };
  if (svid.sourceCa) files[names.ca] = svid.sourceCa;
  if (names.credentials) files[names.credentials] = credentials(svid.keyPem, svid.chainPem);
  const bundleDer = certificatesDer(svid.bundlePem);
  if (names.bundle && bundleDer.length) files[names.bundle] = encodeX509Bundle(bundleDer);
  return files;
}

function credentials(keyPem: string | Buffer, chainPem: string | Buffer): Buffer {
  const key = Buffer.from(keyPem);
  const separator = key.length && key[key.length - 1] !== 0x0a ? '\n' : '';
  return Buffer.concat([key, Buffer.from(separator), Buffer.from(chainPem)]);
}

function certificatesDer(pem: string): Buffer[] {
  return pem ? certificateBlocks(pem).map((b) => b.der) : [];
}
