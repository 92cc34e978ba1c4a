import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';

/** Injection token for the app's parsed options (ApproverOptions or DriverOptions). */
export const OPTIONS: unique symbol = Symbol('spiffe-csi:OPTIONS');
/** Injection token for the app's pino logger. */
export const LOGGER: unique symbol = Symbol('spiffe-csi:LOGGER');

/** Makes the options and logger main() built injectable everywhere (`@Inject(OPTIONS)`). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(options: object, logger: Logger): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [
        { provide: OPTIONS, useValue: options },
        { provide: LOGGER, useValue: logger },
      ],
      exports: [OPTIONS, LOGGER],
    };
  }
}
