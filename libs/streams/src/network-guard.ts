import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { Destination } from '@audit/contracts';

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
  // IPv4-compatible addresses (deprecated, RFC 4291), `::` and `::1` among them: `http://[::127.0.0.1]/` is `[::7f00:1]`.
  ['::', 96],
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

/**
 * Names that mean this machine whatever DNS answers (RFC 6761): `localhost` and every name under it, in any
 * case, with or without the trailing dot of a fully qualified name (`localhost.` and `LOCALHOST` are the same
 * host; the resolver may not answer for them, so a check that only resolved let them through).
 */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The host a destination connects to, and the field that names it (none for a provider's own public endpoint). */
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
  if (isLocalhostName(host)) throw new InternalAddressError(target.field, host);
  const addresses = isIP(host) ? [host] : await lookup(host, { all: true, verbatim: true }).then((found) => found.map((a) => a.address), () => []);
  if (addresses.some(isInternalAddress)) throw new InternalAddressError(target.field, host);
}

/** Resolves a name to all its addresses (the system resolver by default; a test names its own). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * A `lookup` for the sockets of a destination (net, tls, http(s) agents): it resolves the name, refuses it
 * when any address is internal, and hands the socket the very addresses it checked. The check and the
 * connection so see the same answer: checking a name and then letting the socket resolve it again left a
 * gap in which a name with a short TTL could be re-pointed at an internal address (DNS rebinding).
 * An IP literal never reaches a lookup; {@link assertPublicLiteral} covers those.
 */
export function pinnedLookup(field: string, allowPrivate: boolean, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    if (!allowPrivate && isLocalhostName(hostname)) return callback(new InternalAddressError(field, hostname), '', 0);
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    resolve(hostname).then(
      (found) => {
        const addresses = family === 4 || family === 6 ? found.filter((a) => a.family === family) : found;
        if (!allowPrivate && addresses.some((a) => isInternalAddress(a.address))) return callback(new InternalAddressError(field, hostname), '', 0);
        if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) return callback(null, addresses);
        return callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/**
 * Refuses an internal IP literal (which sockets connect to without a lookup) unless allowed. Checked before
 * each connection, so a stream saved while STREAMS_ALLOW_PRIVATE_NETWORKS was on stops when it is turned off.
 */
export function assertPublicLiteral(field: string, host: string, allowPrivate: boolean): void {
  const bare = host.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(bare) !== 0 && isInternalAddress(bare)) throw new InternalAddressError(field, bare);
}

/** How a sender's sockets reach its destination: the checking lookup, and the check of an IP literal before each connection. */
export interface Reach {
  lookup: LookupFunction;
  /** Throws {@link InternalAddressError} when the destination is an internal IP literal (and that is not allowed). */
  assertPublic(): void;
}

/** The {@link Reach} of a destination. */
export function reachOf(destination: Destination, allowPrivate: boolean, resolve?: Resolver): Reach {
  const target = destinationHost(destination);
  const field = target?.field ?? (destination.type === 'datadog' ? 'destination.site' : 'destination.region');
  return {
    lookup: pinnedLookup(field, allowPrivate, resolve),
    assertPublic: () => target && assertPublicLiteral(target.field, target.host, allowPrivate),
  };
}
