import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDriverOptions } from '@spiffe-csi/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { find, KubeManifest, validateManifest } from './k8s-schema';
import { CHART, helm, helmRun, render } from './helm';

type Container = { name: string; args?: string[]; image: string; securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; mountPropagation?: string }[]; ports?: { containerPort: number }[];
  readinessProbe?: unknown; livenessProbe?: unknown };
type PodSpec = { containers: Container[]; securityContext?: Record<string, unknown>; [k: string]: unknown };

const podSpec = (o: KubeManifest) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const container = (o: KubeManifest, name: string) => {
  const c = podSpec(o).containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
};
const driver = (objs: KubeManifest[]) => container(find(objs, 'DaemonSet'), 'cert-manager-csi-driver-spiffe');
const approver = (objs: KubeManifest[]) =>
  container(find(objs, 'Deployment'), 'cert-manager-csi-driver-spiffe-approver');

const VALUE_SETS: Record<string, Record<string, string>> = {
  defaults: {},
  'runtime ConfigMap + signer + CA bundle': {
    'app.runtimeIssuanceConfigMap': 'spiffe-issuer',
    'app.approver.signerName': 'clusterissuers.cert-manager.io/spiffe-ca',
    'app.driver.sourceCABundle': '/var/run/secrets/spiffe-ca/ca.crt',
    'app.extraCertificateRequestAnnotations': 'team=payments',
  },
  'servicemonitor + replicas + scheduling': {
    'app.approver.metrics.service.servicemonitor.enabled': 'true',
    'app.approver.replicaCount': '3',
    priorityClassName: 'system-node-critical',
    'tolerations[0].operator': 'Exists',
    'commonLabels.team': 'platform',
    'app.keyAlgorithm': 'ecdsa-p256',
  },
  'no metrics service, driver metrics off': {
    'app.approver.metrics.service.enabled': 'false',
    'app.driver.metrics.port': '0',
  },
};

