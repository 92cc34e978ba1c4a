import { EventEmitter } from 'node:events';
import { FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Where the driver gets the bytes it writes as the CA file of every volume. */
export interface CaBundleSource {
  /** The current bundle, or undefined when no `--source-ca-bundle` is configured. */
  current(): Buffer | undefined;
  /** Called with the new bytes whenever the bundle changes. Returns an unsubscribe function. */
  onChange(listener: (bundle: Buffer) => void): () => void;
}

export const CA_BUNDLE_SOURCE = Symbol('CA_BUNDLE_SOURCE');

/** No `--source-ca-bundle`: volumes get no CA file. */
export class NoCaBundle implements CaBundleSource {
  current(): Buffer | undefined {
    return undefined;
  }
  onChange(): () => void {
    return () => undefined;
  }
}

export interface CaBundleWatcherOptions {
  path: string;
  /** Safety net for missed inotify events (e.g. on some overlay filesystems). */
  pollIntervalMs?: number;
  onError?: (err: Error) => void;
}

/**
 * Watches `--source-ca-bundle`. Kubernetes updates a mounted Secret or ConfigMap by swapping the
 * `..data` symlink in the mount directory, which replaces the file without writing to it; watching
 * the directory (not the file) sees that swap. Every event re-reads the file and only a change of
 * bytes is broadcast, so duplicate or spurious events cost one read.
 */
export class CaBundleWatcher implements CaBundleSource {
  private bundle: Buffer | undefined;
  private readonly events = new EventEmitter();
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();

  constructor(private readonly options: CaBundleWatcherOptions) {}

  /** Reads the bundle once; a missing or empty file at start is a configuration error. */
  async start(): Promise<void> {
    const bytes = await readFile(this.options.path).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`--source-ca-bundle: cannot read ${this.options.path}: ${err.code ?? err.message}`);
    });
    if (bytes.length === 0) throw new Error(`--source-ca-bundle: ${this.options.path} is empty`);
    this.bundle = bytes;
    this.watcher = watch(dirname(this.options.path), { persistent: false }, () => this.reload());
    this.watcher.on('error', (err) => this.options.onError?.(err));
    this.poller = setInterval(() => this.reload(), this.options.pollIntervalMs ?? 10_000);
    this.poller.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.poller) clearInterval(this.poller);
    this.events.removeAllListeners();
  }

  current(): Buffer | undefined {
    return this.bundle;
  }

  onChange(listener: (bundle: Buffer) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  /** Serialised so two events racing a symlink swap cannot broadcast out of order. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.readAndCompare());
    return this.reloading;
  }

  private async readAndCompare(): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.options.path);
    } catch (err) {
      // Mid-swap the path can briefly dangle; the next event or poll picks up the new file.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.options.onError?.(err as Error);
      return;
    }
    if (bytes.length === 0 || (this.bundle && bytes.equals(this.bundle))) return;
    this.bundle = bytes;
    this.events.emit('change', bytes);
  }
}
