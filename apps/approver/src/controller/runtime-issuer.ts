import type { ConfigMap, Informer } from '@spiffe-csi/kubernetes';
import type { Logger } from 'pino';
import { formatIssuerRef, type IssuerRef } from './issuer-ref';

export const RUNTIME_KEYS = {
  name: 'issuer-name',
  kind: 'issuer-kind',
  group: 'issuer-group',
} as const;

/** The issuerRef a runtime ConfigMap names, or the reason it names none. */
export function issuerRefFromConfigMap(cm: ConfigMap): IssuerRef | { problem: string } {
  const data = cm.data ?? {};
  const missing = Object.values(RUNTIME_KEYS).filter(
    (k) => typeof data[k] !== 'string' || data[k].trim() === '',
  );
  if (missing.length > 0) return { problem: `missing or empty keys: ${missing.join(', ')}` };
  return {
    name: data[RUNTIME_KEYS.name].trim(),
    kind: data[RUNTIME_KEYS.kind].trim(),
    group: data[RUNTIME_KEYS.group].trim(),
  };
}

/**
 * The issuerRef to approve for. Without a runtime ConfigMap it is the flags' issuerRef; with one,
 * the ConfigMap's while it exists and is valid. An invalid ConfigMap is logged and the previous
 * issuerRef kept; deleting the ConfigMap falls back to the flags.
 */
export class IssuerRefSource {
  private active: IssuerRef;
  private readonly listeners: ((ref: IssuerRef) => void)[] = [];

  constructor(
    private readonly fromFlags: IssuerRef,
    private readonly logger: Logger,
    private readonly configMap?: Informer<ConfigMap>,
  ) {
    this.active = fromFlags;
    configMap?.addHandlers({
      onAdd: (cm) => this.apply(cm),
      onUpdate: (cm) => this.apply(cm),
      onDelete: () => {
        this.logger.info(
          { issuerRef: formatIssuerRef(fromFlags) },
          'runtime issuance ConfigMap deleted; using the issuer from flags',
        );
        this.set(fromFlags);
      },
    });
  }

  current(): IssuerRef {
    return this.active;
  }

  /** Called with the new issuerRef whenever it changes. */
  onChange(listener: (ref: IssuerRef) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.configMap?.start();
  }

  stop(): void {
    this.configMap?.stop();
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
      this.logger.error(
        {
          configMap: `${cm.metadata.namespace}/${cm.metadata.name}`,
          problem: ref.problem,
          issuerRef: formatIssuerRef(this.active),
        },
        'runtime issuance ConfigMap is invalid; keeping the previous issuer',
      );
      return;
    }
    this.logger.info(
      { issuerRef: formatIssuerRef(ref) },
      'runtime issuance ConfigMap sets the issuer',
    );
    this.set(ref);
  }

  private set(ref: IssuerRef): void {
    const same =
      ref.name === this.active.name &&
      ref.kind === this.active.kind &&
      ref.group === this.active.group;
    this.active = ref;
    if (!same) for (const listener of this.listeners) listener(ref);
  }
}
