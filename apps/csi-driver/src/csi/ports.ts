/**
 * What the gRPC layer needs from the rest of the driver.
 *
 * STAND-IN: the contract ("Driver seams" in docs/module-contracts.md) puts VOLUME_MANAGER,
 * PublishRequest and VolumeManager in volume/volume-manager.ts and OPTIONS / LOGGER in
 * @spiffe-csi/config. Until those land, the same names are declared here; once they do, this file
 * shrinks to re-exports so that every injection token has exactly one identity.
 */
import type { Logger } from 'pino';

export const VOLUME_MANAGER = Symbol('VOLUME_MANAGER');
export const OPTIONS = Symbol('OPTIONS');
export const LOGGER = Symbol('LOGGER');

export interface PublishRequest {
  volumeId: string;
  targetPath: string;
  volumeContext: Record<string, string>;
  fsGroup?: number;
  identity: {
    namespace: string;
    serviceAccount: string;
    spiffeId: string;
    token: string;
    tokenExpiresAt?: Date;
    podName?: string;
    podUid?: string;
  };
}

export interface VolumeManager {
  publish(req: PublishRequest): Promise<void>;
  unpublish(volumeId: string, targetPath: string): Promise<void>;
  ready(): Promise<{ ready: boolean; reason?: string }>;
}

/** The DriverOptions fields the gRPC layer reads. */
export interface CsiServiceOptions {
  csiDriverName: string;
  nodeId: string;
  trustDomain: string;
}

/** pino's call shape (merge object first); a pino.Logger satisfies it. */
export type CsiLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
