// Steps that act as kubelet against the real driver over its CSI socket (root: tmpfs, bind mounts).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { failureOf } from '../../test/csi-grpc/harness';
import type { Stack } from '../../test/e2e/stack';
import type { PodVolume } from '../../test/e2e/kubelet';
import { APP_SA, NAMESPACE } from './approver-steps';
import { leafOf, mountOf, opensslVerify, printCertificate, printPodFiles } from './certificate-view';
import { rows, say, seconds, section } from './output';
import { requestRows, requestsBy } from './requests-view';
import { openWorkloadWatch, printWorkloadApi, type WorkloadWatch } from './workload-api-steps';

/** The group the example Pod runs as (pod.spec.securityContext.fsGroup → volume_mount_group). */
const FS_GROUP = 2000;

const podFiles = (targetPath: string) => readdirSync(targetPath).filter((f) => !f.startsWith('..')).sort();

/** Reads cert and key from one payload (resolve ..data once), as a careful reader in the Pod would. */
function readPayload(targetPath: string): { cert: string; key: string } {
  const dir = join(targetPath, readlinkSync(join(targetPath, '..data')));
  return { cert: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') };
}

export async function publishExampleApp(stack: Stack, caFile: string): Promise<PodVolume> {
  section(`kubelet mounts the volume for Pod ${NAMESPACE}/${APP_SA} (NodePublishVolume over the CSI socket)`);
  const volume = stack.pod({ namespace: NAMESPACE, serviceAccount: APP_SA, name: 'example-app-0', fsGroup: FS_GROUP });
  rows([
    ['Pod', `${volume.pod.namespace}/${volume.pod.name} (ServiceAccount ${APP_SA}, fsGroup ${FS_GROUP})`],
    ['token', 'a fresh ServiceAccount token bound to the Pod, in the volume context'],
    ['target path', volume.targetPath],
  ]);
  const started = Date.now();
  await stack.publish(volume);
  say(`mounted in ${seconds(Date.now() - started)}: key made on the node, CSR approved, certificate issued and written`);

  section('The request behind it');
  rows(requestRows(requestsBy(stack.sim, NAMESPACE, APP_SA)[0]));

  section('The SVID the Pod sees');
  printCertificate(leafOf(readPayload(volume.targetPath).cert), await opensslVerify(caFile, join(volume.targetPath, 'tls.crt')));

  section('Files in the Pod\'s view (/var/run/secrets/spiffe.io in the container)');
  printPodFiles(volume.targetPath, podFiles(volume.targetPath));
  rows([['mount', mountOf(volume.targetPath)]]);
  return volume;
}

export async function renewal(stack: Stack, certLifetimeMs: number): Promise<{ oldSerial: string; newSerial: string }> {
  section(`Renewal: a Pod with ${seconds(certLifetimeMs)} certificates (renewed at about 2/3 of the lifetime)`);
  stack.issuer.setCertDuration(certLifetimeMs);
  const volume = stack.pod({ namespace: NAMESPACE, serviceAccount: 'short-lived', name: 'short-lived-0' });
  let watch: WorkloadWatch | undefined;
  try {
    await stack.publish(volume);
    watch = await openWorkloadWatch(stack, volume);
    const first = readPayload(volume.targetPath);
    const firstLeaf = leafOf(first.cert);
    const deadline = Date.now() + certLifetimeMs * 3;
    let next = first;
    while (next.cert === first.cert) {
      if (Date.now() > deadline) throw new Error('the certificate was not renewed in time');
      await new Promise((r) => setTimeout(r, 100));
      next = readPayload(volume.targetPath);
    }
    const nextLeaf = leafOf(next.cert);
    rows([
      ['SPIFFE ID', nextLeaf.uriSans.join(', ')],
      ['old serial', `${firstLeaf.serialNumber}  (valid ${firstLeaf.notBefore.toISOString()} → ${firstLeaf.notAfter.toISOString()})`],
      ['new serial', `${nextLeaf.serialNumber}  (valid ${nextLeaf.notBefore.toISOString()} → ${nextLeaf.notAfter.toISOString()})`],
      ['renewed after', `${seconds(nextLeaf.notBefore.getTime() - firstLeaf.notBefore.getTime())} (1 s resolution)`],
      ['new key', firstLeaf.spkiDer.equals(nextLeaf.spkiDer) ? 'NO — same public key' : 'yes, the key pair was replaced'],
      ['swap', 'atomic: ..data now points at a new payload dir, the Pod never sees half a pair'],
    ]);
    printWorkloadApi(watch, await watch.rotation(certLifetimeMs * 2));
    return { oldSerial: firstLeaf.serialNumber, newSerial: nextLeaf.serialNumber };
  } finally {
    watch?.close();
    stack.issuer.setCertDuration(undefined);
    await stack.unpublish(volume).catch(() => undefined);
  }
}

export async function writableVolumeRejected(stack: Stack): Promise<void> {
  section('A Pod that mounts the volume with readOnly: false');
  const volume = stack.pod({ namespace: NAMESPACE, serviceAccount: 'careless', name: 'careless-0' });
  const failure = await failureOf(stack.csi.node.NodePublishVolume({ ...volume.request, readonly: false }));
  rows([
    ['result', `${grpcStatus[failure.code] ?? failure.code} (gRPC code ${failure.code})`],
    ['message', failure.details],
    ['requests made', String(requestsBy(stack.sim, NAMESPACE, 'careless').length)],
  ]);
}
