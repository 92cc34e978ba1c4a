import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));
const lib = (name: string) => resolve(root, `libs/${name}/src`);

// SWC instead of esbuild: Nest's DI needs emitDecoratorMetadata, which esbuild cannot emit.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: {
      '@spiffe-csi/config': lib('config'),
      '@spiffe-csi/kubernetes': lib('kubernetes'),
      '@spiffe-csi/crypto': lib('crypto'),
      '@spiffe-csi/spiffe': lib('spiffe'),
      '@spiffe-csi/observability': lib('observability'),
    },
  },
  test: {
    include: ['{apps,libs,test}/**/*.{spec,test}.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most suites wait on child processes and sockets, not the CPU: more workers than cores.
    maxWorkers: 3,
    reporters: ['default'],
  },
});
