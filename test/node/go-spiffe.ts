// The reference SPIFFE client in a real Pod: image.sh puts the static go-spiffe-client into the
// busybox WORKLOAD image when scripts/go-spiffe-client/build.sh has built it, and the Pod runs it
// with nothing but SPIFFE_ENDPOINT_SOCKET, as a non-root member of the volume's fs-group, until
// it has seen a rotation pushed (the tier's 90 s certificates renew after about 60 s). The Pod
// stays Running afterwards so the result is read from its CRI log, not from a short exec.
import { goSpiffeClientBinary, GO_SPIFFE_REQUIRED, type GoClientEvent } from '../workload-api/go-spiffe-client';
import { workloadPod, type PodObject } from './node';

/** Whether the WORKLOAD image carries the client (the same check image.sh made). */
export const GO_SPIFFE = goSpiffeClientBinary();
/** Run the check when the client is there; under CI also without it, so that it fails. */
export const RUN_GO_SPIFFE = !!GO_SPIFFE.path || GO_SPIFFE_REQUIRED;

export function goSpiffePod(namespace: string, name: string, serviceAccount: string, expectId: string, fsGroup: number, uid: number): PodObject {
  const pod = workloadPod(namespace, name, {
    serviceAccount, attributes: { 'spiffe.csi.cert-manager.io/fs-group': String(fsGroup) },
    securityContext: { runAsUser: uid, runAsGroup: fsGroup, runAsNonRoot: true },
    command: ['sh', '-c', `go-spiffe-client -updates=2 -timeout=170s -expect-id=${expectId}; ` +
      'echo "{\\"event\\":\\"exit\\",\\"code\\":$?}"; trap "exit 0" TERM; while true; do sleep 1; done'],
  });
  const [container] = (pod.spec as { containers: Record<string, unknown>[] }).containers;
  container.env = [{ name: 'SPIFFE_ENDPOINT_SOCKET', value: 'unix:///var/run/secrets/spiffe.io/workload.sock' }];
  return pod;
}

/** The client's JSON lines from a CRI log ("<time> stdout F <line>" per line). */
export function goSpiffeEvents(log: string): GoClientEvent[] {
  return log.split('\n').map((l) => /^\S+ stdout [FP] (\{.*\})$/.exec(l)?.[1]).filter((l): l is string => !!l)
    .map((l) => JSON.parse(l) as GoClientEvent);
}
