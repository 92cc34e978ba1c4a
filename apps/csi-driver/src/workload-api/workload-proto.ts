import { dirname, join } from 'node:path';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { resolveCsiProtoPath } from '../csi/grpc-options';

let definition: ServiceDefinition | undefined;

/** `SpiffeWorkloadAPI` from proto/workload.proto (next to csi.proto in a checkout and in dist). */
export function workloadServiceDefinition(): ServiceDefinition {
  if (!definition) {
    const path = join(dirname(resolveCsiProtoPath()), 'workload.proto');
    // bytes stay Buffers (the default); keepCase gives the spec's field names (spiffe_id, ...).
    const loaded = loadPackageDefinition(loadSync(path, { keepCase: true, longs: String, enums: String, defaults: true }));
    definition = (loaded.SpiffeWorkloadAPI as unknown as { service: ServiceDefinition }).service;
  }
  return definition;
}
