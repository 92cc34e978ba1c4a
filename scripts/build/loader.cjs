'use strict';
// Entry point of a built app: runs the webpack bundle next to it (app.js) through V8's code cache
// (app.js.cache, written by `npm run build`), so a start skips most of parsing and compiling the
// 3 MB bundle (~0.1-0.15 s of the driver's start-up on this machine). A missing, stale or
// foreign cache (other Node version, other V8 flags) is simply not used.
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const vm = require('node:vm');

// V8 flags must be set before the bundle is compiled: the cache is only valid for the flags it
// was made with. Filled in per app by scripts/build/code-cache.mjs.
for (const flag of /* V8_FLAGS */ []) setFlagsFromString(flag);

const bundle = join(__dirname, 'app.js');
const cacheFile = `${bundle}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), {
  filename: bundle,
  cachedData,
  importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (process.env.SPIFFE_CSI_WRITE_CODE_CACHE === '1') {
  // At exit every module body has run, so the cache holds their compiled code too.
  process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
}
const app = new Module(bundle, module);
app.filename = bundle;
app.paths = Module._nodeModulePaths(__dirname);
script.runInThisContext().call(app.exports, app.exports, Module.createRequire(bundle), app, bundle, __dirname);
