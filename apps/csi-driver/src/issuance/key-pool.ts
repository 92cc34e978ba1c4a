import { generateKey, type GeneratedKey, type KeyAlgorithm } from '@spiffe-csi/crypto';

/** Where an issuance gets its fresh private key. */
export interface KeySource {
  take(): Promise<GeneratedKey>;
}

/** The KeySource SvidIssuer takes keys from: a KeyPool in the driver. */
export const KEY_SOURCE = Symbol('KEY_SOURCE');

export const onDemandKeys = (algorithm: KeyAlgorithm): KeySource => ({
  take: () => generateKey(algorithm),
});

/**
 * A few keys generated ahead of time, so a publish does not wait for key generation (~2.5 ms of
 * OpenSSL for P-521, on the thread pool). Every key is handed out once and never reused; an empty
 * pool generates on demand. Refills happen only after a take, so an idle driver does no work.
 */
export class KeyPool implements KeySource {
  private readonly ready: GeneratedKey[] = [];
  private inFlight = 0;

  constructor(
    private readonly algorithm: KeyAlgorithm,
    private readonly size: number,
    private readonly generate: (algorithm: KeyAlgorithm) => Promise<GeneratedKey> = generateKey,
  ) {
    this.refill();
  }

  take(): Promise<GeneratedKey> {
    const key = this.ready.shift();
    this.refill();
    return key ? Promise.resolve(key) : this.generate(this.algorithm);
  }

  /** Keys ready right now (tests, metrics). */
  get available(): number {
    return this.ready.length;
  }

  private refill(): void {
    while (this.ready.length + this.inFlight < this.size) {
      this.inFlight++;
      this.generate(this.algorithm)
        .then((key) => this.ready.push(key))
        // A failed background generation is not an error of any request: take() retries on demand.
        .catch(() => undefined)
        .finally(() => this.inFlight--);
    }
  }
}
