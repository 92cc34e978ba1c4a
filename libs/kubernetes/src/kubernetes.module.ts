import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CertificateRequestApi } from './certificate-request.api';
import { ConfigMapApi } from './configmap.api';
import { KubeConnection } from './connection';
import { EventRecorder } from './event-recorder';
import { Informer, type InformerOptions } from './informer';
import { LeaseLeaderElector, type LeaderElectionOptions } from './leader-election';
import type { KubeLogger } from './logger';
import type { KubeObject } from './objects';

export const KUBE_CONNECTION = Symbol('KUBE_CONNECTION');

export interface KubernetesModuleOptions {
  kubeconfig?: string;
  /** Use this connection instead of loading one (tests). */
  connection?: KubeConnection;
  logger?: KubeLogger;
}

/** Builds the library's clients on the module's connection. */
@Injectable()
export class KubeClientFactory implements OnApplicationShutdown {
  constructor(@Inject(KUBE_CONNECTION) readonly connection: KubeConnection) {}

  certificateRequests(conn: KubeConnection = this.connection): CertificateRequestApi {
    return new CertificateRequestApi(conn, { logger: conn.logger });
  }

  configMaps(): ConfigMapApi {
    return new ConfigMapApi(this.connection, { logger: this.connection.logger });
  }

  informer<T extends KubeObject>(opts: InformerOptions): Informer<T> {
    return new Informer<T>(this.connection, opts);
  }

  eventRecorder(component: string): EventRecorder {
    return new EventRecorder(this.connection, { component });
  }

  leaderElector(opts: LeaderElectionOptions): LeaseLeaderElector {
    return new LeaseLeaderElector(this.connection, opts);
  }

  onApplicationShutdown(): void {
    this.connection.close();
  }
}

@Module({})
export class KubernetesModule {
  static forRoot(opts: KubernetesModuleOptions = {}): DynamicModule {
    return {
      module: KubernetesModule,
      global: true,
      providers: [
        {
          provide: KUBE_CONNECTION,
          useFactory: () =>
            opts.connection ??
            KubeConnection.load({ kubeconfig: opts.kubeconfig, logger: opts.logger }),
        },
        KubeClientFactory,
        {
          provide: CertificateRequestApi,
          useFactory: (f: KubeClientFactory) => f.certificateRequests(),
          inject: [KubeClientFactory],
        },
        {
          provide: ConfigMapApi,
          useFactory: (f: KubeClientFactory) => f.configMaps(),
          inject: [KubeClientFactory],
        },
      ],
      exports: [KUBE_CONNECTION, KubeClientFactory, CertificateRequestApi, ConfigMapApi],
    };
  }
}
