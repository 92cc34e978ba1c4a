// The real-apiserver tier: `npm run test:real`. Its files end in .real.ts so that the root
// config (which runs *.test.ts) never picks them up.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.mts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export default defineConfig({
  ...base,
  root,
  test: {
    ...base.test,
    include: ['test/real/**/*.real.ts'],
    globalSetup: ['test/real/global-setup.ts'],
    // One apiserver, one CPU budget: suites take turns (each still uses its own namespaces).
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
