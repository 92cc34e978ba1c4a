import { Injectable } from '@nestjs/common';
import type { GeneratedKey } from '@spiffe-csi/crypto';

/** A request created but not yet answered; its key lives only here, in memory. */
export interface PendingRequest {
  requestName: string;
  namespace: string;
  key: GeneratedKey;
  spiffeId: string;
  createdAt: Date;
}

/**
 * Requests awaiting an answer, by volume id, so kubelet's retry of a timed-out publish resumes the
 * same request instead of piling up new ones (csi-lib#47). Lost on restart by design: the key must
 * never touch disk before it has a certificate.
 */
@Injectable()
export class PendingRequests {
  private readonly byVolume = new Map<string, PendingRequest>();

  get(volumeId: string): PendingRequest | undefined {
    return this.byVolume.get(volumeId);
  }

  set(volumeId: string, pending: PendingRequest): void {
    this.byVolume.set(volumeId, pending);
  }

  drop(volumeId: string): void {
    this.byVolume.delete(volumeId);
  }

  size(): number {
    return this.byVolume.size;
  }
}
