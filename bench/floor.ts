// The floor: what one issuance costs in pure crypto (fresh key + CSR), measured in this run so the
// publish figures can be read against it.
import 'reflect-metadata'; // @peculiar/x509 (behind libs/crypto) resolves its services through tsyringe
import { createSpiffeCsr, generateKey, type KeyAlgorithm } from '@spiffe-csi/crypto';
import type { Figure } from './lib/figures';
import { median, percentile, round } from './lib/stats';

const WARMUP = 5;
const SAMPLES = 40;

async function keyAndCsrMs(algorithm: KeyAlgorithm): Promise<number[]> {
  const once = async () => {
    const t0 = performance.now();
    await createSpiffeCsr(await generateKey(algorithm), 'spiffe://example.org/ns/bench/sa/floor');
    return performance.now() - t0;
  };
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) samples.push(await once());
  return samples;
}

export async function benchFloor(configured: KeyAlgorithm): Promise<Figure[]> {
  const algorithms: KeyAlgorithm[] = configured === 'ecdsa-p521' ? ['ecdsa-p521'] : ['ecdsa-p521', configured];
  const figures: Figure[] = [];
  for (const algorithm of algorithms) {
    const samples = await keyAndCsrMs(algorithm);
    figures.push({
      section: 'floor',
      name: `${algorithm} key generation + CSR, median${algorithm === configured ? ' (configured)' : ''}`,
      value: round(median(samples), 2),
      unit: 'ms',
      note: `${SAMPLES} sequential, p99 ${round(percentile(samples, 99), 1)} ms, in the bench process`,
    });
  }
  return figures;
}
