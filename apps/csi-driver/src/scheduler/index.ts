export * from './backoff';
export * from './renewal-time';
export * from './scheduler';
