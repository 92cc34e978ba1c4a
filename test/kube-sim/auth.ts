import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface TokenOptions { podName?: string; podUid?: string; expirationSeconds?: number; audience?: string }

/** What the authenticator needs to know about ServiceAccounts and Pods (backed by the store). */
export interface IdentityDirectory {
  /** UID of the ServiceAccount, creating it (and its namespace) when missing. */
  ensureServiceAccount(namespace: string, name: string): string;
  serviceAccountUid(namespace: string, name: string): string | undefined;
  podUid(namespace: string, name: string): string | undefined;
}

export const API_ISSUER = 'https://kubernetes.default.svc.cluster.local';

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Bearer-token authentication: static tokens (addUser) and ServiceAccount JWTs signed RS256 with a
 * key of our own, checked the way the token authenticator does (signature, issuer, audience,
 * nbf/exp without leeway, SA still present with the same UID, bound Pod not replaced).
 */
export class Authenticator {
  private readonly staticTokens = new Map<string, UserInfo>();
  private readonly verifiedClaims = new Map<string, ProjectedClaims>();
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly keyId: string;

  constructor(private readonly directory: IdentityDirectory) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.keyId = createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
  }

  addUser(token: string, user: { username: string; groups?: string[]; uid?: string; extra?: Record<string, string[]> }): void {
    if (!token) throw new Error('kube-sim: addUser needs a non-empty token');
    this.staticTokens.set(token, withAuthenticatedGroup({ ...user, groups: user.groups ?? [] }));
  }

  serviceAccountToken(namespace: string, serviceAccount: string, opts: TokenOptions = {}): string {
    const saUid = this.directory.ensureServiceAccount(namespace, serviceAccount);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: [opts.audience ?? API_ISSUER],
      exp: now + (opts.expirationSeconds ?? 3600),
      iat: now,
      iss: API_ISSUER,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace,
        ...(opts.podName ? { pod: { name: opts.podName, uid: opts.podUid ?? randomUUID() } } : {}),
        serviceaccount: { name: serviceAccount, uid: saUid },
      },
      nbf: now,
      sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
    };
    const header = b64url(JSON.stringify({ alg: 'RS256', kid: this.keyId }));
    const payload = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), this.privateKey);
    return `${header}.${payload}.${b64url(signature)}`;
  }

  /** The user behind an Authorization header, or undefined (→ 401). */
  authenticate(authorization: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return undefined;
    return this.staticTokens.get(m[1]) ?? this.authenticateJwt(m[1]);
  }

  private authenticateJwt(token: string): UserInfo | undefined {
    // Like the API server's token cache, the signature is checked once per token; expiry and the
    // ServiceAccount/Pod bindings are still checked on every request.
    let claims = this.verifiedClaims.get(token);
    if (!claims) {
      claims = this.verifyJwt(token);
      if (!claims) return undefined;
      if (this.verifiedClaims.size >= VERIFIED_TOKEN_CACHE_SIZE) this.verifiedClaims.clear();
      this.verifiedClaims.set(token, claims);
    }
    return this.userFromClaims(claims);
  }

  private verifyJwt(token: string): ProjectedClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
      if (header.alg !== 'RS256') return undefined;
      const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), this.publicKey, Buffer.from(parts[2], 'base64url'));
      if (!ok) return undefined;
      const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
      return claims && typeof claims === 'object' ? (claims as ProjectedClaims) : undefined;
    } catch {
      return undefined;
    }
  }

  private userFromClaims(c: ProjectedClaims): UserInfo | undefined {
    const now = Date.now() / 1000;
    const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (c.iss !== API_ISSUER || !audiences.includes(API_ISSUER)) return undefined;
    if (typeof c.exp !== 'number' || c.exp <= now || (typeof c.nbf === 'number' && c.nbf > now)) return undefined;
    const k = c['kubernetes.io'];
    const namespace = k?.namespace;
    const sa = k?.serviceaccount;
    if (!namespace || !sa?.name || this.directory.serviceAccountUid(namespace, sa.name) !== sa.uid) return undefined;
    const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`] };
    if (k.pod) {
      // A bound token dies with its Pod; a Pod the test never created is tolerated (lenient).
      const current = this.directory.podUid(namespace, k.pod.name);
      if (current !== undefined && current !== k.pod.uid) return undefined;
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    return withAuthenticatedGroup({
      username: `system:serviceaccount:${namespace}:${sa.name}`,
      uid: sa.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
      extra,
    });
  }
}

interface ProjectedClaims {
  iss?: string; aud?: string | string[]; exp?: number; nbf?: number; jti?: string;
  'kubernetes.io'?: { namespace?: string; serviceaccount?: { name?: string; uid?: string }; pod?: { name: string; uid: string } };
}

function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes('system:authenticated') ? user : { ...user, groups: [...user.groups, 'system:authenticated'] };
}
