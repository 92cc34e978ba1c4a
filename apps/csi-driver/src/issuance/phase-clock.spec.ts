import { redactSecrets } from '@spiffe-csi/config';
import { describe, expect, it } from 'vitest';
import { PhaseClock, PUBLISH_PHASES } from './phase-clock';

describe('PhaseClock', () => {
  it('charges each phase the time since the previous mark, in phase order, and sums a repeated phase', () => {
    let now = 100;
    const clock = new PhaseClock(() => now);
    now = 101.04;
    clock.mark('lock');
    now = 110;
    clock.mark('create');
    now = 112;
    clock.mark('prepare');
    now = 115;
    clock.mark('create');
    expect(clock.phasesMs()).toEqual({ lock: 1, prepare: 2, create: 12 }); // 8.96 + 3, to 0.1 ms
    expect(Object.keys(clock.phasesMs())).toEqual(['lock', 'prepare', 'create']);
    expect(clock.totalMs()).toBe(15);
  });

  it('names no phase like a secret field: the "volume published" line keeps every duration', () => {
    const phases = Object.fromEntries(PUBLISH_PHASES.map((p, i) => [p, i]));
    expect(redactSecrets({ phasesMs: phases })).toEqual({ phasesMs: phases });
  });
});
