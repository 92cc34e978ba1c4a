// Fails when any TypeScript file reaches itself through its imports (type-only imports count:
// a type cycle is still two modules that cannot be read, moved or tested apart), and when product
// folders do (apps/<app>/src/<folder>, libs/<lib>: e.g. csi -> volume -> issuance -> csi), tests
// and testing/ helpers aside. Run by `npm run lint`. Uses the TypeScript compiler's own import scanner and module resolution, so
// tsconfig `paths` (@spiffe-csi/*) resolve exactly as in the build; no extra dependency.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The project's .ts files and compiler options, as tsconfig.json at `root` declares them. */
export function loadProject(root) {
  const configPath = resolve(root, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return { files: parsed.fileNames.filter((f) => !f.endsWith('.d.ts')), options: parsed.options };
}

/** file → the project files it imports or re-exports (static and dynamic imports alike). */
export function importGraph(files, options) {
  const inProject = new Set(files);
  const cache = ts.createModuleResolutionCache(process.cwd(), (f) => f, options);
  const graph = new Map();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const { fileName } of importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys, cache).resolvedModule;
      if (resolved && inProject.has(resolved.resolvedFileName)) targets.add(resolved.resolvedFileName);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself). */
export function findCycles(graph) {
  // Tarjan's algorithm, iterative so deep import chains cannot overflow the stack.
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const cycles = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, i] = frame;
      const edges = graph.get(node) ?? [];
      if (i < edges.length) {
        frame[1] = i + 1;
        const to = edges[i];
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push([to, 0]);
        } else if (onStack.has(to)) {
          low.set(node, Math.min(low.get(node), index.get(to)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) !== index.get(node)) continue;
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || edges.includes(node)) cycles.push(component.sort());
    }
  }
  return cycles;
}

export function importCycles(root) {
  const { files, options } = loadProject(root);
  return findCycles(importGraph(files, options)).map((c) => c.map((f) => relative(root, f)));
}

const FOLDER = /^(apps\/[^/]+\/src\/[^/]+|libs\/[^/]+)\//;
const TEST_ONLY = /\.(spec|test)\.ts$|\/(testing|test-support|test-fixtures)\//;

/** The same check one level up: a folder may depend on another only if that one does not depend back. */
export function folderCycles(root) {
  const { files, options } = loadProject(root);
  const folders = new Map();
  for (const [file, targets] of importGraph(files, options)) {
    const from = relative(root, file);
    const folder = FOLDER.exec(from)?.[1];
    if (!folder || TEST_ONLY.test(from)) continue;
    const edges = folders.get(folder) ?? new Set();
    folders.set(folder, edges);
    for (const target of targets) {
      const to = FOLDER.exec(relative(root, target))?.[1];
      if (to && to !== folder) edges.add(to);
    }
  }
  return findCycles(new Map([...folders].map(([k, v]) => [k, [...v]])));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const cycles = [...importCycles(root), ...folderCycles(root)];
  for (const cycle of cycles) console.error(`import cycle between: ${cycle.join(', ')}`);
  if (cycles.length > 0) {
    console.error(`${cycles.length} import cycle(s): make the dependency go one way (see docs/module-contracts.md)`);
    process.exit(1);
  }
}
