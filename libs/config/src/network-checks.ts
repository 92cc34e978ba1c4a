// Addresses the apps listen on. Parsers return a structured value; *Problem() wrappers give the
// reason text that validation reports.

export interface HostPort {
  host: string; // '' = all interfaces
  port: number;
}

export type CsiEndpoint =
  { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

const HOSTNAME = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;
// sockaddr_un.sun_path is 108 bytes including the terminating NUL.
const MAX_UNIX_SOCKET_PATH_BYTES = 107;

/** `host:port`, `:port` or `[ipv6]:port` as Go's net.Listen accepts them. Throws Error with a reason. */
export function parseHostPort(
  value: string,
  { allowEmptyHost }: { allowEmptyHost: boolean },
): HostPort {
  const fail = (why: string): never => {
    throw new Error(why);
  };
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') fail('IPv6 address must be written as [addr]:port');
    host = value.slice(1, close);
    portText = value.slice(close + 2);
    if (!IPV6_CHARS.test(host)) fail(`"${host}" is not an IPv6 address`);
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) fail('must be host:port or :port');
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(':')) fail('IPv6 address must be written as [addr]:port');
    if (host === '' && !allowEmptyHost) fail('host must not be empty');
    if (host !== '' && !HOSTNAME.test(host))
      fail(`"${host}" is not a valid host name or IPv4 address`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    fail(`port "${portText}" must be a number 0-65535`);
  return { host, port: Number(portText) };
}

export function bindAddressProblem(value: string): string | null {
  return problemOf(() => parseHostPort(value, { allowEmptyHost: true }));
}

/** The CSI gRPC endpoint: `unix:///absolute/path.sock` or `tcp://host:port`. Throws Error with a reason. */
export function parseCsiEndpoint(value: string): CsiEndpoint {
  const usage = 'must be unix:///absolute/path or tcp://host:port';
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (!path.startsWith('/'))
      throw new Error(`${usage} (unix socket path must be absolute, e.g. unix:///csi/csi.sock)`);
    if (path.includes('\0')) throw new Error('unix socket path must not contain NUL');
    if (Buffer.byteLength(path, 'utf8') > MAX_UNIX_SOCKET_PATH_BYTES) {
      throw new Error(`unix socket path must be at most ${MAX_UNIX_SOCKET_PATH_BYTES} bytes`);
    }
    return { kind: 'unix', path };
  }
  if (value.startsWith('tcp://')) {
    const hostPort = parseHostPort(value.slice('tcp://'.length), { allowEmptyHost: false });
    if (hostPort.port === 0) throw new Error('tcp port must be 1-65535');
    return { kind: 'tcp', ...hostPort };
  }
  throw new Error(usage);
}

export function csiEndpointProblem(value: string): string | null {
  return problemOf(() => parseCsiEndpoint(value));
}

function problemOf(parse: () => unknown): string | null {
  try {
    parse();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
