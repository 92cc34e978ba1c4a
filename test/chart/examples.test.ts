import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { find, parseManifests, validateManifest } from './k8s-schema';

const EXAMPLES = resolve(__dirname, '../../deploy/example');

describe('deploy/example manifests', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  it('has the three documented examples', () => {
    expect(files.sort()).toEqual(['clusterissuer.yaml', 'example-app.yaml', 'fs-group-app.yaml']);
  });

  it.each(files)('%s contains only schema-valid objects', (file) => {
    const objs = parseManifests(readFileSync(join(EXAMPLES, file), 'utf8'));
    expect(objs.length).toBeGreaterThan(0);
    for (const obj of objs) validateManifest(obj);
  });

  it('mounts the volume read-only with the driver name, as the driver requires', () => {
    for (const file of ['example-app.yaml', 'fs-group-app.yaml']) {
      const deploy = find(parseManifests(readFileSync(join(EXAMPLES, file), 'utf8')), 'Deployment');
      const volumes = (deploy.spec as { template: { spec: { volumes: { csi: { driver: string; readOnly: boolean } }[] } } })
        .template.spec.volumes;
      expect(volumes[0].csi).toMatchObject({ driver: 'spiffe.csi.cert-manager.io', readOnly: true });
    }
  });

  it('gives the workload only create on certificaterequests', () => {
    const role = find(parseManifests(readFileSync(join(EXAMPLES, 'example-app.yaml'), 'utf8')), 'Role');
    expect(role.rules).toEqual([{ apiGroups: ['cert-manager.io'], resources: ['certificaterequests'], verbs: ['create'] }]);
  });
});
