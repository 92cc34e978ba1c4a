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
import type { INestMicroservice } from '@nestjs/common';
import { createLogger } from '@spiffe-csi/config';
import { CsiModule } from '../../apps/csi-driver/src/csi/csi.module';
import {
  resolveCsiProtoPath,
  startCsiMicroservice,
} from '../../apps/csi-driver/src/csi/grpc-options';
import {
  type CsiServiceOptions,
  LOGGER,
  OPTIONS,
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

export interface RunningDriver {
  app: INestMicroservice;
  client: CsiClient;
  manager: FakeVolumeManager;
  log: CapturedLog;
  dir: string;
  socketPath: string;
  stop(): Promise<void>;
}

export const TEST_OPTIONS: CsiServiceOptions = {
  csiDriverName: 'spiffe.csi.cert-manager.io',
  nodeId: 'node-a',
  trustDomain: 'example.org',
  kubeletRootDir: '/var/lib/kubelet',
};

/** Starts the driver's gRPC surface in a fresh temp dir; `before` runs once the dir exists. */
export async function startDriver(
  before: (socketPath: string) => Promise<void> | void = () => {},
): Promise<RunningDriver> {
  const dir = await mkdtemp(join(tmpdir(), 'csi-grpc-'));
  const socketPath = join(dir, 'plugins', 'spiffe', 'csi.sock');
  await before(socketPath);
  const manager = new FakeVolumeManager();
  const log = new CapturedLog();
  // The production logger (redaction included), as main.ts makes it with --log-level=3 (debug).
  const logger = createLogger({ level: 3, name: 'csi-driver', destination: log.stream });
  const module = CsiModule.forRoot({
    providers: [
      { provide: VOLUME_MANAGER, useValue: manager },
      { provide: OPTIONS, useValue: TEST_OPTIONS },
      { provide: LOGGER, useValue: logger },
    ],
  });
  const app = await startCsiMicroservice(module, `unix://${socketPath}`, { logger: false });
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
