import { describe, expect, it } from 'vitest';
import { HelpRequested } from './argv';
import { ApproverOptions, DriverOptions } from './options';
import { parseDriverOptions } from './parse-options';
import { type Parse, driver, approver, errorOf } from './testing/parse';

const COMMON_DEFAULTS = {
  trustDomain: 'cluster.local',
  certificateRequestDuration: '1h',
  certificateRequestDurationMs: 3_600_000,
  issuerName: 'my-spiffe-ca',
  issuerKind: 'ClusterIssuer',
  issuerGroup: 'cert-manager.io',
  csiDriverName: 'spiffe.csi.cert-manager.io',
  logLevel: 1,
  kubeconfig: undefined,
  keyAlgorithm: 'ecdsa-p521',
  runtimeIssuanceConfigMapName: undefined,
  runtimeIssuanceConfigMapNamespace: undefined,
  readinessProbeBindAddress: ':6060',
  metricsBindAddress: ':9402',
  useOwnServiceAccount: false,
};

describe('defaults', () => {
  it('approver: Go defaults plus leader election', () => {
    const options = approver([]);
    expect(options).toBeInstanceOf(ApproverOptions);
    expect({ ...options }).toEqual({
      ...COMMON_DEFAULTS,
      leaderElectionNamespace: 'cert-manager',
      leaderElectionLeaseDuration: '10s',
      leaderElectionLeaseDurationMs: 10_000,
      leaderElectionRenewDeadline: '7s',
      leaderElectionRenewDeadlineMs: 7_000,
      leaderElectionRetryPeriod: '1s',
      leaderElectionRetryPeriodMs: 1_000,
      leaderElect: true,
      driverServiceAccount: undefined,
      autoApproveNonSpiffe: false,
    });
  });

  it('driver: Go defaults plus the required flags', () => {
    const options = driver([]);
    expect(options).toBeInstanceOf(DriverOptions);
    expect({ ...options }).toEqual({
      ...COMMON_DEFAULTS,
      nodeId: 'node-1',
      endpoint: 'unix:///csi/csi.sock',
      dataRoot: '/csi-data-dir',
      kubeletRootDir: '/var/lib/kubelet',
      fileNameCertificate: 'tls.crt',
      fileNameKey: 'tls.key',
      fileNameCa: 'ca.crt',
      fileNameCredentials: 'credentials.pem',
      fileNameBundle: 'bundle.spiffe',
      sourceCaBundle: undefined,
      workloadApiSocketName: 'workload.sock',
      extraCertificateRequestAnnotations: {},
      issuanceTimeout: '60s',
      issuanceTimeoutMs: 60_000,
    });
  });

  it('a bare options instance carries the same defaults, for tests elsewhere', () => {
    expect({ ...new ApproverOptions() }).toEqual({ ...approver([]) });
    expect({ ...new DriverOptions(), nodeId: 'node-1', endpoint: 'unix:///csi/csi.sock' }).toEqual({
      ...driver([]),
    });
  });
});

describe('driver startup rule: some issuer is configured', () => {
  it('fails when --issuer-name is unset and there is no runtime ConfigMap', () => {
    const error = errorOf(() => driver(['--issuer-name=']));
    expect(error.flag).toBe('issuer-name');
    expect(error.message).toMatch(/--issuer-name.*--runtime-issuance-config-map-name/);
  });

  it('accepts a runtime ConfigMap alone', () => {
    const options = driver([
      '--issuer-name=',
      '--runtime-issuance-config-map-name=spiffe-issuer',
      '--runtime-issuance-config-map-namespace=cert-manager',
    ]);
    expect(options.issuerName).toBe('');
  });

  it('does not apply to the approver', () => {
    expect(approver(['--issuer-name=']).issuerName).toBe('');
  });
});

