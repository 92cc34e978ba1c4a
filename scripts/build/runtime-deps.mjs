// Copies the node_modules an image needs at run time into <dest>/node_modules: the dependency
// closure of the given packages as package-lock.json resolves it (same versions, same layout as
// `npm ci`), without what only compilers and editors read (type declarations, source maps,
// markdown, @types/* packages) and addons only the Bare runtime can load (*.bare).
//
//   node scripts/build/runtime-deps.mjs <dest> [package...]
//
// Without packages it copies what webpack.config.js leaves external on purpose (LAZY: loaded
// lazily by the apps, e.g. @kubernetes/client-node for exec/auth-provider kubeconfigs); everything
// else is inside the bundles. Run from a directory with package-lock.json and an installed
// node_modules (the Dockerfile's build stage; the test tier's stand-in images).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';

const [dest, ...named] = process.argv.slice(2);
if (!dest) {
  console.error('usage: runtime-deps.mjs <dest> [package...]');
  process.exit(2);
}
const root = process.cwd();
const roots = named.length > 0 ? named : createRequire(join(root, 'x.js'))('./webpack.config.js').LAZY;
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;

/** Node's lookup over lockfile paths: nearest node_modules/<name> walking up from `from`. */
function resolve(from, name) {
  for (let dir = from; ; ) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (!dir) return undefined;
    const at = dir.lastIndexOf('/node_modules/');
    dir = at < 0 ? '' : dir.slice(0, at);
  }
}

const closure = new Set();
function add(path) {
  if (closure.has(path)) return;
  closure.add(path);
  const entry = lock[path];
  const optional = { ...entry.optionalDependencies, ...entry.peerDependenciesMeta };
  for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) {
    const found = resolve(path, name);
    if (found) add(found);
    else if (!(name in optional)) throw new Error(`${path} needs ${name}, which package-lock.json does not have`);
  }
}
for (const name of roots) {
  const path = `node_modules/${name}`;
  if (!lock[path]) throw new Error(`${name} is not a top-level package in package-lock.json`);
  add(path);
}

// Never read at run time. @types/* are listed as dependencies by some packages (client-node).
// *.bare: prebuilt addons for the Bare runtime, loaded only by its require.addon() (bare-fs,
// bare-url, ...: tar-fs and tar-stream map `fs` to them under the "bare" import condition only);
// Node never loads these packages' bindings (6 MB, every platform).
const DROP_FILE = /\.(d\.[cm]?ts|map|md|markdown|bare)$/i;
const isTypesPackage = (path) => /(^|\/)node_modules\/@types\//.test(path);

rmSync(join(dest, 'node_modules'), { recursive: true, force: true });
let copied = 0;
for (const path of [...closure].sort()) {
  if (isTypesPackage(path)) continue;
  const from = join(root, path);
  // Optional dependencies for other platforms are in the lockfile but not installed.
  if (!existsSync(from)) {
    if (lock[path].optional) continue;
    throw new Error(`${path} is not installed: run npm ci first`);
  }
  mkdirSync(join(dest, path), { recursive: true });
  cpSync(from, join(dest, path), {
    recursive: true,
    filter: (src) => {
      const rel = relative(from, src);
      // Nested node_modules are packages of their own: copied only when in the closure.
      if (rel.split(sep).includes('node_modules')) return false;
      return !(DROP_FILE.test(src) && statSync(src).isFile());
    },
  });
  copied++;
}
console.error(`runtime-deps: ${copied} packages (closure of ${roots.join(', ')}) in ${join(dest, 'node_modules')}`);
