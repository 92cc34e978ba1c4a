import { type DynamicModule, Module, type ModuleMetadata, type Provider } from '@nestjs/common';
import { IdentityController } from './identity.controller';
import { NodeController } from './node.controller';

export interface CsiModuleOptions {
  /** Modules exporting VOLUME_MANAGER (OPTIONS and LOGGER normally come from the global ConfigModule). */
  imports?: ModuleMetadata['imports'];
  /** Direct providers, e.g. { provide: VOLUME_MANAGER, useExisting: ... } or test fakes. */
  providers?: Provider[];
}

/** The CSI Identity and Node gRPC services. bootstrapDriver() (../bootstrap.ts) serves them. */
@Module({})
export class CsiModule {
  static forRoot(options: CsiModuleOptions = {}): DynamicModule {
    return {
      module: CsiModule,
      imports: options.imports ?? [],
      providers: options.providers ?? [],
      controllers: [IdentityController, NodeController],
    };
  }
}
