import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateRequestApi,
  ConfigMapApi,
  KUBE_CONNECTION,
  KubeClientFactory,
  KubeConfigError,
  KubeConnection,
  KubernetesModule,
} from '@spiffe-csi/kubernetes';
import { startKubeSim, type KubeSim } from '../kube-sim';
import { newRequest } from './helpers';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({ tls: true });
});
afterAll(() => sim.close());

describe('KubernetesModule', () => {
  it('provides a connection from --kubeconfig and working clients', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KubernetesModule.forRoot({ kubeconfig: sim.writeKubeconfig(sim.adminToken) })],
    }).compile();
    const conn = moduleRef.get<KubeConnection>(KUBE_CONNECTION);
    expect(conn).toBeInstanceOf(KubeConnection);
    expect(conn.server).toBe(sim.url);
    const crs = moduleRef.get(CertificateRequestApi);
    await crs.create('mod', newRequest('via-module'));
    expect((await crs.list({ namespace: 'mod' })).map((c) => c.metadata.name)).toEqual([
      'via-module',
    ]);
    expect(await moduleRef.get(ConfigMapApi).get('mod', 'absent')).toBeUndefined();
    const factory = moduleRef.get(KubeClientFactory);
    expect(factory.connection).toBe(conn);
    await moduleRef.close();
  });

  it('works against a plain-http API server too', async () => {
    const plain = await startKubeSim();
    try {
      const conn = KubeConnection.load({
        kubeconfig: plain.writeKubeconfig(plain.adminToken),
        env: {},
      });
      const created = await new CertificateRequestApi(conn).create(
        'plain',
        newRequest('over-http'),
      );
      expect(created.spec.username).toBe('kube-admin');
      conn.close();
    } finally {
      await plain.close();
    }
  });

  it('fails module start-up with a clear KubeConfigError when the kubeconfig is missing', async () => {
    const build = Test.createTestingModule({
      imports: [KubernetesModule.forRoot({ kubeconfig: '/nonexistent/kubeconfig' })],
    }).compile();
    await expect(build).rejects.toThrow(KubeConfigError);
  });
});
