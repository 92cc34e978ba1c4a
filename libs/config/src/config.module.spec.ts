import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigModule, LOGGER, OPTIONS } from './config.module';
import { createLogger } from './logger';
import { ApproverOptions } from './options';

@Injectable()
class NeedsConfig {
  constructor(
    @Inject(OPTIONS) readonly options: ApproverOptions,
    @Inject(LOGGER) readonly logger: Logger,
  ) {}
}

// A feature module that does not import ConfigModule: the tokens must still resolve (global).
@Module({ providers: [NeedsConfig] })
class FeatureModule {}

describe('ConfigModule.forRoot', () => {
  it('provides the options and logger globally', async () => {
    const options = new ApproverOptions();
    const logger = createLogger({
      level: 1,
      name: 'test',
      destination: new Writable({ write: (_c, _e, done) => done() }),
    });
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(options, logger), FeatureModule],
    }).compile();

    const consumer = moduleRef.get(NeedsConfig);
    expect(consumer.options).toBe(options);
    expect(consumer.logger).toBe(logger);
    await moduleRef.close();
  });
});
