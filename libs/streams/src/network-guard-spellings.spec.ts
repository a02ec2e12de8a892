import type { LookupAddress } from 'node:dns';
import fc from 'fast-check';
import type { Destination } from '@audit/contracts';
import { assertPublicDestination, InternalAddressError, pinnedLookup } from './network-guard';

/** `localhost` in any case, under any labels, with or without a fully qualified name's trailing dot. */
const localhostName = fc
  .tuple(fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { maxLength: 2 }), fc.constantFrom('localhost', 'LOCALHOST', 'LocalHost', 'localHOST'), fc.boolean())
  .map(([labels, name, dot]) => `${[...labels, name].join('.')}${dot ? '.' : ''}`);

/** An internal IPv4 address as four octets. */
const internalV4 = fc.oneof(
  fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
);

/** The spellings a URL host may give one IPv4 address: dotted, one number, hex or octal octets, the short `a.b` form, mapped or compatible IPv6. */
const urlSpellings = ([a, b, c, d]: [number, number, number, number]): string[] => {
  const n = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  const hex = (x: number): string => x.toString(16).padStart(4, '0');
  return [
    `${a}.${b}.${c}.${d}`,
    `${n}`,
    `0x${n.toString(16)}`,
    [a, b, c, d].map((x) => `0x${x.toString(16)}`).join('.'),
    [a, b, c, d].map((x) => `0${x.toString(8)}`).join('.'),
    `${a}.${(b << 16) | (c << 8) | d}`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::ffff:${hex((a << 8) | b)}:${hex((c << 8) | d)}]`,
    `[::${a}.${b}.${c}.${d}]`,
  ];
};

const refusal = (destination: Destination, allow = false): Promise<unknown> => assertPublicDestination(destination, allow).then(() => undefined, (error: unknown) => error);

describe('the network guard at save time: every spelling of an internal host', () => {
  it('refuses localhost under any case, label and trailing dot, naming the field, and lets it through when private networks are allowed', async () => {
    await fc.assert(
      fc.asyncProperty(localhostName, async (host) => {
        const webhook = await refusal({ type: 'webhook', url: `https://${host}:8443/hook` } as Destination);
        expect(webhook).toBeInstanceOf(InternalAddressError);
        expect((webhook as InternalAddressError).field).toBe('destination.url');
        const syslog = await refusal({ type: 'syslog', host, port: 514, tls: false } as Destination);
        expect((syslog as InternalAddressError).field).toBe('destination.host');
        expect(await refusal({ type: 'webhook', url: `https://${host}/hook` } as Destination, true)).toBeUndefined();
      }),
    );
  });

  it('refuses every URL spelling of a loopback or private IPv4 address, naming the field', async () => {
    await fc.assert(
      fc.asyncProperty(internalV4, fc.constantFrom('webhook', 's3'), async (octets, type) => {
        for (const host of urlSpellings(octets)) {
          const url = `http://${host}:9000/x`;
          const destination = (type === 'webhook' ? { type, url } : { type, bucket: 'b', prefix: '', region: 'us-east-1', endpoint: url, forcePathStyle: true, sliceSeconds: 60, maxEvents: 10 }) as Destination;
          const error = await refusal(destination);
          expect(error).toBeInstanceOf(InternalAddressError);
          expect((error as InternalAddressError).field).toBe(type === 'webhook' ? 'destination.url' : 'destination.endpoint');
        }
      }),
    );
  });
});

describe('the network guard at delivery time', () => {
  it('refuses a localhost name before resolving it, whatever the resolver answers', async () => {
    const publicAnswer = async (): Promise<LookupAddress[]> => [{ address: '93.184.216.34', family: 4 }];
    await fc.assert(
      fc.asyncProperty(localhostName, async (host) => {
        const error = await new Promise<unknown>((resolve) => pinnedLookup('destination.url', false, publicAnswer)(host, { all: true }, (e) => resolve(e)));
        expect(error).toBeInstanceOf(InternalAddressError);
      }),
    );
  });
});
