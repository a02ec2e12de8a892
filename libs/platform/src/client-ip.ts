import { isIP } from 'node:net';

/** The client's address as the event contract accepts it: IPv4-mapped IPv6 shown as the IPv4 it is, junk as null. */
export function clientIp(raw: string | undefined): string | null {
  if (!raw) return null;
  const ip = raw.startsWith('::ffff:') && isIP(raw.slice(7)) === 4 ? raw.slice(7) : raw;
  return isIP(ip) ? ip : null;
}