describe('command-line syntax (pflag)', () => {
  it.each([
    [['--log-level=3'], 3],
    [['--log-level', '3'], 3],
    [['-v=4'], 4],
    [['-v', '5'], 5],
    [['-v6'], 6],
    [['-v=1', '--log-level=2'], 2],
  ])('%j sets log level %d (last occurrence wins)', (args, level) => {
    expect(approver(args).logLevel).toBe(level);
  });

  it('takes the next argument as the value even when it starts with a dash, as pflag does', () => {
    expect(driver(['--issuer-kind', '--x']).issuerKind).toBe('--x');
  });

  it.each<[Parse, string[], RegExp]>([
    [approver, ['--no-such-flag=1'], /^--no-such-flag: unknown flag$/],
    [approver, ['--node-id=n'], /^--node-id: unknown flag$/],
    [driver, ['--leader-elect'], /^--leader-elect: unknown flag$/],
    [approver, ['-x'], /^-x: unknown shorthand flag$/],
    [approver, ['-trust-domain=a'], /^-t: unknown shorthand flag .*two dashes/],
    [approver, ['--trust-domain'], /^--trust-domain: flag needs an argument$/],
    [approver, ['-v'], /^--log-level: flag needs an argument$/],
    [approver, ['extra'], /^unexpected argument "extra"/],
    [
      approver,
      ['--leader-elect', 'false'],
      /^--leader-elect: unexpected argument "false".*--leader-elect=false/,
    ],
    [approver, ['--', 'extra'], /^unexpected argument "extra"/],
  ])('%#: refuses %j', (parse, args, message) => {
    expect(errorOf(() => parse(args)).message).toMatch(message);
  });

  it('stops reading flags at "--"', () => {
    expect(approver(['-v=2', '--']).logLevel).toBe(2);
  });

  it.each([['--help'], ['-h'], ['--trust-domain=x.org', '--help']])(
    '%j asks for help',
    (...args) => {
      expect(() => approver(args)).toThrow(HelpRequested);
    },
  );
});

describe('environment variables', () => {
  it('reads SPIFFE_CSI_<FLAG> when the flag is absent', () => {
    const options = approver([], {
      SPIFFE_CSI_TRUST_DOMAIN: 'env.example.org',
      SPIFFE_CSI_LOG_LEVEL: '4',
      SPIFFE_CSI_LEADER_ELECT: 'false',
      SPIFFE_CSI_CERTIFICATE_REQUEST_DURATION: '2h',
    });
    expect(options).toMatchObject({
      trustDomain: 'env.example.org',
      logLevel: 4,
      leaderElect: false,
    });
    expect(options.certificateRequestDurationMs).toBe(7_200_000);
  });

  it('lets a flag win over its variable', () => {
    expect(
      approver(['--trust-domain=flag.org'], { SPIFFE_CSI_TRUST_DOMAIN: 'env.org' }).trustDomain,
    ).toBe('flag.org');
  });

  it('supplies the driver required flags and annotations', () => {
    const options = parseDriverOptions([], {
      SPIFFE_CSI_NODE_ID: 'node-from-env',
      SPIFFE_CSI_ENDPOINT: 'unix:///plugin/csi.sock',
      SPIFFE_CSI_EXTRA_CERTIFICATE_REQUEST_ANNOTATIONS: 'team=a',
    });
    expect(options).toMatchObject({
      nodeId: 'node-from-env',
      extraCertificateRequestAnnotations: { team: 'a' },
    });
  });

  it('treats an empty variable as an explicit empty value', () => {
    const error = errorOf(() => driver([], { SPIFFE_CSI_ISSUER_NAME: '' }));
    expect(error.flag).toBe('issuer-name');
  });

  it('names the variable when its value is bad', () => {
    expect(errorOf(() => approver([], { SPIFFE_CSI_LOG_LEVEL: 'loud' })).message).toBe(
      '--log-level: "loud" is not an integer (from SPIFFE_CSI_LOG_LEVEL)',
    );
    expect(errorOf(() => approver([], { SPIFFE_CSI_TRUST_DOMAIN: 'a:1' })).message).toMatch(
      /^--trust-domain: .*port \(from SPIFFE_CSI_TRUST_DOMAIN\)$/,
    );
  });

  it("ignores the other app's variables", () => {
    expect(() =>
      approver([], { SPIFFE_CSI_NODE_ID: 'x', SPIFFE_CSI_ENDPOINT: 'nonsense' }),
    ).not.toThrow();
  });
});
