import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Destination } from './model';

/**
 * Addresses a destination may not reach unless the operator allows it (STREAMS_ALLOW_PRIVATE_NETWORKS):
 * loopback, private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, unspecified,
 * multicast and their IPv6 counterparts, so an administrator cannot turn a stream into a probe of the
 * platform's own network (server-side request forgery).
 */
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address (v4, v6, or v4 mapped into v6) is internal. */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return INTERNAL.check(mapped[1], 'ipv4');
  const family = isIP(bare);
  if (family === 4) return INTERNAL.check(bare, 'ipv4');
  if (family === 6) return INTERNAL.check(bare, 'ipv6');
  return true;
}

/** The host a destination connects to, and the field that names it. */
export function destinationHost(destination: Destination): { field: string; host: string } | undefined {
  switch (destination.type) {
    case 'webhook':
    case 'splunk':
      return { field: 'destination.url', host: new URL(destination.url).hostname };
    case 'datadog':
      return destination.url ? { field: 'destination.url', host: new URL(destination.url).hostname } : undefined;
    case 's3':
      return destination.endpoint ? { field: 'destination.endpoint', host: new URL(destination.endpoint).hostname } : undefined;
    case 'syslog':
      return { field: 'destination.host', host: destination.host };
  }
}

export class InternalAddressError extends Error {
  constructor(readonly field: string, host: string) {
    super(`${host} resolves to an internal address; destinations may not reach the platform's own network unless STREAMS_ALLOW_PRIVATE_NETWORKS=true`);
    this.name = 'InternalAddressError';
  }
}

/**
 * Resolves the destination's host and refuses it when any address is internal. Checked when a stream is
 * saved and again before each delivery (a name may be re-pointed after it was saved). A name that does not
 * resolve passes here: it fails at delivery like any unreachable receiver, and is retried.
 */
export async function assertPublicDestination(destination: Destination, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const target = destinationHost(destination);
  if (!target) return;
  const host = target.host.replace(/^\[|\]$/g, '');
  if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) throw new InternalAddressError(target.field, host);
  const addresses = isIP(host) ? [host] : await lookup(host, { all: true, verbatim: true }).then((found) => found.map((a) => a.address), () => []);
  if (addresses.some(isInternalAddress)) throw new InternalAddressError(target.field, host);
}
