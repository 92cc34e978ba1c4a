// The node tier's checks, in the order a user meets them: install the chart, run the examples,
// watch renewals (in the files, and pushed to go-spiffe in a Pod), delete Pods, restart the
// driver, lose the approver leader, misconfigure a Pod, measure Pod startup, uninstall. One file: each check builds on the cluster state the previous
// ones left (like a user's session), and `helm uninstall` must come last.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Manifest, RealCluster } from '../real/cluster';
import { startLoopbackWatch, type LoopbackWatch } from './loopback';
import {
  closeCri, connect, containerLog, deletePod, DRIVER_NAME, ENV, execInPod, getPod, helmInstall, helmRun, helmTemplate,
  hostMountsUnder, isReady, ISSUER_CA, listPods, podEvents, RELEASE, RELEASE_NAMESPACE, SKIP_REASON, targetPath,
  waitFor, waitPodGone, waitPodReady, workloadNamespace, workloadPod, type PodObject,
} from './node';
import {
  APPROVER_SELECTOR, certificateRequestsOwnedBy, type DeploymentSpec, DRIVER_SELECTOR, example, MOUNT, NAME, pathFor,
  readSvid, readyPodsOf, TRUST_DOMAIN, uriSans, volumeHandle,
} from './node-reads';
import { measureStartup, printFigure } from './startup-figure';
import { GO_SPIFFE, goSpiffeEvents, goSpiffePod, RUN_GO_SPIFFE } from './go-spiffe';

let cluster: RealCluster;
let loopback: LoopbackWatch;

