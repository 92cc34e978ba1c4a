import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type ApproverOptions } from '@spiffe-csi/config';
import { KubernetesModule } from '@spiffe-csi/kubernetes';
import { ObservabilityModule } from '@spiffe-csi/observability';
import type { Logger } from 'pino';
import { ApprovalService } from './controller/approval.service';
import { ApproverMetrics } from './controller/approver-metrics';

@Module({})
export class AppModule {
  static forRoot(options: ApproverOptions, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options, logger),
        KubernetesModule.forRoot({
          kubeconfig: options.kubeconfig,
          logger: logger.child({ component: 'kubernetes' }),
        }),
        ObservabilityModule.forRoot({
          readinessAddress: options.readinessProbeBindAddress,
          metricsAddress: options.metricsBindAddress,
        }),
      ],
      providers: [ApproverMetrics, ApprovalService],
    };
  }
}
