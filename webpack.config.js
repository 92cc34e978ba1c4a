/* global module, require */
const TerserPlugin = require('terser-webpack-plugin');
// Bundles each app with its node_modules into one main.js. Start-up was dominated by Node
// resolving, reading and compiling ~1,500 separate module files (stat/package.json lookups and
// per-file wrappers), which one file avoids.

// Loaded lazily by the apps, only for exec/auth-provider/proxy kubeconfigs: stays a real require.
const LAZY = ['@kubernetes/client-node'];

// Optional peers that Nest and terminus require() inside try/catch for features we do not use
// (other transports, ORM health checks). Left as plain requires, they fail at run time exactly
// as they do unbundled, instead of failing the build.
const OPTIONAL_PEERS = [
  /^@nestjs\/websockets(\/|$)/,
  /^@nestjs\/(typeorm|mongoose|sequelize)(\/|$)/,
  /^@mikro-orm\//,
  /^@fastify\/static$/,
  /^(kafkajs|mqtt|nats|ioredis|amqplib|amqp-connection-manager)$/,
  /^class-transformer\/storage$/,
];

const isExternal = (request) =>
  LAZY.includes(request) || OPTIONAL_PEERS.some((re) => re.test(request));

// Whitespace, comments and local names are most of the bundle's 6 MB: V8 scans all of it when the
// app starts and parses each module's function again when it first runs. Names of classes and
// functions are kept (Nest and the logs use them); no compression passes (slow, little gain).
const minimizer = new TerserPlugin({
  extractComments: false,
  terserOptions: { compress: false, mangle: true, keep_classnames: true, keep_fnames: true },
});

module.exports = (options, webpack) => ({
  ...options,
  optimization: { ...options.optimization, minimize: true, minimizer: [minimizer] },
  externals: [
    ({ request }, callback) =>
      request && isExternal(request) ? callback(null, `commonjs ${request}`) : callback(),
  ],
  plugins: [
    ...options.plugins,
    // terminus's checkPackages() does require(`${name}`) for optional indicators; give that
    // expression an empty context instead of bundling its own directory (.d.ts, .map files).
    new webpack.ContextReplacementPlugin(/@nestjs[\\/]terminus[\\/]dist[\\/]utils$/, /^$/),
  ],
});

// The Dockerfile ships exactly these (and what they depend on) as node_modules:
// scripts/build/runtime-deps.mjs reads this list.
module.exports.LAZY = LAZY;
