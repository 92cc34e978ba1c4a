import type { AddressInfo } from 'node:net';

export class BindAddressError extends Error {
  constructor(address: string, reason: string) {
    super(`invalid bind address "${address}": ${reason}`);
    this.name = 'BindAddressError';
  }
}

/** A listen target; `host` undefined means every interface (IPv4 and IPv6). */
export interface BindAddress {
  host: string | undefined;
  port: number;
}

/** What a server actually bound to (port 0 resolved to the ephemeral port). */
export interface BoundAddress {
  host: string;
  port: number;
}

/**
 * Parses Go-style "host:port" listen addresses as the original flags accept them:
 * ":6060" (all interfaces), "0.0.0.0:6060", "127.0.0.1:0" (ephemeral), "[::1]:6060", "localhost:9402".
 */
export function parseBindAddress(address: string): BindAddress {
  if (typeof address !== 'string' || address.length === 0 || address.length > 300) {
    throw new BindAddressError(String(address).slice(0, 300), 'expected host:port');
  }
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0 || address[close + 1] !== ':') {
      throw new BindAddressError(address, 'IPv6 hosts are written [addr]:port');
    }
    host = address.slice(1, close);
    portText = address.slice(close + 2);
    if (!host.includes(':'))
      throw new BindAddressError(address, 'brackets are only for IPv6 hosts');
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0)
      throw new BindAddressError(address, 'missing port (use ":<port>" for all interfaces)');
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(':')) throw new BindAddressError(address, 'IPv6 hosts must be in brackets');
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new BindAddressError(address, 'port must be a number from 0 to 65535');
  }
  if (host !== '' && !/^[A-Za-z0-9.\-:%]+$/.test(host)) {
    throw new BindAddressError(address, 'host contains invalid characters');
  }
  return { host: host === '' ? undefined : host, port: Number(portText) };
}

export function toBoundAddress(info: AddressInfo | string | null): BoundAddress {
  if (info === null || typeof info === 'string') {
    throw new Error('server is not listening on a TCP address');
  }
  return { host: info.address, port: info.port };
}

/** "127.0.0.1:6060" or "[::]:6060", for logs. */
export function formatBoundAddress(a: BoundAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
