import type { IssuerRef, IssuerSource } from './ports';

/** The issuerRef from --issuer-name/kind/group; undefined while no name is configured. */
export class StaticIssuerSource implements IssuerSource {
  private readonly ref: IssuerRef | undefined;

  constructor(ref: Partial<IssuerRef>) {
    this.ref = ref.name
      ? { name: ref.name, kind: ref.kind || 'ClusterIssuer', group: ref.group || 'cert-manager.io' }
      : undefined;
  }

  current(): IssuerRef | undefined {
    return this.ref;
  }
}
