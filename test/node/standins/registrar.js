'use strict';
// Stand-in for registry.k8s.io/sig-storage/csi-node-driver-registrar (registration mode), for the
// real-node tier where the upstream image cannot be pulled. Like upstream it:
//   1. asks the CSI driver for its name (Identity.GetPluginInfo over --csi-address, retrying until
//      the driver is up),
//   2. serves kubelet's plugin-registration API (pluginregistration.Registration, v1) on
//      <--plugin-registration-path>/<driver-name>-reg.sock, which kubelet's plugin watcher finds
//      in /var/lib/kubelet/plugins_registry (mounted at /registration by the chart),
//   3. answers GetInfo with type CSIPlugin, the driver name, endpoint = --kubelet-registration-path
//      (the CSI socket as kubelet sees it on the host) and supported_versions ["1.0.0"],
//   4. exits non-zero when kubelet reports the registration failed (so the container restarts).
// Optional /healthz on --http-endpoint or --health-port (200 while the registration socket exists).
const { existsSync, rmSync, mkdirSync } = require('node:fs');
const { createServer } = require('node:http');
const { join } = require('node:path');
const { grpc, protoLoader, LOADER, parseFlags, durationMs, logger, csiIdentity, call, sleep } = require('./common');

const USAGE = 'usage: registrar.js --csi-address=PATH --kubelet-registration-path=PATH [--plugin-registration-path=/registration] [--timeout=1s] [--health-port=0|--http-endpoint=:PORT] [-v=N]';
const flags = parseFlags(
  process.argv.slice(2),
  {
    'csi-address': '/run/csi/socket',
    'kubelet-registration-path': '',
    'plugin-registration-path': '/registration',
    timeout: '1s',
    'health-port': '0',
    'http-endpoint': '',
    mode: 'registration',
    v: '0',
    logtostderr: true,
  },
  USAGE,
);
const log = logger('registrar', flags.v);

async function driverName() {
  const identity = csiIdentity(flags['csi-address']);
  for (let attempt = 1; ; attempt++) {
    try {
      const info = await call(identity, 'GetPluginInfo', {}, durationMs(flags.timeout));
      identity.close();
      return info.name;
    } catch (err) {
      log(attempt === 1 ? 0 : 2, `waiting for the CSI driver at ${flags['csi-address']}: ${err.message}`);
      await sleep(1000);
    }
  }
}

function serveHealth(socketPath) {
  const endpoint = flags['http-endpoint'] || (flags['health-port'] !== '0' ? `:${flags['health-port']}` : '');
  if (!endpoint) return;
  const at = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, at) || undefined;
  createServer((req, res) => {
    const ok = req.url === '/healthz' && existsSync(socketPath);
    res.writeHead(ok ? 200 : 404).end(ok ? 'ok' : 'registration socket missing');
  }).listen(Number(endpoint.slice(at + 1)), host);
}

async function main() {
  if (flags.mode !== 'registration') throw new Error(`only --mode=registration is supported, not ${flags.mode}`);
  if (!flags['kubelet-registration-path']) throw new Error(`--kubelet-registration-path is required\n${USAGE}`);
  const name = await driverName();
  log(0, `CSI driver name: ${name}`);

  const def = protoLoader.loadSync(join(__dirname, 'pluginregistration.proto'), LOADER);
  const { Registration } = grpc.loadPackageDefinition(def).pluginregistration;
  const server = new grpc.Server();
  server.addService(Registration.service, {
    GetInfo(_call, done) {
      log(1, 'kubelet called GetInfo');
      done(null, {
        type: 'CSIPlugin',
        name,
        endpoint: flags['kubelet-registration-path'],
        supported_versions: ['1.0.0'],
      });
    },
    NotifyRegistrationStatus({ request }, done) {
      done(null, {});
      if (request.plugin_registered) {
        log(0, `registered with kubelet as ${name}`);
      } else {
        console.error(`registration failed: ${request.error}`);
        setTimeout(() => process.exit(1), 100);
      }
    },
  });

  mkdirSync(flags['plugin-registration-path'], { recursive: true });
  const socketPath = join(flags['plugin-registration-path'], `${name}-reg.sock`);
  rmSync(socketPath, { force: true });
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  log(0, `serving plugin registration on ${socketPath}`);
  serveHealth(socketPath);

  // Upstream removes its socket on SIGTERM so kubelet deregisters the plugin.
  const stop = () => {
    rmSync(socketPath, { force: true });
    server.forceShutdown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(`registrar: ${err.message}`);
  process.exit(1);
});
