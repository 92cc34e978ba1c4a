import type { PreparedAuth } from '../http-transport';

/** How one connection reaches and authenticates to its API server. */
export interface ApiCredentials {
  /** Server URL without a trailing slash. */
  readonly server: string;
  readonly namespace: string | undefined;
  /** Headers and TLS material for the next request (may refresh a rotating token). */
  prepare(): Promise<PreparedAuth>;
  /**
   * Same server and TLS trust (CA, server name, skipTLSVerify, proxy) but authenticated only by
   * `token`: client certificates, exec/auth providers, basic auth and impersonation are dropped.
   */
  withBearerToken(token: string): ApiCredentials;
}
