import { describe, expect, it } from 'vitest';
import { HealthRegistry } from './health-registry';

describe('HealthRegistry', () => {
  it('reports each check by name, with reasons, and treats throwing checks as unhealthy', async () => {
    const registry = new HealthRegistry();
    registry.addReadinessCheck('sync', () => true);
    registry.addReadinessCheck('leader', async () => ({ healthy: false, reason: 'not started' }));
    registry.addReadinessCheck('boom', () => {
      throw new Error('exploded');
    });
    expect(await registry.run('readiness')).toEqual([
      { name: 'sync', healthy: true },
      { name: 'leader', healthy: false, reason: 'not started' },
      { name: 'boom', healthy: false, reason: 'exploded' },
    ]);
    expect(await registry.run('liveness')).toEqual([]);
  });

  it('refuses duplicate names and allows removal', async () => {
    const registry = new HealthRegistry();
    registry.addLivenessCheck('a', () => true);
    expect(() => registry.addLivenessCheck('a', () => true)).toThrow(/already registered/);
    registry.remove('liveness', 'a');
    expect(registry.names('liveness')).toEqual([]);
  });
});
