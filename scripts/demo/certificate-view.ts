// What a user wants to know about an issued SVID, as aligned rows (no raw JSON, no key material).
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseCertificateChain, type CertificateInfo } from '@spiffe-csi/crypto';
import { rows, table } from './output';

const run = promisify(execFile);

export function leafOf(certPem: string): CertificateInfo {
  return parseCertificateChain(certPem)[0];
}

const keyType = (c: CertificateInfo) => (c.namedCurve ? `${c.publicKeyAlgorithm} ${c.namedCurve}` : c.publicKeyAlgorithm);
const lifetime = (c: CertificateInfo) => `${Math.round((c.notAfter.getTime() - c.notBefore.getTime()) / 1000)} s`;

export function printCertificate(leaf: CertificateInfo, verify: string): void {
  rows([
    ['SPIFFE ID', leaf.uriSans.join(', ') || '(none)'],
    ['issuer', leaf.issuer],
    ['subject', leaf.subject || '(empty — the identity is the URI SAN)'],
    ['serial', leaf.serialNumber],
    ['not before', leaf.notBefore.toISOString()],
    ['not after', `${leaf.notAfter.toISOString()}  (lifetime ${lifetime(leaf)})`],
    ['key type', keyType(leaf)],
    ['CA', leaf.isCA ? 'yes' : 'no'],
    ['openssl verify', verify],
  ]);
}

/** `openssl verify` of a certificate file against the issuer CA, as one line. */
export async function opensslVerify(caFile: string, certFile: string): Promise<string> {
  try {
    const { stdout } = await run('openssl', ['verify', '-CAfile', caFile, certFile]);
    return stdout.trim().replace(`${certFile}: `, 'tls.crt: ');
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') return 'skipped (openssl is not installed)';
    return `FAILED ${(e.stdout ?? '').trim()} ${(e.stderr ?? '').trim()}`.trim();
  }
}

function modeString(mode: number, isDir: boolean): string {
  const bits = 'rwxrwxrwx'.split('').map((ch, i) => (mode & (0o400 >> i) ? ch : '-')).join('');
  return `${isDir ? 'd' : '-'}${bits}`;
}

/** `ls -lL`-style rows for the files a Pod sees (the ..data machinery of the atomic writer is hidden). */
export function printPodFiles(targetPath: string, names: string[]): void {
  table(names.map((name) => {
    const st = statSync(`${targetPath}/${name}`);
    return [modeString(st.mode, st.isDirectory()), `uid ${st.uid}`, `gid ${st.gid}`, `${st.size} B`, name];
  }));
}

/** How the target path is mounted, from /proc/self/mountinfo (type and options). */
export function mountOf(path: string): string {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === path);
  if (!line) return 'not mounted';
  const [before, after] = line.split(' - ');
  const options = before.split(' ')[5];
  const fsType = after.split(' ')[0];
  return `${fsType}, ${options.split(',').includes('ro') ? 'read-only' : 'read-write'} bind mount (${options})`;
}
