import type { Provider } from '@nestjs/common';
import { OPTIONS, type DriverOptions } from '@spiffe-csi/config';
import { KUBE_CONNECTION, type KubeConnection } from '@spiffe-csi/kubernetes';
import { KubeCertificateRequestGateway } from './issuance/kube-request-gateway';
import { OwnServiceAccountGateway } from './issuance/own-service-account-gateway';
import { CERTIFICATE_REQUEST_GATEWAY } from './issuance/ports';

/**
 * --use-own-service-account swaps only the credentials requests are created with (see
 * OwnServiceAccountGateway); everything else about issuance stays as in the default mode.
 */
export function requestCredentialsOverrides(options: DriverOptions): Provider[] {
  if (!options.useOwnServiceAccount) return [];
  return [
    {
      provide: CERTIFICATE_REQUEST_GATEWAY,
      useFactory: (conn: KubeConnection, o: DriverOptions) =>
        new OwnServiceAccountGateway(new KubeCertificateRequestGateway(conn, o), conn),
      inject: [KUBE_CONNECTION, OPTIONS],
    },
  ];
}
