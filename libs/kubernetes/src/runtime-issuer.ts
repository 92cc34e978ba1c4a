import type { ConfigMap } from './configmap.api';
import type { Informer } from './informer';
import { formatIssuerRef, type IssuerRef } from './issuer-ref';
import { silentLogger, type KubeLogger } from './logger';

/** The data keys of the runtime issuance ConfigMap, as in the Go original. */
export const RUNTIME_ISSUER_KEYS = {
  name: 'issuer-name',
  kind: 'issuer-kind',
  group: 'issuer-group',
} as const;

/** The issuerRef a runtime ConfigMap names, or the reason it names none. */
export function issuerRefFromConfigMap(cm: ConfigMap): IssuerRef | { problem: string } {
  const data = cm.data ?? {};
  const missing = Object.values(RUNTIME_ISSUER_KEYS).filter(
    (k) => typeof data[k] !== 'string' || data[k].trim() === '',
  );
  if (missing.length > 0) return { problem: `missing or empty keys: ${missing.join(', ')}` };
  return {
    name: data[RUNTIME_ISSUER_KEYS.name].trim(),
    kind: data[RUNTIME_ISSUER_KEYS.kind].trim(),
    group: data[RUNTIME_ISSUER_KEYS.group].trim(),
  };
}

/**
 * The issuer in force. Without a runtime ConfigMap it is the flags' issuerRef (undefined when the
 * flags name none); with one, the ConfigMap's while it exists and is valid. An invalid ConfigMap
 * is logged and the previous issuerRef kept; deleting the ConfigMap falls back to the flags.
 * Shared by the approver (which requests to decide) and the driver (where requests go).
 */
export class RuntimeIssuerSource {
  private active: IssuerRef | undefined;
  private readonly listeners: ((ref: IssuerRef | undefined) => void)[] = [];

  constructor(
    private readonly fromFlags: IssuerRef | undefined,
    private readonly logger: KubeLogger = silentLogger,
    private readonly configMap?: Informer<ConfigMap>,
  ) {
    this.active = fromFlags;
    configMap?.addHandlers({
      onAdd: (cm) => this.apply(cm),
      onUpdate: (cm) => this.apply(cm),
      onDelete: () => {
        this.logger.info({ issuerRef: formatIssuerRef(fromFlags) },
          'runtime issuance ConfigMap deleted; using the issuer from flags');
        this.set(fromFlags);
      },
    });
  }

  current(): IssuerRef | undefined {
    return this.active;
  }

  /** Called with the new issuerRef whenever it changes. */
  onChange(listener: (ref: IssuerRef | undefined) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.configMap?.start();
  }

  async stop(): Promise<void> {
    await this.configMap?.stop();
  }

  /** Until the ConfigMap was read once, the active issuerRef may be the wrong one. */
  hasSynced(): boolean {
    return this.configMap ? this.configMap.hasSynced() : true;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.configMap ? this.configMap.waitForSync({ signal }) : Promise.resolve();
  }

  private apply(cm: ConfigMap): void {
    const ref = issuerRefFromConfigMap(cm);
    if ('problem' in ref) {
      this.logger.error({ configMap: `${cm.metadata.namespace}/${cm.metadata.name}`, problem: ref.problem,
        issuerRef: formatIssuerRef(this.active) }, 'runtime issuance ConfigMap is invalid; keeping the previous issuer');
      return;
    }
    this.logger.info({ issuerRef: formatIssuerRef(ref) }, 'runtime issuance ConfigMap sets the issuer');
    this.set(ref);
  }

  private set(ref: IssuerRef | undefined): void {
    const a = this.active;
    const same = ref === a || (!!ref && !!a && ref.name === a.name && ref.kind === a.kind && ref.group === a.group);
    this.active = ref;
    if (!same) for (const listener of this.listeners) listener(ref);
  }
}
