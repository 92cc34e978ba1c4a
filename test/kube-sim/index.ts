/**
 * kube-sim: a loopback Kubernetes API server simulator for tests, benchmarks and the demo.
 *
 * Speaks the kube-apiserver REST + watch protocol for the resources in ./resources.ts, plus
 * cert-manager's CertificateRequest webhook behaviour (./webhook.ts). Deliberate leniencies, all
 * covered against a real API server by the real-cluster test tier:
 *  - no RBAC: every authenticated user may do anything (anonymous requests get 401, except
 *    /healthz, /livez and /readyz);
 *  - creating an object in a missing namespace creates the namespace instead of answering 404;
 *  - a Pod-bound ServiceAccount token is only rejected for a Pod that exists with another UID;
 *  - `limit`/`continue`, dry-run, server-side apply and managedFields are not implemented;
 *  - core/v1 and events.k8s.io/v1 Events are stored separately.
 */
import { randomBytes } from 'node:crypto';
import { ResourceApi } from './api';
import { Authenticator, type TokenOptions } from './auth';
import { FaultState } from './faults';
import { createRequestHandler, type RequestLogEntry } from './http-handler';
import { KubeconfigWriter } from './kubeconfig';
import { findType, resolveType, type KubeObject } from './resources';
import { Listener } from './server';
import { ObjectStore } from './store';
import { WatchHub } from './watch';
import { createSelfSignedCa, issueServingCert } from './x509-util';

export type { KubeObject } from './resources';
export type { RequestLogEntry } from './http-handler';

export interface KubeSim {
  url: string;
  /** The CA that signed the serving certificate (TLS only). */
  caPem?: string;
  /** Authenticates as "kube-admin", groups ["system:masters", "system:authenticated"]. */
  adminToken: string;
  writeKubeconfig(token: string, path?: string): string;
  serviceAccountToken(namespace: string, serviceAccount: string, opts?: TokenOptions): string;
  addUser(token: string, user: { username: string; groups?: string[]; uid?: string; extra?: Record<string, string[]> }): void;
  faults: {
    /** End every open watch stream now (clean end of the response). */
    dropWatches(): void;
    /** The next `count` (default 1) requests matching `match` get `status` (default 500) as a Status. */
    failRequests(o: { status?: number; count?: number; match?: (method: string, path: string) => boolean }): void;
    conflictNextStatusWrites(n: number): void;
    /** Forget the event history: a watch from any older resourceVersion gets 410 Gone. */
    compact(): void;
    goDown(): Promise<void>;
    comeUp(): Promise<void>;
    /** Clear pending injected failures and conflicts (objects stay). */
    reset(): void;
  };
  /** Every answered request (path without query; the query string is in `query`). */
  requests: RequestLogEntry[];
  store: {
    get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
    list(resource: string, namespace?: string): KubeObject[];
    resourceVersion(): string;
    /** `listener` runs as each write is applied, before any response or watch event is sent. */
    onCommit(resource: string, listener: (object: KubeObject) => void): () => void;
  };
  openWatches(): number;
  close(): Promise<void>;
}

export interface KubeSimOptions {
  tls?: boolean;
  port?: number;
  host?: string;
  /** Events kept for watch resumption (default 10,000). */
  historyLimit?: number;
  /** BOOKMARK period for watches with allowWatchBookmarks=true (default 5 s). */
  bookmarkIntervalMs?: number;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const host = opts.host ?? '127.0.0.1';
  const store = new ObjectStore(opts.historyLimit ?? 10_000);
  const faults = new FaultState();
  const api = new ResourceApi(store, faults);
  DEFAULT_NAMESPACES.forEach((ns) => api.ensureNamespace(ns));

  const serviceAccounts = findType('', 'v1', 'serviceaccounts')!;
  const pods = findType('', 'v1', 'pods')!;
  const auth = new Authenticator({
    ensureServiceAccount: (ns, name) =>
      (store.get(serviceAccounts, ns, name) ?? api.create(serviceAccounts, ns, JSON.stringify({ metadata: { name } }), { username: 'system:kube-sim', groups: [] })).metadata.uid!,
    serviceAccountUid: (ns, name) => store.get(serviceAccounts, ns, name)?.metadata.uid,
    podUid: (ns, name) => store.get(pods, ns, name)?.metadata.uid,
  });
  const adminToken = randomBytes(24).toString('hex');
  auth.addUser(adminToken, { username: 'kube-admin', groups: ['system:masters'] });

  const watches = new WatchHub(store, { bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5_000 });
  const requests: RequestLogEntry[] = [];
  let port = opts.port ?? 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const handler = createRequestHandler({ api, auth, faults, watches, log: requests, serverAddress: () => `${urlHost}:${port}` });

  const ca = opts.tls ? await createSelfSignedCa('kube-sim-ca') : undefined;
  const listener = new Listener(handler, ca ? await issueServingCert(ca, host) : undefined);
  await listener.listen(port, host);
  port = listener.port;
  const url = `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`;
  const kubeconfigs = new KubeconfigWriter(url, ca?.certPem);

  return {
    url,
    caPem: ca?.certPem,
    adminToken,
    writeKubeconfig: (token, path) => kubeconfigs.write(token, path),
    serviceAccountToken: (ns, sa, o) => auth.serviceAccountToken(ns, sa, o),
    addUser: (token, user) => auth.addUser(token, user),
    faults: {
      dropWatches: () => watches.dropAll(),
      failRequests: (o) => faults.failRequests(o),
      conflictNextStatusWrites: (n) => faults.conflictNextStatusWrites(n),
      compact: () => store.compact(),
      goDown: () => listener.close(),
      comeUp: async () => {
        if (!listener.listening) await listener.listen(port, host);
      },
      reset: () => faults.reset(),
    },
    requests,
    store: {
      get: (resource, ns, name) => structuredClone(store.get(resolveType(resource), ns || undefined, name)),
      list: (resource, ns) => structuredClone(store.list(resolveType(resource), ns)),
      resourceVersion: () => String(store.currentRevision()),
      onCommit: (resource, listener) => store.subscribe(resolveType(resource), (e) => listener(structuredClone(e.object))),
    },
    openWatches: () => watches.openCount,
    close: async () => {
      await listener.close();
      kubeconfigs.cleanup();
    },
  };
}