describe('Helm chart', () => {
  beforeAll(() => {
    helm();
  }, 120_000);

  it('passes helm lint with defaults', () => {
    const { status, output } = helmRun(['lint', CHART]);
    expect(output).toContain('0 chart(s) failed');
    expect(status).toBe(0);
  });

  it.each(Object.entries(VALUE_SETS))('renders only schema-valid objects: %s', (_name, set) => {
    const objs = render(set);
    expect(objs.length).toBeGreaterThan(8);
    for (const obj of objs) validateManifest(obj);
  });

  it('rejects misspelt values through values.schema.json', () => {
    const { status, output } = helmRun(['template', 'x', CHART, '--set', 'app.trustDomian=foo']);
    expect(status).not.toBe(0);
    expect(output).toMatch(/trustDomian/);
  });

  it('rejects an unknown key algorithm', () => {
    const { status, output } = helmRun(['template', 'x', CHART, '--set', 'app.keyAlgorithm=rsa-2048']);
    expect(status).not.toBe(0);
    expect(output).toMatch(/keyAlgorithm/);
  });

  it('declares the CSIDriver the way kubelet must call us', () => {
    const spec = find(render(), 'CSIDriver', 'spiffe.csi.cert-manager.io').spec;
    expect(spec).toEqual({
      podInfoOnMount: true,
      volumeLifecycleModes: ['Ephemeral'],
      tokenRequests: [{ audience: '', expirationSeconds: 3600 }],
      requiresRepublish: true,
      attachRequired: false,
      // The driver applies fsGroup itself (attribute or volume_mount_group); kubelet never chowns.
      fsGroupPolicy: 'None',
    });
  });

  it('runs both apps in the host network with extra env when asked (no Pod network, API server elsewhere)', () => {
    const objects = render({
      'app.driver.hostNetwork': 'true', 'app.approver.hostNetwork': 'true',
      'app.extraEnv[0].name': 'KUBERNETES_SERVICE_HOST', 'app.extraEnv[0].value': '127.0.0.1',
    });
    for (const [kind, name, container] of [['DaemonSet', 'cert-manager-csi-driver-spiffe-driver', 'cert-manager-csi-driver-spiffe'],
      ['Deployment', 'cert-manager-csi-driver-spiffe-approver', 'cert-manager-csi-driver-spiffe-approver']] as const) {
      const pod = (find(objects, kind, name).spec as { template: { spec: Record<string, unknown> } }).template.spec;
      expect(pod).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
      const c = (pod.containers as { name: string; env: unknown[] }[]).find((x) => x.name === container)!;
      expect(c.env).toContainEqual({ name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' });
    }
    const byDefault = (find(render(), 'DaemonSet', 'cert-manager-csi-driver-spiffe-driver').spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(byDefault.hostNetwork).toBeUndefined();
  });

  it('passes the shared values to both apps identically', () => {
    const set = {
      'app.trustDomain': 'foo.bar',
      'app.certificateRequestDuration': '30m',
      'app.issuer.name': 'my-ca',
      'app.issuer.kind': 'Issuer',
      'app.issuer.group': 'example.io',
      'app.keyAlgorithm': 'ecdsa-p384',
      'app.logLevel': '4',
      'app.name': 'spiffe.example.io',
    };
    const objs = render(set);
    const expected = [
      '--log-level=4', '--csi-driver-name=spiffe.example.io', '--certificate-request-duration=30m',
      '--issuer-name=my-ca', '--issuer-kind=Issuer', '--issuer-group=example.io',
      '--trust-domain=foo.bar', '--key-algorithm=ecdsa-p384',
    ];
    expect(driver(objs).args).toEqual(expect.arrayContaining(expected));
    expect(approver(objs).args).toEqual(expect.arrayContaining(expected));
    expect(find(objs, 'CSIDriver').metadata.name).toBe('spiffe.example.io');
  });

  it('wires driver files, CA bundle, data dir and ports', () => {
    const objs = render({
      'app.driver.volumeFileName.cert': 'svid.pem', 'app.driver.volumeFileName.key': 'svid_key.pem',
      'app.driver.volumeFileName.ca': 'bundle.pem', 'app.driver.sourceCABundle': '/ca/ca.crt',
      'app.driver.volumeFileName.credentials': 'svid_credentials.pem', 'app.driver.volumeFileName.bundle': 'td.spiffe',
      'app.driver.csiDataDir': '/run/spiffe-csi', 'app.driver.livenessProbe.port': '9999',
      'app.runtimeIssuanceConfigMap': 'rt-issuer', 'app.extraCertificateRequestAnnotations': 'a=b\\,c=d',
    }, 'spiffe-system');
    const args = driver(objs).args ?? [];
    expect(args).toEqual(expect.arrayContaining([
      '--file-name-certificate=svid.pem', '--file-name-key=svid_key.pem', '--file-name-ca=bundle.pem',
      '--file-name-credentials=svid_credentials.pem', '--file-name-bundle=td.spiffe', '--source-ca-bundle=/ca/ca.crt', '--data-root=/csi-data-dir', '--node-id=$(NODE_ID)',
      '--endpoint=$(CSI_ENDPOINT)', '--runtime-issuance-config-map-name=rt-issuer',
      '--runtime-issuance-config-map-namespace=spiffe-system', '--extra-certificate-request-annotations=a=b,c=d',
    ]));
    const ds = find(objs, 'DaemonSet');
    const volumes = podSpec(ds).volumes as { name: string; hostPath?: { path: string } }[];
    expect(volumes.find((v) => v.name === 'csi-data-dir')?.hostPath?.path).toBe('/run/spiffe-csi');
    const mounts = driver(objs).volumeMounts ?? [];
    expect(mounts.find((m) => m.name === 'csi-data-dir')?.mountPropagation).toBe('Bidirectional');
    expect(mounts.find((m) => m.name === 'pods-mount-dir')?.mountPropagation).toBe('Bidirectional');
    expect(driver(objs).securityContext?.privileged).toBe(true);
    expect(container(ds, 'liveness-probe').args).toContain('--health-port=9999');
    expect(container(ds, 'node-driver-registrar').image).toMatch(/^registry\.k8s\.io\/sig-storage\/csi-node-driver-registrar:v\d/);
  });

  it('writes credentials.pem and bundle.spiffe by default; an empty name turns one off, and the driver accepts what is rendered', () => {
    const flags = (objs: KubeManifest[]) => (driver(objs).args ?? []).filter((a) => /^--file-name-/.test(a));
    expect(flags(render())).toEqual([
      '--file-name-certificate=tls.crt', '--file-name-key=tls.key', '--file-name-ca=ca.crt',
      '--file-name-credentials=credentials.pem', '--file-name-bundle=bundle.spiffe',
    ]);
    const off = flags(render({ 'app.driver.volumeFileName.credentials': '', 'app.driver.volumeFileName.bundle': '' }));
    expect(off).toEqual(expect.arrayContaining(['--file-name-credentials=', '--file-name-bundle=']));
    const options = parseDriverOptions(['--node-id=n', '--endpoint=unix:///csi/csi.sock', ...off], {});
    expect([options.fileNameCredentials, options.fileNameBundle]).toEqual(['', '']);
    // A Go chart values file names only cert, key and ca: it still renders, with both new files on.
    const goValues = join(mkdtempSync(join(tmpdir(), 'chart-go-')), 'values.yaml');
    writeFileSync(goValues, 'app:\n  driver:\n    volumeFileName:\n      cert: svid.pem\n      key: svid_key.pem\n      ca: svid_bundle.pem\n');
    const { status, output } = helmRun(['template', 'csi-driver-spiffe', CHART, '-f', goValues]);
    expect(status).toBe(0);
    expect(output).toContain('--file-name-certificate=svid.pem');
    expect(output).toContain('--file-name-credentials=credentials.pem');
  });

  it('takes kubelet\'s root dir from app.driver.kubeletRootDir everywhere, and tells the driver', () => {
    const kubeletPaths = (objs: KubeManifest[]) => {
      const ds = find(objs, 'DaemonSet');
      const hostPaths = (podSpec(ds).volumes as { hostPath?: { path: string } }[]).map((v) => v.hostPath?.path ?? '');
      return [...hostPaths, ...(driver(objs).volumeMounts ?? []).map((m) => m.mountPath),
        ...(container(ds, 'node-driver-registrar').args ?? []), ...(driver(objs).args ?? [])].filter((p) => /kubelet/.test(p));
    };
    expect(kubeletPaths(render())).toEqual([
      '/var/lib/kubelet/plugins/cert-manager-csi-driver-spiffe', '/var/lib/kubelet/pods', '/var/lib/kubelet/plugins_registry',
      '/var/lib/kubelet/pods', '--kubelet-registration-path=/var/lib/kubelet/plugins/cert-manager-csi-driver-spiffe/csi.sock',
    ]); // the default renders as before (the driver's own default is the same dir)
    const custom = kubeletPaths(render({ 'app.driver.kubeletRootDir': '/var/lib/k0s/kubelet' }));
    expect(custom).toHaveLength(6);
    for (const p of custom) expect(p).toMatch(/\/var\/lib\/k0s\/kubelet(\/|$)/);
    expect(custom).toContain('--kubelet-root-dir=/var/lib/k0s/kubelet');
    expect(helmRun(['template', 'x', CHART, '--set', 'app.driver.kubeletRootDir=/var/lib/kubelet/']).status).not.toBe(0);
  });

  it('runs the approver non-root with a read-only root filesystem and leader election in its namespace', () => {
    const objs = render({ 'app.approver.replicaCount': '2' }, 'spiffe-system');
    const deploy = find(objs, 'Deployment');
    expect((deploy.spec as { replicas: number }).replicas).toBe(2);
    expect(podSpec(deploy).securityContext?.runAsNonRoot).toBe(true);
    expect(approver(objs).securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(approver(objs).args).toEqual(expect.arrayContaining([
      '--leader-election-namespace=$(POD_NAMESPACE)', '--metrics-bind-address=:9402',
      '--readiness-probe-bind-address=:6060',
    ]));
    expect(approver(objs).readinessProbe).toBeDefined();
  });

  // cert-manager lets a user set Approved/Denied only with `approve` on the request's signer name
  // ("<resource>.<group>/<name>", "/<request namespace>.<name>" when namespaced, or "/*").
  const signerRule = (objs: KubeManifest[]) =>
    (find(objs, 'ClusterRole', 'cert-manager-csi-driver-spiffe-approver').rules as {
      resources: string[]; verbs: string[]; resourceNames?: string[] }[]).find((r) => r.resources.includes('signers'));
  const RUNTIME_CM = { 'app.runtimeIssuanceConfigMap': 'spiffe-issuer' };
  it.each<[string, Record<string, string>, string[] | undefined]>([
    ['defaults: the default ClusterIssuer only', {}, ['clusterissuers.cert-manager.io/spiffe-ca']],
    ['another ClusterIssuer', { 'app.issuer.name': 'corp-ca' }, ['clusterissuers.cert-manager.io/corp-ca']],
    // a namespaced Issuer's signer name holds each request's (Pod's) namespace, so only "*" fits them all
    ['a namespaced Issuer', { 'app.issuer.kind': 'Issuer' }, ['issuers.cert-manager.io/*']],
    ['an external issuer', { 'app.issuer.kind': 'AWSPCAClusterIssuer', 'app.issuer.group': 'awspca.cert-manager.io' },
      ['awspcaclusterissuers.awspca.cert-manager.io/*']],
    ['an explicit signerName wins', { 'app.approver.signerName': 'clusterissuers.cert-manager.io/other' },
      ['clusterissuers.cert-manager.io/other']],
    ['an explicit signerName wins over the runtime ConfigMap', { ...RUNTIME_CM, 'app.approver.signerName': 'issuers.example.com/*' },
      ['issuers.example.com/*']],
    // the ConfigMap may switch to any issuer after install: RBAC rendered now cannot follow it
    ['a runtime ConfigMap without signerName: every signer', RUNTIME_CM, undefined],
  ])('grants the approver approve on signers: %s', (_name, set, resourceNames) => {
    const rule = signerRule(render(set));
    expect(rule?.verbs).toEqual(['approve']);
    expect(rule?.resourceNames).toEqual(resourceNames);
  });

  it('says in the ClusterRole why the driver\'s delete is cluster-wide and what a node can do with it', () => {
    const template = readFileSync(join(CHART, 'templates/clusterrole.yaml'), 'utf8');
    expect(template).toMatch(/RBAC can only narrow by namespace and by exact object name, never\s+# by label/);
    expect(template).toMatch(/compromised node/);
  });

  it('gives the driver no create permission on certificaterequests (the Pod creates them)', () => {
    const rules = find(render(), 'ClusterRole', 'cert-manager-csi-driver-spiffe').rules as { resources: string[]; verbs: string[] }[];
    const cr = rules.find((r) => r.resources.includes('certificaterequests'));
    expect(cr?.verbs).not.toContain('create');
    expect(cr?.verbs).toEqual(expect.arrayContaining(['list', 'watch', 'delete']));
  });

  it('scopes ConfigMap access to the runtime issuance ConfigMap', () => {
    const objs = render({ 'app.runtimeIssuanceConfigMap': 'rt' });
    for (const name of ['cert-manager-csi-driver-spiffe', 'cert-manager-csi-driver-spiffe-approver']) {
      const rules = find(objs, 'Role', name).rules as { resources: string[]; resourceNames?: string[] }[];
      expect(rules.find((r) => r.resources.includes('configmaps'))?.resourceNames).toEqual(['rt']);
    }
    expect(objs.filter((o) => o.kind === 'Role' && o.metadata.name === 'cert-manager-csi-driver-spiffe')).toHaveLength(1);
    expect(render().filter((o) => o.kind === 'Role' && o.metadata.name === 'cert-manager-csi-driver-spiffe')).toHaveLength(0);
  });

  it('applies imagePullSecrets, commonLabels and scheduling values', () => {
    const objs = render({
      'imagePullSecrets[0].name': 'regcred', 'commonLabels.team': 'platform', 'nodeSelector.pool': 'sys',
      'topologySpreadConstraints[0].maxSkew': '1', 'topologySpreadConstraints[0].topologyKey': 'zone',
      'topologySpreadConstraints[0].whenUnsatisfiable': 'DoNotSchedule',
    });
    for (const sa of objs.filter((o) => o.kind === 'ServiceAccount')) {
      expect(sa.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    }
    for (const o of objs) expect(o.metadata.labels?.team).toBe('platform');
    expect(podSpec(find(objs, 'DaemonSet')).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', pool: 'sys' });
    expect(podSpec(find(objs, 'Deployment')).topologySpreadConstraints).toHaveLength(1);
  });

  it('renders the ServiceMonitor only when asked', () => {
    expect(render().some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    const sm = find(render({ 'app.approver.metrics.service.servicemonitor.enabled': 'true' }), 'ServiceMonitor');
    expect(sm.metadata.labels?.prometheus).toBe('default');
  });
});
