export * from './bind-address';
export * from './health-registry';
export * from './metrics-server';
export * from './observability.module';
export * from './pino-nest-logger';
export * from './tokens';
export { HealthController } from './health.controller';
export * from './bootstrap';
