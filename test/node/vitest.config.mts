// The real-node tier: `npm run test:node`. Its files end in .node.ts so that the root config
// (which runs *.test.ts / *.spec.ts) never picks them up.
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
    include: ['test/node/**/*.node.ts'],
    globalSetup: ['test/node/global-setup.ts'],
    // One node, one CPU budget, and the checks build on each other: one file, in order.
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A failed check must not skip later ones that can still tell something.
    bail: 0,
  },
});
