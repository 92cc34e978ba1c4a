import { describe, expect, it } from 'vitest';
import { HelpRequested } from './argv';
import { ConfigError } from './config-error';
import { ApproverOptions, DriverOptions } from './options';
import { parseApproverOptions, parseDriverOptions } from './parse-options';

const REQUIRED_DRIVER_ARGS = ['--node-id=node-1', '--endpoint=unix:///csi/csi.sock'];
const driver = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  parseDriverOptions([...REQUIRED_DRIVER_ARGS, ...args], env);
const approver = (args: string[], env: NodeJS.ProcessEnv = {}) => parseApproverOptions(args, env);
type Parse = typeof driver | typeof approver;

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

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

describe('valid values', () => {
  it.each<[string, Parse, string[], string, unknown]>([
    ['trust domain', approver, ['--trust-domain=example.org'], 'trustDomain', 'example.org'],
    [
      'trust domain lowercased',
      driver,
      ['--trust-domain=Example.ORG'],
      'trustDomain',
      'example.org',
    ],
    [
      'duration',
      approver,
      ['--certificate-request-duration=90m'],
      'certificateRequestDurationMs',
      5_400_000,
    ],
    [
      'duration text kept',
      approver,
      ['--certificate-request-duration=90m'],
      'certificateRequestDuration',
      '90m',
    ],
    ['issuer name', driver, ['--issuer-name=spiffe-ca'], 'issuerName', 'spiffe-ca'],
    ['issuer kind', driver, ['--issuer-kind=Issuer'], 'issuerKind', 'Issuer'],
    [
      'issuer group',
      driver,
      ['--issuer-group=awspca.cert-manager.io'],
      'issuerGroup',
      'awspca.cert-manager.io',
    ],
    [
      'driver name',
      approver,
      ['--csi-driver-name=spiffe.example.com'],
      'csiDriverName',
      'spiffe.example.com',
    ],
    ['log level', approver, ['--log-level=0'], 'logLevel', 0],
    ['log level max', approver, ['--log-level=10'], 'logLevel', 10],
    ['kubeconfig', approver, ['--kubeconfig=/etc/kube/config'], 'kubeconfig', '/etc/kube/config'],
    ['kubeconfig empty = unset', approver, ['--kubeconfig='], 'kubeconfig', undefined],
    ['p256', driver, ['--key-algorithm=ecdsa-p256'], 'keyAlgorithm', 'ecdsa-p256'],
    ['p384', driver, ['--key-algorithm=ecdsa-p384'], 'keyAlgorithm', 'ecdsa-p384'],
    [
      'readiness',
      driver,
      ['--readiness-probe-bind-address=0.0.0.0:8080'],
      'readinessProbeBindAddress',
      '0.0.0.0:8080',
    ],
    ['metrics', driver, ['--metrics-bind-address=[::]:9000'], 'metricsBindAddress', '[::]:9000'],
    ['metrics off', approver, ['--metrics-bind-address=0'], 'metricsBindAddress', null],
    [
      'lease ns',
      approver,
      ['--leader-election-namespace=kube-system'],
      'leaderElectionNamespace',
      'kube-system',
    ],
    [
      'lease',
      approver,
      ['--leader-election-lease-duration=1m'],
      'leaderElectionLeaseDurationMs',
      60_000,
    ],
    [
      'renew',
      approver,
      ['--leader-election-renew-deadline=5s'],
      'leaderElectionRenewDeadlineMs',
      5_000,
    ],
    [
      'retry',
      approver,
      ['--leader-election-retry-period=500ms'],
      'leaderElectionRetryPeriodMs',
      500,
    ],
    ['leader elect off', approver, ['--leader-elect=false'], 'leaderElect', false],
    ['leader elect bare', approver, ['--leader-elect=0', '--leader-elect'], 'leaderElect', true],
    ['data root', driver, ['--data-root=/var/run/spiffe'], 'dataRoot', '/var/run/spiffe'],
    ['kubelet root', driver, ['--kubelet-root-dir=/var/lib/k0s/kubelet'], 'kubeletRootDir', '/var/lib/k0s/kubelet'],
    ['cert file', driver, ['--file-name-certificate=svid.pem'], 'fileNameCertificate', 'svid.pem'],
    ['key file', driver, ['--file-name-key=svid-key.pem'], 'fileNameKey', 'svid-key.pem'],
    ['ca file', driver, ['--file-name-ca=bundle.pem'], 'fileNameCa', 'bundle.pem'],
    ['credentials file', driver, ['--file-name-credentials=svid.pem'], 'fileNameCredentials', 'svid.pem'],
    ['credentials off', driver, ['--file-name-credentials='], 'fileNameCredentials', ''],
    ['bundle file', driver, ['--file-name-bundle=td.json'], 'fileNameBundle', 'td.json'],
    ['bundle off', driver, ['--file-name-bundle='], 'fileNameBundle', ''],
    [
      'source ca',
      driver,
      ['--source-ca-bundle=/etc/ca/ca.crt'],
      'sourceCaBundle',
      '/etc/ca/ca.crt',
    ],
    ['timeout', driver, ['--issuance-timeout=2m'], 'issuanceTimeoutMs', 120_000],
    ['workload socket', driver, ['--workload-api-socket-name=api.sock'], 'workloadApiSocketName', 'api.sock'],
    ['workload api off', driver, ['--workload-api-socket-name='], 'workloadApiSocketName', ''],
    [
      'tcp endpoint',
      driver,
      ['--endpoint=tcp://127.0.0.1:10000'],
      'endpoint',
      'tcp://127.0.0.1:10000',
    ],
    [
      'annotations',
      driver,
      ['--extra-certificate-request-annotations=example.com/a=1,b=2'],
      'extraCertificateRequestAnnotations',
      { 'example.com/a': '1', b: '2' },
    ],
    [
      'annotations merge across repeats',
      driver,
      [
        '--extra-certificate-request-annotations=a=1',
        '--extra-certificate-request-annotations',
        'b=2',
      ],
      'extraCertificateRequestAnnotations',
      { a: '1', b: '2' },
    ],
    [
      'config map',
      driver,
      [
        '--runtime-issuance-config-map-name=issuer',
        '--runtime-issuance-config-map-namespace=cert-manager',
      ],
      'runtimeIssuanceConfigMapName',
      'issuer',
    ],
  ])('%s', (_label, parse, args, property, expected) => {
    expect((parse(args) as unknown as Record<string, unknown>)[property]).toEqual(expected);
  });
});

