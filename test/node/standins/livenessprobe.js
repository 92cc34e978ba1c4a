'use strict';
// Stand-in for registry.k8s.io/sig-storage/livenessprobe, for the real-node tier where the upstream
// image cannot be pulled. Like upstream it serves HTTP GET /healthz on --health-port (all
// addresses; --http-endpoint=HOST:PORT overrides) and answers each request by calling the CSI
// driver's Identity.Probe over --csi-address with --probe-timeout:
//   200 "ok"  when Probe succeeds and `ready` is unset or true,
//   500       when Probe fails, times out, or reports ready=false.
const { createServer } = require('node:http');
const { parseFlags, durationMs, logger, csiIdentity, call } = require('./common');

const USAGE = 'usage: livenessprobe.js --csi-address=PATH [--probe-timeout=1s] [--health-port=9808|--http-endpoint=HOST:PORT] [-v=N]';
const flags = parseFlags(
  process.argv.slice(2),
  {
    'csi-address': '/run/csi/socket',
    'probe-timeout': '1s',
    'health-port': '9808',
    'http-endpoint': '',
    'metrics-address': '',
    'metrics-path': '/metrics',
    v: '0',
    logtostderr: true,
  },
  USAGE,
);
const log = logger('livenessprobe', flags.v);
const timeoutMs = durationMs(flags['probe-timeout']);
const identity = csiIdentity(flags['csi-address']);

async function healthz(res) {
  try {
    const probe = await call(identity, 'Probe', {}, timeoutMs);
    if (probe.ready && probe.ready.value === false) {
      log(1, 'driver responded but is not ready');
      res.writeHead(500).end('driver responded but is not ready');
      return;
    }
    log(5, 'health check succeeded');
    res.writeHead(200).end('ok');
  } catch (err) {
    log(0, `health check failed: ${err.message}`);
    res.writeHead(500).end(err.message);
  }
}

const endpoint = flags['http-endpoint'] || `:${flags['health-port']}`;
const at = endpoint.lastIndexOf(':');
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url.split('?')[0] === '/healthz') void healthz(res);
  else res.writeHead(404).end('not found');
});
server.listen(Number(endpoint.slice(at + 1)), endpoint.slice(0, at) || undefined, () =>
  log(0, `serving /healthz on ${endpoint}, probing ${flags['csi-address']}`),
);
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
