import { readFileSync } from 'node:fs';
import type { PreparedAuth } from '../http-transport';
import type { ApiCredentials } from './credentials';
import type { ClusterEntry, UserEntry } from './kubeconfig-file';
import { KubeConfigError } from './kubeconfig-error';

/** client-go re-reads a projected token file about once a minute; it rotates underneath us. */
const TOKEN_FILE_REFRESH_MS = 60_000;

type Tls = PreparedAuth['tls'];

/**
 * Credentials that need no plugin: bearer token (inline or from a rotating file), client
 * certificate, basic auth and impersonation. TLS material is read once, so every request shares
 * one agent; only a token file is re-read.
 */
export class StaticCredentials implements ApiCredentials {
  readonly #tls: Tls;
  readonly #headers: Record<string, string>;
  readonly #tokenFile: string | undefined;
  #fileToken: { value: string; readAt: number } | undefined;

  constructor(
    readonly server: string,
    readonly namespace: string | undefined,
    tls: Tls,
    headers: Record<string, string>,
    tokenFile?: string,
  ) {
    this.#tls = Object.freeze({ ...tls });
    this.#headers = headers;
    this.#tokenFile = tokenFile;
  }

  static fromEntries(
    server: string,
    namespace: string | undefined,
    cluster: ClusterEntry,
    user: UserEntry,
    origin: string,
  ): StaticCredentials {
    const tls: Tls = { ...clusterTls(cluster, origin), ...clientCertificate(user, origin) };
    const headers: Record<string, string> = {};
    if (user.token) headers.Authorization = `Bearer ${user.token}`;
    else if (user.username || user.password) {
      const basic = Buffer.from(`${user.username ?? ''}:${user.password ?? ''}`).toString('base64');
      headers.Authorization = `Basic ${basic}`;
    }
    if (user.as) headers['Impersonate-User'] = user.as;
    const tokenFile = user.token ? undefined : user.tokenFile || undefined;
    return new StaticCredentials(server, namespace, tls, headers, tokenFile);
  }

  async prepare(): Promise<PreparedAuth> {
    if (!this.#tokenFile) return { headers: this.#headers, tls: this.#tls };
    return {
      headers: { ...this.#headers, Authorization: `Bearer ${this.readTokenFile()}` },
      tls: this.#tls,
    };
  }

  withBearerToken(token: string): ApiCredentials {
    const { ca, rejectUnauthorized, servername } = this.#tls;
    return new StaticCredentials(
      this.server,
      this.namespace,
      { ca, rejectUnauthorized, servername },
      { Authorization: `Bearer ${token}` },
    );
  }

  private readTokenFile(): string {
    const now = Date.now();
    if (this.#fileToken && now - this.#fileToken.readAt < TOKEN_FILE_REFRESH_MS) {
      return this.#fileToken.value;
    }
    let value: string;
    try {
      value = readFileSync(this.#tokenFile as string, 'utf8').trim();
    } catch (e) {
      // Keep serving the last good token through a brief rotation hiccup.
      if (this.#fileToken) return this.#fileToken.value;
      throw new KubeConfigError(`cannot read token file: ${(e as Error).message}`);
    }
    this.#fileToken = { value, readAt: now };
    return value;
  }
}

function clusterTls(cluster: ClusterEntry, origin: string): Tls {
  const tls: Tls = {};
  const ca = material(
    cluster['certificate-authority-data'],
    cluster['certificate-authority'],
    'certificate-authority',
    origin,
  );
  if (ca) tls.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
  if (cluster['tls-server-name']) tls.servername = cluster['tls-server-name'];
  return tls;
}

function clientCertificate(user: UserEntry, origin: string): Tls {
  const cert = material(
    user['client-certificate-data'],
    user['client-certificate'],
    'client-certificate',
    origin,
  );
  const key = material(user['client-key-data'], user['client-key'], 'client-key', origin);
  if (!cert !== !key) {
    throw new KubeConfigError(
      `kubeconfig (${origin}): user has ${cert ? 'client-certificate without client-key' : 'client-key without client-certificate'}`,
    );
  }
  return cert && key ? { cert, key } : {};
}

/** Inline base64 data wins over a file, as in client-go. */
function material(
  data: string | undefined,
  file: string | undefined,
  field: string,
  origin: string,
): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new KubeConfigError(
      `kubeconfig (${origin}): cannot read ${field} ${file}: ${(e as Error).message}`,
    );
  }
}
