/**
 * Serves the CSI module on a real unix socket and talks to it with a real @grpc/grpc-js client
 * loaded from proto/csi.proto, the way kubelet does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { type INestApplication, Module } from '@nestjs/common';
import { ConfigModule, createLogger, parseDriverOptions } from '@spiffe-csi/config';
import { ObservabilityModule } from '@spiffe-csi/observability';
import { bootstrapDriver } from '../../apps/csi-driver/src/bootstrap';
import { CsiModule, type CsiModuleOptions } from '../../apps/csi-driver/src/csi/csi.module';
import { resolveCsiProtoPath } from '../../apps/csi-driver/src/csi/grpc-options';
import {
  type PublishRequest,
  VOLUME_MANAGER,
  type VolumeManager,
} from '../../apps/csi-driver/src/csi/ports';

export class FakeVolumeManager implements VolumeManager {
  readonly published: PublishRequest[] = [];
  readonly unpublished: { volumeId: string; targetPath: string }[] = [];
  readiness: { ready: boolean; reason?: string } = { ready: true };
  publishError?: unknown;

  async publish(req: PublishRequest): Promise<void> {
    this.published.push(req);
    if (this.publishError !== undefined) throw this.publishError;
  }

  async unpublish(volumeId: string, targetPath: string): Promise<void> {
    this.unpublished.push({ volumeId, targetPath });
  }

  async ready(): Promise<{ ready: boolean; reason?: string }> {
    return this.readiness;
  }
}

/** Every JSON line the driver logged, raw and parsed. */
export class CapturedLog {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk, _enc, done) => {
      this.lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  get text(): string {
    return this.lines.join('\n');
  }
  entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface GrpcFailure {
  code: grpc.status;
  details: string;
}

type Unary = (request: object) => Promise<Record<string, unknown>>;

export interface CsiClient {
  identity: Record<'GetPluginInfo' | 'GetPluginCapabilities' | 'Probe', Unary>;
  node: Record<
    | 'NodeStageVolume'
    | 'NodeUnstageVolume'
    | 'NodePublishVolume'
    | 'NodeUnpublishVolume'
    | 'NodeGetVolumeStats'
    | 'NodeExpandVolume'
    | 'NodeGetCapabilities'
    | 'NodeGetInfo',
    Unary
  >;
  close(): void;
}

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

type UnaryCallback = (err: grpc.ServiceError | null, res: object) => void;
type RawUnary = (request: object, options: grpc.CallOptions, callback: UnaryCallback) => void;

function promisifyService(client: grpc.Client): Record<string, Unary> {
  return new Proxy({} as Record<string, Unary>, {
    get: (_t, method: string) => (request: object) =>
      new Promise((resolve, reject) => {
        const fn = (client as unknown as Record<string, RawUnary>)[method];
        fn.call(client, request, { deadline: Date.now() + 10_000 }, (err, res) =>
          err
            ? reject({ code: err.code, details: err.details } satisfies GrpcFailure)
            : resolve(res as Record<string, unknown>),
        );
      }),
  });
}

export function connectCsiClient(grpcUrl: string): CsiClient {
  const definition = protoLoader.loadSync(resolveCsiProtoPath(), LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    csi: { v1: Record<'Identity' | 'Node', grpc.ServiceClientConstructor> };
  };
  const credentials = grpc.credentials.createInsecure();
  const identity = new pkg.csi.v1.Identity(grpcUrl, credentials);
  const node = new pkg.csi.v1.Node(grpcUrl, credentials);
  return {
    identity: promisifyService(identity) as CsiClient['identity'],
    node: promisifyService(node) as CsiClient['node'],
    close: () => {
      identity.close();
      node.close();
    },
  };
}

/** Rejection of a client call, for assertions. */
export async function failureOf(call: Promise<unknown>): Promise<GrpcFailure> {
  try {
    await call;
  } catch (err) {
    return err as GrpcFailure;
  }
  throw new Error('call succeeded');
}

@Module({})
class CsiOverFakeVolumes {}

/**
 * The driver as main.ts starts it (bootstrapDriver, the production logger writing to `log`),
 * with the volume layer replaced: `csi` supplies VOLUME_MANAGER.
 */
export async function bootstrapOverFakeVolumes(
  flags: string[],
  csi: CsiModuleOptions,
  log: CapturedLog,
): Promise<INestApplication> {
  const options = parseDriverOptions(flags, {});
  const logger = createLogger({
    level: options.logLevel,
    name: 'csi-driver',
    destination: log.stream,
  });
  const module = {
    module: CsiOverFakeVolumes,
    imports: [
      ConfigModule.forRoot(options, logger),
      ObservabilityModule.forRoot({ readinessAddress: '127.0.0.1:0', metricsAddress: null }),
      CsiModule.forRoot(csi),
    ],
  };
  return bootstrapDriver(module, options, logger);
}

export interface RunningDriver {
  app: INestApplication;
  client: CsiClient;
  manager: FakeVolumeManager;
  log: CapturedLog;
  dir: string;
  socketPath: string;
  stop(): Promise<void>;
}

/** Starts the driver's gRPC surface in a fresh temp dir; `before` runs once the dir exists. */
export async function startDriver(
  before: (socketPath: string) => Promise<void> | void = () => {},
): Promise<RunningDriver> {
  const dir = await mkdtemp(join(tmpdir(), 'csi-grpc-'));
  const socketPath = join(dir, 'plugins', 'spiffe', 'csi.sock');
  await before(socketPath);
  const manager = new FakeVolumeManager();
  const log = new CapturedLog();
  // --log-level=3 is debug: every RPC line is in the log for the redaction assertions.
  const flags = [
    '--node-id=node-a',
    `--endpoint=unix://${socketPath}`,
    '--trust-domain=example.org',
    '--log-level=3',
  ];
  const app = await bootstrapOverFakeVolumes(
    flags,
    { providers: [{ provide: VOLUME_MANAGER, useValue: manager }] },
    log,
  ).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const client = connectCsiClient(`unix://${socketPath}`);
  return {
    app,
    client,
    manager,
    log,
    dir,
    socketPath,
    stop: async () => {
      client.close();
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
