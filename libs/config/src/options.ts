import { IsOptional } from 'class-validator';
import { Check } from './check.decorator';
import { parseGoDuration } from './duration';
import type { KeyAlgorithm } from '@spiffe-csi/crypto';
import { trustDomainProblem } from './name-checks';
import { csiEndpointProblem } from './network-checks';
import {
  absolutePath,
  annotationMapProblem,
  bindAddress,
  canonicalDirectory,
  configMapNamespaceProblem,
  distinctFileName,
  driverServiceAccountProblem,
  dnsLabel,
  dnsSubdomain,
  filePath,
  isBoolean,
  issuerNameProblem,
  keyAlgorithmProblem,
  optionalFileName,
  logLevelProblem,
  nonEmpty,
  optionalSocketName,
  positiveDuration,
  renewDeadlineProblem,
  required,
  retryPeriodProblem,
} from './option-rules';

// Field initialisers are the defaults (shown by --help); every property is named after its flag
// (flag-table.ts). Durations keep the text as given plus a `…Ms` twin that the parser keeps in step.

export class CommonOptions {
  @Check(required(trustDomainProblem)) trustDomain = 'cluster.local';
  certificateRequestDuration = '1h';
  @Check(positiveDuration) certificateRequestDurationMs = parseGoDuration(
    this.certificateRequestDuration,
  );
  @Check(issuerNameProblem) issuerName = 'my-spiffe-ca';
  @Check(nonEmpty) issuerKind = 'ClusterIssuer';
  @Check(dnsSubdomain) issuerGroup = 'cert-manager.io';
  @Check(dnsSubdomain) csiDriverName = 'spiffe.csi.cert-manager.io';
  @Check(logLevelProblem) logLevel = 1;
  @IsOptional() @Check(filePath) kubeconfig?: string = undefined;
  @Check(keyAlgorithmProblem) keyAlgorithm: KeyAlgorithm = 'ecdsa-p521';
  @IsOptional() @Check(dnsSubdomain) runtimeIssuanceConfigMapName?: string = undefined;
  @Check(configMapNamespaceProblem) runtimeIssuanceConfigMapNamespace?: string = undefined;
  @Check(bindAddress) readinessProbeBindAddress = ':6060';
  /** null = metrics disabled (`--metrics-bind-address=0`). */
  @IsOptional() @Check(bindAddress) metricsBindAddress: string | null = ':9402';
  @Check(isBoolean) useOwnServiceAccount = false;
}

export class ApproverOptions extends CommonOptions {
  @Check(dnsLabel) leaderElectionNamespace = 'cert-manager';
  // Shorter than client-go's 15 s so a standby decides within 15 s of a leader's death
  // (worst case lease + two jittered polls ≈ 14.4 s).
  leaderElectionLeaseDuration = '10s';
  @Check(positiveDuration) leaderElectionLeaseDurationMs = parseGoDuration(
    this.leaderElectionLeaseDuration,
  );
  leaderElectionRenewDeadline = '7s';
  @Check(renewDeadlineProblem) leaderElectionRenewDeadlineMs = parseGoDuration(
    this.leaderElectionRenewDeadline,
  );
  leaderElectionRetryPeriod = '1s';
  @Check(retryPeriodProblem) leaderElectionRetryPeriodMs = parseGoDuration(
    this.leaderElectionRetryPeriod,
  );
  @Check(isBoolean) leaderElect = true;
  @Check(driverServiceAccountProblem) driverServiceAccount?: string = undefined;
  @Check(isBoolean) autoApproveNonSpiffe = false;
}

export class DriverOptions extends CommonOptions {
  @Check(dnsSubdomain) nodeId = '';
  @Check(required(csiEndpointProblem)) endpoint = '';
  @Check(absolutePath) dataRoot = '/csi-data-dir';
  // Every target_path must be <kubeletRootDir>/pods/<pod-uid>/volumes/kubernetes.io~csi/<name>/mount.
  @Check(canonicalDirectory) kubeletRootDir = '/var/lib/kubelet';
  @Check(distinctFileName()) fileNameCertificate = 'tls.crt';
  @Check(distinctFileName({ property: 'fileNameCertificate', flag: 'file-name-certificate' }))
  fileNameKey = 'tls.key';
  @Check(
    distinctFileName(
      { property: 'fileNameCertificate', flag: 'file-name-certificate' },
      { property: 'fileNameKey', flag: 'file-name-key' },
    ),
  )
  fileNameCa = 'ca.crt';
  /** Key then chain in one PEM, swapped with the others (no torn reads); empty disables it. */
  @Check(optionalFileName('fileNameCredentials')) fileNameCredentials = 'credentials.pem';
  /** The trust bundle as a SPIFFE bundle (JWKS); empty disables it. */
  @Check(optionalFileName('fileNameBundle')) fileNameBundle = 'bundle.spiffe';
  @IsOptional() @Check(filePath) sourceCaBundle?: string = undefined;
  // The socket sits beside the files in the volume: its name must not be one of theirs.
  @Check(optionalSocketName) workloadApiSocketName = 'workload.sock';
  @Check(annotationMapProblem) extraCertificateRequestAnnotations: Record<string, string> = {};
  issuanceTimeout = '60s';
  @Check(positiveDuration) issuanceTimeoutMs = parseGoDuration(this.issuanceTimeout);
}
