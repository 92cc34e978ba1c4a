// The one list of command-line flags. Parsing, environment lookup and --help are all driven by it;
// defaults live on the options classes (options.ts) and validation in their decorators.

export type App = 'approver' | 'csi-driver';
export const APPS: readonly App[] = ['approver', 'csi-driver'];

/**
 * How the flag's text becomes a value (see flag-values.ts):
 * string: as given; optional-string: '' means unset; int; bool (Go strconv.ParseBool);
 * duration: Go syntax, also stored as `<property>Ms`; string-map: `k=v,k2=v2`;
 * address-or-off: host:port, or `0` for "disabled" (null).
 */
export type FlagType =
  'string' | 'optional-string' | 'int' | 'bool' | 'duration' | 'string-map' | 'address-or-off';

export interface FlagSpec {
  name: string; // long name without dashes
  short?: string;
  type: FlagType;
  apps: readonly App[];
  description: string;
  /** Normalise to lowercase before validation (SPIFFE trust domains: spiffe-checklists A4). */
  lowercase?: boolean;
}

const BOTH = APPS;
const APPROVER: readonly App[] = ['approver'];
const DRIVER: readonly App[] = ['csi-driver'];

export const FLAGS: readonly FlagSpec[] = [
  // Shared by both apps.
  {
    name: 'trust-domain',
    type: 'string',
    apps: BOTH,
    lowercase: true,
    description:
      'SPIFFE trust domain of every issued identity (spiffe://<trust-domain>/ns/<ns>/sa/<sa>)',
  },
  {
    name: 'certificate-request-duration',
    type: 'duration',
    apps: BOTH,
    description: 'spec.duration of every CertificateRequest (Go duration, e.g. 1h, 90m)',
  },
  {
    name: 'issuer-name',
    type: 'string',
    apps: BOTH,
    description:
      'name of the cert-manager issuer that signs SVIDs ("" = only the runtime ConfigMap)',
  },
  {
    name: 'issuer-kind',
    type: 'string',
    apps: BOTH,
    description: 'kind of that issuer (Issuer, ClusterIssuer or an external kind)',
  },
  { name: 'issuer-group', type: 'string', apps: BOTH, description: 'API group of that issuer' },
  {
    name: 'csi-driver-name',
    type: 'string',
    apps: BOTH,
    description: 'CSI driver name; the approver also uses it as its leader-election lease name',
  },
  {
    name: 'log-level',
    short: 'v',
    type: 'int',
    apps: BOTH,
    description: 'log verbosity 0-10 (klog style: 0-1 info, 2-3 debug, 4+ trace)',
  },
  {
    name: 'kubeconfig',
    type: 'optional-string',
    apps: BOTH,
    description: 'path to a kubeconfig file; unset: $KUBECONFIG, then the in-cluster config',
  },
  {
    name: 'key-algorithm',
    type: 'string',
    apps: BOTH,
    description:
      'private key type of SVIDs: ecdsa-p256, ecdsa-p384 or ecdsa-p521 (approver: required type)',
  },
  {
    name: 'runtime-issuance-config-map-name',
    type: 'optional-string',
    apps: BOTH,
    description:
      'ConfigMap with issuer-name/issuer-kind/issuer-group that overrides the issuer at runtime',
  },
  {
    name: 'runtime-issuance-config-map-namespace',
    type: 'optional-string',
    apps: BOTH,
    description: 'namespace of that ConfigMap (required when its name is set)',
  },
  {
    name: 'readiness-probe-bind-address',
    type: 'string',
    apps: BOTH,
    description: 'host:port or :port serving /readyz and /livez',
  },
  {
    name: 'metrics-bind-address',
    type: 'address-or-off',
    apps: BOTH,
    description: 'host:port or :port serving /metrics; 0 disables it',
  },
  {
    name: 'use-own-service-account',
    type: 'bool',
    apps: BOTH,
    description:
      "driver: create CertificateRequests as the driver's ServiceAccount, not the Pod's; approver: require that requester",
  },
  // Approver only.
  {
    name: 'driver-service-account',
    type: 'optional-string',
    apps: APPROVER,
    description:
      "with --use-own-service-account: the driver's username, system:serviceaccount:<namespace>:<name>",
  },
  {
    name: 'auto-approve-non-spiffe',
    type: 'bool',
    apps: APPROVER,
    description:
      "also approve requests that are not SPIFFE requests for our issuer (replaces cert-manager's approver)",
  },
  {
    name: 'leader-election-namespace',
    type: 'string',
    apps: APPROVER,
    description: 'namespace of the leader-election Lease',
  },
  {
    name: 'leader-election-lease-duration',
    type: 'duration',
    apps: APPROVER,
    description: 'how long followers wait before taking over an unrenewed lease',
  },
  {
    name: 'leader-election-renew-deadline',
    type: 'duration',
    apps: APPROVER,
    description: 'how long the leader keeps trying to renew before it steps down',
  },
  {
    name: 'leader-election-retry-period',
    type: 'duration',
    apps: APPROVER,
    description: 'interval between leader-election attempts',
  },
  {
    name: 'leader-elect',
    type: 'bool',
    apps: APPROVER,
    description: 'run leader election so only one replica approves at a time',
  },
  // CSI driver only.
  {
    name: 'node-id',
    type: 'string',
    apps: DRIVER,
    description: 'name of the node this driver runs on (required)',
  },
  {
    name: 'endpoint',
    type: 'string',
    apps: DRIVER,
    description:
      'CSI gRPC listen address: unix:///absolute/path.sock or tcp://host:port (required)',
  },
  {
    name: 'data-root',
    type: 'string',
    apps: DRIVER,
    description: "absolute directory for the driver's tmpfs and volume data",
  },
  {
    name: 'kubelet-root-dir',
    type: 'string',
    apps: DRIVER,
    description:
      "kubelet's --root-dir: every target path must be <dir>/pods/<pod-uid>/volumes/kubernetes.io~csi/<name>/mount",
  },
  {
    name: 'file-name-certificate',
    type: 'string',
    apps: DRIVER,
    description: 'file name of the certificate chain in each volume',
  },
  {
    name: 'file-name-key',
    type: 'string',
    apps: DRIVER,
    description: 'file name of the private key in each volume',
  },
  {
    name: 'file-name-ca',
    type: 'string',
    apps: DRIVER,
    description: 'file name of the CA bundle in each volume',
  },
  {
    name: 'file-name-credentials',
    type: 'string',
    apps: DRIVER,
    description:
      'file name of the private key followed by the certificate chain, one PEM file swapped with the others (empty: not written)',
  },
  {
    name: 'file-name-bundle',
    type: 'string',
    apps: DRIVER,
    description:
      'file name of the trust bundle in SPIFFE bundle format (JWKS), written when a bundle is known (empty: not written)',
  },
  {
    name: 'source-ca-bundle',
    type: 'optional-string',
    apps: DRIVER,
    description:
      'file whose contents are written to every volume as the CA bundle (unset: no CA file)',
  },
  {
    name: 'workload-api-socket-name',
    type: 'string',
    apps: DRIVER,
    description:
      "file name of each volume's SPIFFE Workload API socket (empty: no Workload API)",
  },
  {
    name: 'extra-certificate-request-annotations',
    type: 'string-map',
    apps: DRIVER,
    description:
      'extra CertificateRequest annotations, k=v,k2=v2 (spiffe.csi.cert-manager.io/* is reserved)',
  },
  {
    name: 'issuance-timeout',
    type: 'duration',
    apps: DRIVER,
    description: 'how long a mount waits for its certificate before failing',
  },
];

export function flagsFor(app: App): FlagSpec[] {
  return FLAGS.filter((flag) => flag.apps.includes(app));
}

/** `trust-domain` → `trustDomain`: the options property a flag fills. */
export function propertyOf(flag: FlagSpec): string {
  return flag.name.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
}

/** `trust-domain` → `SPIFFE_CSI_TRUST_DOMAIN`. */
export function envVarOf(flag: FlagSpec): string {
  return `SPIFFE_CSI_${flag.name.toUpperCase().replace(/-/g, '_')}`;
}

/** The flag whose value sits in `property` (a duration's `<property>Ms` belongs to it too). */
export function flagForProperty(
  flags: readonly FlagSpec[],
  property: string,
): FlagSpec | undefined {
  return flags.find((flag) => {
    const own = propertyOf(flag);
    return own === property || (flag.type === 'duration' && `${own}Ms` === property);
  });
}
