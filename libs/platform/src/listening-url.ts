import type { AddressInfo } from 'node:net';

/**
 * The URL a client on this machine reaches a server at, from the address it is bound to (what
 * `server.address()` answers): the port the kernel chose when PORT=0, loopback for a wildcard address
 * (which is no address a client can connect to), IPv6 in brackets.
 */
export function listeningUrl(bound: AddressInfo | string | null): string {
  if (bound === null) throw new Error('the server is not listening');
  // A server on a Unix socket or a Windows pipe has a path, not a host and port.
  if (typeof bound === 'string') return `unix:${bound}`;
  const host = bound.address === '0.0.0.0' ? '127.0.0.1' : bound.address === '::' ? '::1' : bound.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
}
