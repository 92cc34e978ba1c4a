// The SPIFFE Workload API in the Pod's volume, used the way a Pod's SPIFFE client uses it: through
// the read-only bind mount (/var/run/secrets/spiffe.io in a container; here a short path under the
// work dir, since kubelet's target path is longer than a unix socket path may be, and so the
// demo's teardown unmounts it with everything else), with a client that follows the spec.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitDer, WorkloadClient, type StreamReader, type X509SvidMessage } from '../../apps/csi-driver/src/workload-api/testing/workload-client';
import type { Stack } from '../../test/e2e/stack';
import type { PodVolume } from '../../test/e2e/kubelet';
import { mountPodView } from '../../test/workload-api/pod-view';
import { encodePem } from '@spiffe-csi/crypto';
import { leafOf } from './certificate-view';
import { rows, section } from './output';

interface Svid { spiffeId: string; serial: string; bundleSize: number; leafDer: Buffer }

// Serials formatted as the file rows above them are (certificate-view's leafOf).
const summary = (m: X509SvidMessage): Svid => {
  const [leaf] = splitDer(m.svids[0].x509_svid);
  return {
    spiffeId: m.svids[0].spiffe_id, serial: leafOf(encodePem('CERTIFICATE', leaf.raw)).serialNumber,
    bundleSize: splitDer(m.svids[0].bundle).length, leafDer: leaf.raw,
  };
};

export interface WorkloadWatch {
  /** What FetchX509SVID sent on connect. */
  first: Svid;
  /** Waits for the next message on the same stream that carries a different certificate. */
  rotation(timeoutMs: number): Promise<Svid>;
  /** The tls.crt the Pod sees now, to show the pushed SVID is the same certificate. */
  filesLeaf(): Buffer;
  close(): void;
}

export async function openWorkloadWatch(stack: Stack, volume: PodVolume): Promise<WorkloadWatch> {
  const view = mountPodView(volume.targetPath, 'workload.sock', stack.workDir);
  const client = new WorkloadClient(view.socket);
  const stream: StreamReader<X509SvidMessage> = client.fetchX509Svid();
  try {
    const first = summary(await stream.next(10_000));
    return {
      first,
      rotation: async (timeoutMs) => {
        for (const deadline = Date.now() + timeoutMs; ;) {
          const next = summary(await stream.next(Math.max(1, deadline - Date.now())));
          if (!next.leafDer.equals(first.leafDer)) return next;
        }
      },
      filesLeaf: () => new X509Certificate(readFileSync(join(view.dir, 'tls.crt'))).raw,
      close: () => {
        stream.cancel();
        client.close();
        view.release();
      },
    };
  } catch (err) {
    client.close();
    view.release();
    throw err;
  }
}

export function printWorkloadApi(watch: WorkloadWatch, pushed: Svid): void {
  section('The same renewal over the SPIFFE Workload API (workload.sock in the volume)');
  rows([
    ['endpoint', 'SPIFFE_ENDPOINT_SOCKET=unix:///var/run/secrets/spiffe.io/workload.sock in the container'],
    ['Workload API fetch', `${watch.first.spiffeId}  serial ${watch.first.serial}, bundle of ${watch.first.bundleSize} CA`],
    ['Workload API push', `${pushed.serial}  on the open FetchX509SVID stream (no reconnect, no polling)`],
    ['same as tls.crt', watch.filesLeaf().equals(pushed.leafDer) ? 'yes' : 'NO'],
  ]);
}
