import { beforeAll, describe, expect, it } from 'vitest';
import { find, validateManifest, type KubeManifest } from './k8s-schema';
import { helm, render } from './helm';

// app.driver.useOwnServiceAccount and app.approver.autoApproveNonSPIFFE, as the Go chart renders
// them (go-original.md 3.2), plus our RBAC for each mode.
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

const OWN_SA = { 'app.driver.useOwnServiceAccount': 'true' };
const AUTO = { 'app.approver.autoApproveNonSPIFFE': 'true' };
const DRIVER_USER = 'system:serviceaccount:spiffe-system:cert-manager-csi-driver-spiffe';

/** Every container argument of the workload of `kind`. */
const argsOf = (objs: KubeManifest[], kind: 'DaemonSet' | 'Deployment') =>
  (find(objs, kind).spec as { template: { spec: { containers: { args?: string[] }[] } } })
    .template.spec.containers.flatMap((c) => c.args ?? []);
const rulesOf = (objs: KubeManifest[], name: string) => find(objs, 'ClusterRole', name).rules as Rule[];
const grants = (rules: Rule[], group: string, resource: string, verb: string) =>
  rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

describe('chart: parity modes', () => {
  beforeAll(() => {
    helm();
  }, 120_000);

  it('renders schema-valid objects with both modes on', () => {
    for (const obj of render({ ...OWN_SA, ...AUTO })) validateManifest(obj);
  });

  it('passes neither mode by default, and grants the driver no create', () => {
    const objs = render({}, 'spiffe-system');
    const args = [...argsOf(objs, 'DaemonSet'), ...argsOf(objs, 'Deployment')];
    expect(args.filter((a) => /own-service-account|driver-service-account|auto-approve/.test(a))).toEqual([]);
    const driverRules = rulesOf(objs, 'cert-manager-csi-driver-spiffe');
    expect(grants(driverRules, 'cert-manager.io', 'certificaterequests', 'create')).toBe(false);
    expect(grants(driverRules, 'authentication.k8s.io', 'tokenreviews', 'create')).toBe(false);
  });

  it("useOwnServiceAccount: the driver flag, the approver's flags with the driver's full username, and the driver's create", () => {
    const objs = render(OWN_SA, 'spiffe-system');
    expect(argsOf(objs, 'DaemonSet')).toContain('--use-own-service-account=true');
    expect(argsOf(objs, 'Deployment')).toEqual(
      expect.arrayContaining(['--use-own-service-account=true', `--driver-service-account=${DRIVER_USER}`]),
    );
    // the DaemonSet's ServiceAccount is the one named in --driver-service-account
    const pod = (find(objs, 'DaemonSet').spec as { template: { spec: { serviceAccountName: string } } }).template.spec;
    expect(`system:serviceaccount:spiffe-system:${pod.serviceAccountName}`).toBe(DRIVER_USER);
    const driverRules = rulesOf(objs, 'cert-manager-csi-driver-spiffe');
    expect(grants(driverRules, 'cert-manager.io', 'certificaterequests', 'create')).toBe(true);
    expect(grants(driverRules, 'authentication.k8s.io', 'tokenreviews', 'create')).toBe(true);
  });

  it('autoApproveNonSPIFFE: the approver flag and approve on every signer, even over an explicit signerName', () => {
    for (const set of [AUTO, { ...AUTO, 'app.approver.signerName': 'clusterissuers.cert-manager.io/spiffe-ca' }]) {
      const objs = render(set);
      expect(argsOf(objs, 'Deployment')).toContain('--auto-approve-non-spiffe=true');
      expect(argsOf(objs, 'DaemonSet')).not.toContain('--auto-approve-non-spiffe=true');
      const signers = rulesOf(objs, 'cert-manager-csi-driver-spiffe-approver').find((r) => r.resources.includes('signers'));
      expect(signers?.verbs).toEqual(['approve']);
      expect(signers?.resourceNames).toBeUndefined();
    }
  });
});
