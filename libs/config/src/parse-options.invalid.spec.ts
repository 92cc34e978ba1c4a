import { describe, expect, it } from 'vitest';
import { driver, approver, errorOf, type Parse } from './testing/parse';

/** Every bad value is refused at startup, naming its flag first. */
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
