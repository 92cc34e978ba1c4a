export * from './spiffe-id';
export * from './service-account';
export * from './service-account-token';
export * from './spiffe-bundle';
