/**
 * What the gRPC layer needs from the rest of the driver, gathered in one place. Every injection
 * token is the contract's own (docs/module-contracts.md): VOLUME_MANAGER from the volume module,
 * OPTIONS and LOGGER from @spiffe-csi/config.
 */
import type { DriverOptions } from '@spiffe-csi/config';
import type { Logger } from 'pino';

export { LOGGER, OPTIONS } from '@spiffe-csi/config';
export { VOLUME_MANAGER, type VolumeManager } from '../volume/volume-manager';
export type { PublishRequest } from '../volume/volume-request';

/** The DriverOptions fields the gRPC layer reads. */
export type CsiServiceOptions = Pick<
  DriverOptions,
  'csiDriverName' | 'nodeId' | 'trustDomain' | 'kubeletRootDir'
>;

/** pino's call shape (merge object first); the LOGGER pino.Logger satisfies it. */
export type CsiLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
