/* global module */
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

module.exports = (options, webpack) => ({
  ...options,
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