describe.skipIf(!!SKIP_REASON)(`test:node — a real node${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`, () => {
  beforeAll(() => {
    cluster = connect();
    loopback = startLoopbackWatch(ENV);
  });
  afterAll(() => {
    loopback?.stop();
    closeCri();
    cluster?.close();
  });

  describe('1. helm install', () => {
    it('the DaemonSet and the approver become Ready through their probes; CSINode lists the driver', async () => {
      const out = helmInstall();
      expect(out).toMatch(/STATUS: deployed/);
      const [driver] = await readyPodsOf(cluster, RELEASE_NAMESPACE, DRIVER_SELECTOR, 1);
      const [approver] = await readyPodsOf(cluster, RELEASE_NAMESPACE, APPROVER_SELECTOR, 1);
      // Ready through the real probes: kubelet ran them (the spec has them) and nothing restarted.
      const probes = (p: PodObject) => (p.spec.containers as { readinessProbe?: unknown; livenessProbe?: unknown }[])
        .filter((c) => c.readinessProbe || c.livenessProbe).length;
      expect(probes(driver)).toBeGreaterThan(0);
      expect(probes(approver)).toBe(1);
      const csiNode = await waitFor('CSINode listing the driver', async () => {
        const n = await cluster.must<{ spec: { drivers?: { name: string; nodeID: string }[] } }>('GET', `/apis/storage.k8s.io/v1/csinodes/${ENV.NODE_NAME}`);
        return n.spec.drivers?.find((d) => d.name === DRIVER_NAME);
      });
      expect(csiNode.nodeID).toBe(ENV.NODE_NAME);
      // After a liveness period, still no restarts (liveness held).
      await sleep(12_000);
      for (const p of [...await listPods(cluster, RELEASE_NAMESPACE, DRIVER_SELECTOR), ...await listPods(cluster, RELEASE_NAMESPACE, APPROVER_SELECTOR)]) {
        expect(isReady(p), p.metadata.name).toBe(true);
        for (const c of p.status?.containerStatuses ?? []) expect(c.restartCount, `${p.metadata.name}/${c.name}`).toBe(0);
      }
    }, 240_000);
  });

  describe('2. the example app', () => {
    it('gets tls.crt/tls.key for its SPIFFE ID, mode 0440, on a read-only tmpfs', async () => {
      for (const m of example('example-app.yaml')) await cluster.apply(m);
      const pods = await readyPodsOf(cluster, 'sandbox', 'app=example-app', 2);
      for (const pod of pods) {
        const name = pod.metadata.name;
        const ls = await execInPod(cluster, 'sandbox', name, `ls ${MOUNT}`);
        expect(ls.stdout.split(/\s+/)).toEqual(expect.arrayContaining(['tls.crt', 'tls.key']));
        const { cert, keyPem } = await readSvid(cluster, 'sandbox', name);
        expect(uriSans(cert)).toEqual([`spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/example-app`]);
        expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
        expect(cert.verify(new X509Certificate(ISSUER_CA).publicKey)).toBe(true);
        const modes = await execInPod(cluster, 'sandbox', name, `stat -L -c '%a' ${MOUNT}/tls.crt ${MOUNT}/tls.key`);
        expect(modes.stdout.trim().split('\n')).toEqual(['440', '440']);
        const mount = await execInPod(cluster, 'sandbox', name, `grep ' ${MOUNT} ' /proc/mounts`);
        const [, , fsType, options] = mount.stdout.trim().split(' ');
        expect(fsType).toBe('tmpfs');
        expect(options.split(',')).toContain('ro');
        const write = await execInPod(cluster, 'sandbox', name, `touch ${MOUNT}/x`);
        expect(write.code).not.toBe(0);
        expect(write.stderr).toMatch(/Read-only file system/);
      }
    }, 180_000);
  });

  describe('3. fs-group', () => {
    it('the fs-group example (non-root, in the group) reads its key', async () => {
      for (const m of example('fs-group-app.yaml')) await cluster.apply(m);
      const [pod] = await readyPodsOf(cluster, 'sandbox', 'app=fs-group-app', 1);
      const read = await execInPod(cluster, 'sandbox', pod.metadata.name, `id; cat ${MOUNT}/tls.key >/dev/null && echo readable`);
      expect(read.stdout).toMatch(/uid=1321 gid=1541/);
      expect(read.stdout).toContain('readable');
      expect((await execInPod(cluster, 'sandbox', pod.metadata.name, `stat -L -c '%g %a' ${MOUNT}/tls.key`)).stdout.trim()).toBe('1541 440');
    }, 120_000);

    it('a container without the group cannot read the key', async () => {
      await cluster.apply(workloadPod('sandbox', 'no-group', {
        serviceAccount: 'fs-group-app', attributes: { 'spiffe.csi.cert-manager.io/fs-group': '1541' },
        securityContext: { runAsUser: 1321, runAsGroup: 1321, runAsNonRoot: true },
      }));
      await waitPodReady(cluster, 'sandbox', 'no-group');
      const read = await execInPod(cluster, 'sandbox', 'no-group', `cat ${MOUNT}/tls.key`);
      expect(read.code).not.toBe(0);
      expect(read.stderr).toMatch(/Permission denied/);
    }, 120_000);

    it('a Pod with only securityContext.fsGroup: what this kubelet does with it', async () => {
      await cluster.apply(workloadPod('sandbox', 'pod-fsgroup', {
        serviceAccount: 'fs-group-app', securityContext: { runAsUser: 1321, runAsGroup: 1321, fsGroup: 1541, runAsNonRoot: true },
      }));
      const pod = await waitPodReady(cluster, 'sandbox', 'pod-fsgroup');
      const node = await cluster.must<{ status: { nodeInfo: { kubeletVersion: string } } }>('GET', `/api/v1/nodes/${ENV.NODE_NAME}`);
      const minor = Number(/^v1\.(\d+)/.exec(node.status.nodeInfo.kubeletVersion)?.[1]);
      const id = await execInPod(cluster, 'sandbox', 'pod-fsgroup', 'id -G');
      expect(id.stdout.split(/\s+/)).toContain('1541'); // the Pod has the group...
      const read = await execInPod(cluster, 'sandbox', 'pod-fsgroup', `cat ${MOUNT}/tls.key >/dev/null && echo readable`);
      if (minor < 23) {
        // ...but kubelet < 1.23 neither passes fsGroup to CSI drivers (volume_mount_group) nor
        // applies it to a read-only volume: the files stay root-owned (dir 0550, files 0440), the
        // key unreadable. What the user sees:
        console.warn(`kubelet ${node.status.nodeInfo.kubeletVersion}, Pod with only securityContext.fsGroup: ${read.stderr.trim()} — use the spiffe.csi.cert-manager.io/fs-group volume attribute`);
        expect(read.code).not.toBe(0);
        expect(read.stderr).toMatch(/Permission denied/);
        // The driver was not told: the volume's files belong to root's group.
        const volumeId = volumeHandle(pod.metadata.uid as string);
        expect(statSync(join(ENV.CSI_DATA_DIR, volumeId, 'data', 'tls.key')).gid).toBe(0);
      } else {
        expect(read.stdout).toContain('readable');
      }
    }, 120_000);
  });

  describe('4. renewal', () => {
    it('a renewed certificate is seen from inside the running container', async () => {
      const [pod] = await readyPodsOf(cluster, 'sandbox', 'app=example-app', 2);
      const before = await readSvid(cluster, 'sandbox', pod.metadata.name);
      const lifetimeMs = Date.parse(before.cert.validTo) - Date.parse(before.cert.validFrom);
      const after = await waitFor('a renewed tls.crt', async () => {
        const now = await readSvid(cluster, 'sandbox', pod.metadata.name);
        return now.cert.serialNumber !== before.cert.serialNumber ? now : undefined;
      }, lifetimeMs + 30_000, 2_000);
      expect(Date.parse(after.cert.validTo)).toBeGreaterThan(Date.parse(before.cert.validTo));
      expect(after.cert.checkPrivateKey(createPrivateKey(after.keyPem))).toBe(true);
      expect(uriSans(after.cert)).toEqual([`spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/example-app`]);
    }, 200_000);

    (RUN_GO_SPIFFE ? it : it.skip)(`go-spiffe in a Pod: fetches through SPIFFE_ENDPOINT_SOCKET, validates, sees a pushed rotation${GO_SPIFFE.reason ? ` (${GO_SPIFFE.reason})` : ''}`, async () => {
      expect(GO_SPIFFE.reason, 'CI builds the client (scripts/go-spiffe-client/build.sh) before this tier').toBeUndefined();
      const id = `spiffe://${TRUST_DOMAIN}/ns/sandbox/sa/fs-group-app`;
      await cluster.apply(goSpiffePod('sandbox', 'go-spiffe', 'fs-group-app', id, 1541, 1321));
      const pod = await waitPodReady(cluster, 'sandbox', 'go-spiffe');
      const events = await waitFor('the go-spiffe client to finish', () => {
        const seen = goSpiffeEvents(containerLog(pod, 'app'));
        return seen.some((e) => e.event === 'exit') ? seen : undefined;
      }, 200_000, 2_000);
      // go-spiffe's own log lines (connection errors, refused responses) say why when it failed.
      expect(events.find((e) => e.event === 'error'), JSON.stringify(events.slice(-5))).toBeUndefined();
      expect(events.find((e) => e.event === 'fetch')).toMatchObject({ spiffeId: id, bundleSize: 1 });
      expect(events.find((e) => e.event === 'update' && e.rotated)).toMatchObject({ spiffeId: id });
      expect(events.slice(-2)).toEqual([{ event: 'done', updates: 2 }, { event: 'exit', code: 0 }]);
      await deletePod(cluster, 'sandbox', 'go-spiffe');
      await waitPodGone(cluster, 'sandbox', 'go-spiffe');
    }, 320_000);
  });

  describe('5. deleting the Pod', () => {
    it('kubelet unpublishes; the mount and the volume dir are gone; the CertificateRequests are garbage-collected', async () => {
      const [pod] = await readyPodsOf(cluster, 'sandbox', 'app=example-app', 2);
      const uid = pod.metadata.uid as string;
      const target = targetPath(uid);
      const volumeId = volumeHandle(uid);
      expect(hostMountsUnder(target).length).toBeGreaterThan(0);
      expect(existsSync(join(ENV.CSI_DATA_DIR, volumeId))).toBe(true);
      expect((await certificateRequestsOwnedBy(cluster, 'sandbox', uid)).length).toBeGreaterThan(0);

      await deletePod(cluster, 'sandbox', pod.metadata.name);
      await waitPodGone(cluster, 'sandbox', pod.metadata.name);
      const [driver] = await listPods(cluster, RELEASE_NAMESPACE, DRIVER_SELECTOR);
      await waitFor('the driver logging the unpublish', () =>
        containerLog(driver, NAME).split('\n').some((l) => l.includes('volume unpublished') && l.includes(volumeId)));
      expect(hostMountsUnder(target)).toEqual([]);
      await waitFor('the Pod volume dir removed', () => !existsSync(join(ENV.KUBELET_ROOT, 'pods', uid, 'volumes/kubernetes.io~csi/spiffe')), 30_000);
      expect(existsSync(join(ENV.CSI_DATA_DIR, volumeId))).toBe(false);
      await waitFor('the CertificateRequests garbage-collected', async () => (await certificateRequestsOwnedBy(cluster, 'sandbox', uid)).length === 0, 60_000);
    }, 180_000);
  });

  describe('6. restarting the driver', () => {
    it('the replacement driver Pod adopts the tmpfs; the app keeps seeing renewals through its mount', async () => {
      const [app] = await readyPodsOf(cluster, 'sandbox', 'app=example-app', 2, 60_000).then((p) => p.slice(0, 1));
      const dataMount = () => hostMountsUnder(ENV.CSI_DATA_DIR).find((m) => m.mountPoint === ENV.CSI_DATA_DIR && m.fsType === 'tmpfs');
      const tmpfsBefore = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === ENV.CSI_DATA_DIR && l.includes(' - tmpfs '));
      expect(dataMount()).toBeDefined();
      const [oldDriver] = await listPods(cluster, RELEASE_NAMESPACE, DRIVER_SELECTOR);
      await deletePod(cluster, RELEASE_NAMESPACE, oldDriver.metadata.name);
      await waitPodGone(cluster, RELEASE_NAMESPACE, oldDriver.metadata.name);
      const [newDriver] = await readyPodsOf(cluster, RELEASE_NAMESPACE, DRIVER_SELECTOR, 1);
      expect(newDriver.metadata.name).not.toBe(oldDriver.metadata.name);
      // Same tmpfs (mount ID unchanged), not a fresh one.
      const tmpfsAfter = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === ENV.CSI_DATA_DIR && l.includes(' - tmpfs '));
      expect(tmpfsAfter.map((l) => l.split(' ')[0])).toEqual(tmpfsBefore.map((l) => l.split(' ')[0]));
      const atRestart = await readSvid(cluster, 'sandbox', app.metadata.name);
      const renewed = await waitFor('a renewal after the driver restart', async () => {
        const now = await readSvid(cluster, 'sandbox', app.metadata.name);
        return now.cert.serialNumber !== atRestart.cert.serialNumber ? now : undefined;
      }, 120_000, 2_000);
      expect(renewed.cert.checkPrivateKey(createPrivateKey(renewed.keyPem))).toBe(true);
      expect(containerLog(newDriver, NAME)).toMatch(/resumed renewal of existing volumes/);
    }, 240_000);
  });

  describe('7. approver leader election', () => {
    // On one node with hostNetwork, two replicas of one Deployment cannot both bind the probe and
    // metrics ports (they are host ports; the scheduler will not co-locate them). The second
    // replica is the chart's own approver Deployment rendered with other ports, as a second node
    // would host it: same ServiceAccount, same Lease, same image and args.
    const SECOND = `${NAME}-approver-b`;
    afterAll(async () => {
      await cluster.must('DELETE', `/apis/apps/v1/namespaces/${RELEASE_NAMESPACE}/deployments/${SECOND}`, undefined, [200, 202, 404]);
    });

    it('killing the leader Pod: the other replica takes over and decides new requests', async () => {
      const rendered = parseAllDocuments(helmTemplate(['app.approver.readinessProbe.port=6070', 'app.approver.metrics.port=9412'],
        'templates/deployment.yaml')).map((d) => d.toJS() as Manifest & { spec: DeploymentSpec })[0];
      rendered.metadata.name = SECOND;
      rendered.spec.selector.matchLabels.app = SECOND;
      rendered.spec.template.metadata.labels.app = SECOND;
      await cluster.apply(rendered);
      await readyPodsOf(cluster, RELEASE_NAMESPACE, `app=${SECOND}`, 1);
      const approverPods = async () => [...await listPods(cluster, RELEASE_NAMESPACE, APPROVER_SELECTOR),
        ...await listPods(cluster, RELEASE_NAMESPACE, `app=${SECOND}`)].filter((p) => !p.metadata.deletionTimestamp);
      const holder = async () => (await cluster.must<{ spec: { holderIdentity?: string } }>('GET',
        `/apis/coordination.k8s.io/v1/namespaces/${RELEASE_NAMESPACE}/leases/${DRIVER_NAME}`)).spec.holderIdentity;
      // Every replica logs the identity it *observes* as leader, so the leader is the one Pod that
      // logged "became leader" with the Lease's holder as its own identity.
      const ledBy = (identity: string) => async () => (await approverPods()).find((p) => containerLog(p, `${NAME}-approver`)
        .split('\n').some((l) => l.includes('became leader') && l.includes(`"identity":"${identity}"`)));
      const oldHolder = await waitFor('a Lease holder', holder, 30_000, 500);
      const leader = await waitFor(`the Pod that leads as ${oldHolder}`, ledBy(oldHolder), 30_000, 500);
      const killedAt = Date.now();
      await deletePod(cluster, RELEASE_NAMESPACE, leader.metadata.name, 0);
      // The survivor: the second replica, or the chart Deployment's replacement Pod if it is quicker
      // to the expired Lease (both are "the other replica" of a two-replica approver).
      const newHolder = await waitFor('another approver to take the Lease',
        async () => { const h = await holder(); return h && h !== oldHolder ? h : undefined; }, 60_000, 250);
      const takeoverMs = Date.now() - killedAt;
      const successor = await waitFor(`the Pod that leads as ${newHolder}`, ledBy(newHolder), 30_000, 500);
      expect(successor.metadata.name).not.toBe(leader.metadata.name);
      const ns = await workloadNamespace(cluster, 'after-failover');
      await cluster.apply(workloadPod(ns, 'after-failover', { serviceAccount: 'app' }));
      await waitPodReady(cluster, ns, 'after-failover');
      console.warn(`approver failover: ${successor.metadata.name} took the Lease ${takeoverMs} ms after the leader Pod was killed`);
      // The new leader decided the new Pod's request (its log names it), and it was approved.
      const decided = containerLog(successor, `${NAME}-approver`).split('\n')
        .filter((l) => l.includes('approved certificate request') && l.includes(`"namespace":"${ns}"`));
      expect(decided.length).toBeGreaterThan(0);
    }, 240_000);
  });

  describe('8. misconfigured Pods', () => {
    it('a ServiceAccount without RBAC for CertificateRequests: ContainerCreating, with an Event that says why', async () => {
      const ns = await workloadNamespace(cluster, 'no-rbac', 'app', false);
      await cluster.apply(workloadPod(ns, 'no-rbac', { serviceAccount: 'app' }));
      const event = await waitFor('a FailedMount Event', async () =>
        (await podEvents(cluster, ns, 'no-rbac')).find((e) => e.reason === 'FailedMount'), 90_000, 1_000);
      expect(event.message).toMatch(/forbidden|cannot create resource "certificaterequests"/i);
      const pod = await getPod(cluster, ns, 'no-rbac');
      expect(pod?.status?.phase).toBe('Pending');
      expect(JSON.stringify(pod?.status?.containerStatuses?.[0]?.state)).toMatch(/ContainerCreating/);
    }, 120_000);

    it('a Pod without readOnly: true gets the readOnly message as an Event', async () => {
      const ns = await workloadNamespace(cluster, 'not-ro');
      await cluster.apply(workloadPod(ns, 'not-ro', { serviceAccount: 'app', readOnly: false }));
      const event = await waitFor('a FailedMount Event', async () =>
        (await podEvents(cluster, ns, 'not-ro')).find((e) => e.reason === 'FailedMount'), 90_000, 1_000);
      expect(event.message).toContain("pod.spec.volumes[].csi.readOnly must be set to 'true'");
    }, 120_000);
  });

  describe('the figure users feel', () => {
    it('Pod creation → Running: 20 Pods with our volume against 20 without', async () => {
      const ns = await workloadNamespace(cluster, 'startup');
      const figure = await measureStartup(cluster, ns, 20);
      printFigure(figure);
      expect(figure.withVolume.length).toBe(20);
      expect(figure.without.length).toBe(20);
      await cluster.must('DELETE', `/api/v1/namespaces/${ns}`, undefined, [200, 202]);
    }, 600_000);
  });

  describe('9. helm uninstall', () => {
    it('removes everything the chart made; the node is clean', async () => {
      // A user removes the workloads first; then the driver.
      const namespaces = (await cluster.must<{ items: Manifest[] }>('GET', '/api/v1/namespaces')).items.map((n) => n.metadata.name)
        .filter((n) => !['default', 'kube-system', 'kube-public', 'kube-node-lease', RELEASE_NAMESPACE].includes(n));
      for (const n of namespaces) await cluster.must('DELETE', `/api/v1/namespaces/${n}`, undefined, [200, 202, 404]);
      await waitFor('workload Pods gone', async () => {
        const pods = (await cluster.must<{ items: PodObject[] }>('GET', '/api/v1/pods')).items.filter((p) => p.metadata.namespace !== RELEASE_NAMESPACE);
        return pods.length === 0;
      }, 180_000, 1_000);
      const rendered = parseAllDocuments(helmTemplate()).map((d) => d.toJS() as Manifest).filter(Boolean);
      expect(helmRun(['uninstall', RELEASE, '--namespace', RELEASE_NAMESPACE, '--wait'])).toMatch(/uninstalled/);
      await waitFor('the chart\'s Pods gone', async () => (await listPods(cluster, RELEASE_NAMESPACE)).length === 0, 120_000, 1_000);
      for (const m of rendered) {
        const res = await cluster.admin.request('GET', pathFor(m));
        expect(res.status, `${m.kind}/${m.metadata.name} still there`).toBe(404);
      }
      await waitFor('CSINode without the driver', async () => {
        const n = await cluster.must<{ spec: { drivers?: { name: string }[] | null } }>('GET', `/apis/storage.k8s.io/v1/csinodes/${ENV.NODE_NAME}`);
        return !(n.spec.drivers ?? []).some((d) => d.name === DRIVER_NAME);
      }, 60_000);
      // The node: no CSI mounts left in any Pod dir, no volumes left in the driver's data dir, no
      // registration socket.
      expect(hostMountsUnder(join(ENV.KUBELET_ROOT, 'pods')).filter((m) => m.mountPoint.includes('kubernetes.io~csi'))).toEqual([]);
      const left = existsSync(ENV.CSI_DATA_DIR) ? readdirSync(ENV.CSI_DATA_DIR).filter((f) => f.startsWith('csi-')) : [];
      expect(left).toEqual([]);
      const registry = join(ENV.KUBELET_ROOT, 'plugins_registry');
      expect(existsSync(registry) ? readdirSync(registry) : []).toEqual([]);
    }, 400_000);
  });

  describe('loopback only', () => {
    it('no process of the tier sent traffic to a non-loopback address', () => {
      const outside = loopback.stop();
      expect(loopback.samples()).toBeGreaterThan(0);
      expect(outside).toEqual([]);
    });
  });
});
