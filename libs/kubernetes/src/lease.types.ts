import type { KubeObject } from './objects';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  /** metav1.MicroTime: RFC3339 with microseconds. */
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  apiVersion?: 'coordination.k8s.io/v1';
  kind?: 'Lease';
  spec?: LeaseSpec;
}

export function leasesPath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name ? `${base}/${encodeURIComponent(name)}` : base;
}

/** Two observations describe the same lease record (client-go compares the whole record). */
export function sameLeaseRecord(a: LeaseSpec | undefined, b: LeaseSpec | undefined): boolean {
  return (
    (a?.holderIdentity ?? '') === (b?.holderIdentity ?? '') &&
    a?.leaseDurationSeconds === b?.leaseDurationSeconds &&
    (a?.acquireTime ?? '') === (b?.acquireTime ?? '') &&
    (a?.renewTime ?? '') === (b?.renewTime ?? '') &&
    (a?.leaseTransitions ?? 0) === (b?.leaseTransitions ?? 0)
  );
}
