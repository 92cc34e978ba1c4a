import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs lint script without type declarations
import { folderCycles, importCycles } from '../../scripts/lint/import-cycles.mjs';

/** A throwaway project: tsconfig with the repo's @spiffe-csi/* path style plus the given files. */
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'import-cycles-'));
  const tsconfig = {
    compilerOptions: { module: 'commonjs', moduleResolution: 'node', baseUrl: './', paths: { '@lib/*': ['lib/*'] } },
    include: ['**/*.ts'],
  };
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify(tsconfig));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe('the import cycle check run by npm run lint', () => {
  let root: string | undefined;
  afterEach(() => root && rmSync(root, { recursive: true, force: true }));

  it('finds no cycle in this repository, between files or between product folders', () => {
    expect(importCycles(join(__dirname, '../..'))).toEqual([]);
    expect(folderCycles(join(__dirname, '../..'))).toEqual([]);
  });

  it('reports folders that depend on each other, but not through tests or testing/ helpers', () => {
    root = project({
      'apps/d/src/csi/edge.ts': "import { run } from '../volume/manager';\nexport const edge = run;\n",
      'apps/d/src/volume/manager.ts': "export const run = () => 1;\n",
      'apps/d/src/volume/testing/harness.ts': "import { edge } from '../../csi/edge';\nexport const h = edge;\n",
      'apps/d/src/volume/manager.spec.ts': "import { edge } from '../csi/edge';\nexport const s = edge;\n",
    });
    expect(folderCycles(root)).toEqual([]);
    writeFileSync(join(root, 'apps/d/src/volume/error.ts'), "import { edge } from '../csi/edge';\nexport const e = edge;\n");
    expect(folderCycles(root)).toEqual([['apps/d/src/csi', 'apps/d/src/volume']]);
  });

  it('reports a cycle made only of type imports', () => {
    root = project({
      'a.ts': "import type { B } from './b';\nexport type A = { b?: B };\n",
      'b.ts': "import type { A } from './a';\nexport type B = { a?: A };\n",
      'c.ts': "import type { A } from './a';\nexport type C = A;\n",
    });
    expect(importCycles(root)).toEqual([['a.ts', 'b.ts']]);
  });

  it('follows re-exports and path aliases around a longer loop', () => {
    root = project({
      'index.ts': "export * from './x';\n",
      'x.ts': "import { y } from './y';\nexport const x = () => y;\n",
      'y.ts': "import { z } from '@lib/z';\nexport const y = () => z;\n",
      'lib/z.ts': "import { x } from '../index';\nexport const z = () => x;\n",
    });
    expect(importCycles(root)).toEqual([['index.ts', 'lib/z.ts', 'x.ts', 'y.ts']]);
  });

  it('accepts a diamond (two paths to one module are not a cycle)', () => {
    root = project({
      'top.ts': "import './left';\nimport './right';\n",
      'left.ts': "import './bottom';\n",
      'right.ts': "import './bottom';\n",
      'bottom.ts': 'export const bottom = 1;\n',
    });
    expect(importCycles(root)).toEqual([]);
  });
});
