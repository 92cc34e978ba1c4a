'use strict';
// Shared by the sidecar stand-ins (registrar.js, livenessprobe.js): Go-style flag parsing and a CSI
// Identity client over the unix socket. Test code for the real-node tier, not product: the chart's
// defaults stay the upstream sidecar images; scripts/real-node/image.sh builds these into images.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const LOADER = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

/**
 * Parses argv the way Go's flag package does (`-name=value`, `--name=value`, `--name value`,
 * bare booleans). Unknown flags fail, as they do upstream: the chart must not pass flags the
 * real sidecar would reject. `spec` maps flag name -> default (a boolean default = bool flag).
 */
function parseFlags(argv, spec, usage) {
  const values = { ...spec };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(argv[i]);
    if (!m || !(m[1] in spec)) {
      console.error(`unknown flag or argument: ${argv[i]}\n${usage}`);
      process.exit(2);
    }
    const [, name, inline] = m;
    if (typeof spec[name] === 'boolean') values[name] = inline === undefined ? true : inline !== 'false';
    else if (inline !== undefined) values[name] = inline;
    else if (i + 1 < argv.length) values[name] = argv[++i];
    else {
      console.error(`flag needs a value: ${argv[i]}\n${usage}`);
      process.exit(2);
    }
  }
  return values;
}

/** Go durations as the sidecars take them ("3s", "500ms", "1m30s") -> milliseconds. */
function durationMs(text) {
  const units = { ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  const rest = String(text).replace(/(\d+(?:\.\d+)?)(ms|s|m|h)/g, (_, n, u) => {
    total += Number(n) * units[u];
    return '';
  });
  if (rest !== '' || text === '') throw new Error(`invalid duration: ${text}`);
  return total;
}

/** klog-style verbosity gate: log(level, ...) prints when -v >= level. */
function logger(name, verbosity) {
  return (level, ...args) => {
    if (Number(verbosity) >= level) console.error(new Date().toISOString(), `${name}:`, ...args);
  };
}

/** A csi.v1.Identity client for unix:// or a bare socket path. */
function csiIdentity(address) {
  // Next to this file in the image; the repository's proto/ in a checkout.
  const proto = [join(__dirname, 'csi.proto'), join(__dirname, '../../../proto/csi.proto')].find((p) => existsSync(p));
  const def = protoLoader.loadSync(proto, LOADER);
  const csi = grpc.loadPackageDefinition(def).csi.v1;
  const target = address.startsWith('unix:') ? address : `unix://${address}`;
  return new csi.Identity(target, grpc.credentials.createInsecure());
}

/** Promise for a unary call with a deadline. */
function call(client, method, request, timeoutMs) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { grpc, protoLoader, LOADER, parseFlags, durationMs, logger, csiIdentity, call, sleep };
