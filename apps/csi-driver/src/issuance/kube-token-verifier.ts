import { Inject, Injectable } from '@nestjs/common';
import { KUBE_CONNECTION, KubeApiError, type KubeConnection } from '@spiffe-csi/kubernetes';
import type { TokenVerifier } from './ports';

const SELF_SUBJECT_ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/**
 * TokenVerifier through a SelfSubjectAccessReview made with the token itself: every authenticated
 * user may create one (system:basic-user), it exists on every supported Kubernetes version, and it
 * needs no permission for the driver (a TokenReview would need cluster-wide tokenreviews/create).
 * Only authentication matters here: 401 is a forged, expired or revoked token (or one whose bound
 * Pod is gone); any answer past authentication, even 403, proves the token genuine.
 */
@Injectable()
export class KubeTokenVerifier implements TokenVerifier {
  constructor(@Inject(KUBE_CONNECTION) private readonly connection: KubeConnection) {}

  async authenticates(token: string): Promise<boolean> {
    const asToken = this.connection.asBearerToken(token);
    try {
      await asToken.request('POST', SELF_SUBJECT_ACCESS_REVIEWS, {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { group: 'cert-manager.io', resource: 'certificaterequests', verb: 'create' } },
        },
      });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 401) return false;
      // 403: authenticated, only not allowed to review itself (a cluster without system:basic-user).
      if (error instanceof KubeApiError && error.code === 403) return true;
      throw error;
    } finally {
      asToken.close();
    }
  }
}