const INVALID: [Parse, string[], string, RegExp][] = [
  [approver, ['--trust-domain='], 'trust-domain', /is required/],
  [approver, ['--trust-domain=example.org:443'], 'trust-domain', /port/],
  [approver, ['--trust-domain=ex%41.org'], 'trust-domain', /percent/],
  [
    approver,
    ['--certificate-request-duration=1d'],
    'certificate-request-duration',
    /unknown unit "d"/,
  ],
  [
    approver,
    ['--certificate-request-duration=0s'],
    'certificate-request-duration',
    /greater than 0/,
  ],
  [
    approver,
    ['--certificate-request-duration=-1h'],
    'certificate-request-duration',
    /greater than 0/,
  ],
  [driver, ['--issuer-name=Not_Valid'], 'issuer-name', /DNS-1123/],
  [driver, ['--issuer-kind='], 'issuer-kind', /is required/],
  [driver, ['--issuer-group=Cert-Manager.io'], 'issuer-group', /DNS-1123/],
  [approver, ['--csi-driver-name=bad_name'], 'csi-driver-name', /DNS-1123/],
  [approver, ['--log-level=11'], 'log-level', /0 to 10/],
  [approver, ['--log-level=-1'], 'log-level', /0 to 10/],
  [approver, ['--log-level=high'], 'log-level', /not an integer/],
  [approver, ['-v=1.5'], 'log-level', /not an integer/],
  [driver, ['--key-algorithm=rsa-2048'], 'key-algorithm', /ecdsa-p256, ecdsa-p384, ecdsa-p521/],
  [
    driver,
    ['--runtime-issuance-config-map-name=Bad'],
    'runtime-issuance-config-map-name',
    /DNS-1123/,
  ],
  [
    driver,
    ['--runtime-issuance-config-map-name=issuer'],
    'runtime-issuance-config-map-namespace',
    /required when --runtime-issuance-config-map-name is set/,
  ],
  [
    driver,
    ['--runtime-issuance-config-map-name=issuer', '--runtime-issuance-config-map-namespace=a.b'],
    'runtime-issuance-config-map-namespace',
    /DNS-1123 label/,
  ],
  [driver, ['--readiness-probe-bind-address=6060'], 'readiness-probe-bind-address', /host:port/],
  [driver, ['--metrics-bind-address=:99999'], 'metrics-bind-address', /port/],
  [approver, ['--leader-election-namespace='], 'leader-election-namespace', /is required/],
  [
    approver,
    ['--leader-election-lease-duration=0'],
    'leader-election-lease-duration',
    /greater than 0/,
  ],
  [
    approver,
    ['--leader-election-renew-deadline=15s'],
    'leader-election-renew-deadline',
    /less than --leader-election-lease/,
  ],
  [
    approver,
    ['--leader-election-retry-period=9s'],
    'leader-election-retry-period',
    /less than --leader-election-renew/,
  ],
  [approver, ['--leader-elect=yes'], 'leader-elect', /not a boolean/],
  [driver, ['--node-id='], 'node-id', /is required/],
  [driver, ['--endpoint=/csi/csi.sock'], 'endpoint', /unix:\/\/\/absolute\/path/],
  [driver, ['--endpoint=unix://plugin/csi.sock'], 'endpoint', /absolute/],
  [driver, ['--data-root=csi-data-dir'], 'data-root', /absolute path/],
  [driver, ['--kubelet-root-dir=var/lib/kubelet'], 'kubelet-root-dir', /absolute path/],
  [driver, ['--kubelet-root-dir=/var/lib/kubelet/'], 'kubelet-root-dir', /normalised directory/],
  [driver, ['--kubelet-root-dir=/'], 'kubelet-root-dir', /other than \//],
  [driver, ['--file-name-certificate=a/b'], 'file-name-certificate', /single file name/],
  [driver, ['--file-name-key=..data'], 'file-name-key', /start with "\.\."/],
  [
    driver,
    ['--file-name-key=tls.crt'],
    'file-name-key',
    /must differ from --file-name-certificate/,
  ],
  [driver, ['--file-name-ca=tls.key'], 'file-name-ca', /must differ from --file-name-key/],
  [driver, ['--source-ca-bundle=/a\0b'], 'source-ca-bundle', /must not contain NUL/],
  [driver, ['--file-name-credentials=tls.key'], 'file-name-credentials', /must differ from --file-name-key/],
  [driver, ['--file-name-credentials=a/b'], 'file-name-credentials', /single file name/],
  [driver, ['--file-name-bundle=credentials.pem'], 'file-name-bundle', /must differ from --file-name-credentials/],
  [driver, ['--file-name-bundle=ca.crt'], 'file-name-bundle', /must differ from --file-name-ca/],
  [driver, ['--workload-api-socket-name=bundle.spiffe'], 'workload-api-socket-name', /must differ from --file-name-bundle/],
  [driver, ['--workload-api-socket-name=ca.crt'], 'workload-api-socket-name', /must differ from --file-name-ca/],
  [driver, ['--workload-api-socket-name=a/b'], 'workload-api-socket-name', /single file name/],
  [driver, [`--workload-api-socket-name=${'s'.repeat(65)}`], 'workload-api-socket-name', /at most 64 bytes/],
  [
    driver,
    ['--extra-certificate-request-annotations=spiffe.csi.cert-manager.io/identity=x'],
    'extra-certificate-request-annotations',
    /reserved/,
  ],
  [
    driver,
    ['--extra-certificate-request-annotations=novalue'],
    'extra-certificate-request-annotations',
    /key=value/,
  ],
  [driver, ['--issuance-timeout=-5s'], 'issuance-timeout', /greater than 0/],
];

describe('invalid values', () => {
  const cases = INVALID.map(([parse, args, flag, reason]) => ({
    title: args.join(' '),
    parse,
    args,
    flag,
    reason,
  }));
  it.each(cases)('$title → --$flag', ({ parse, args, flag, reason }) => {
    const error = errorOf(() => parse(args));
    expect(error.flag).toBe(flag);
    expect(error.message.startsWith(`--${flag}: `)).toBe(true);
    expect(error.message).toMatch(reason);
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
