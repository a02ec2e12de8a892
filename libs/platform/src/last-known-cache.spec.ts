import fc from 'fast-check';
import { LastKnownCache, type LastKnownCacheOptions } from './last-known-cache';

class Unavailable extends Error {}

/** A value as the source hands it out: which key, and when it was read there. */
interface Versioned {
  key: string;
  readAt: number;
}

function setup(overrides: Partial<LastKnownCacheOptions<string, Versioned>> = {}) {
  let clock = 0;
  let up = true;
  let loads = 0;
  const options: LastKnownCacheOptions<string, Versioned> = {
    ttlMs: 1_000,
    maxStaleMs: 10_000,
    loadTimeoutMs: 1_000,
    retryAfterFailureMs: 500,
    maxEntries: 100,
    unavailable: (key) => new Unavailable(key),
    now: () => clock,
    ...overrides,
  };
  const cache = new LastKnownCache<string, Versioned>(options);
  const source = (key: string) => async (): Promise<Versioned> => {
    loads++;
    if (!up) throw new Error('ECONNREFUSED');
    return { key, readAt: clock };
  };
  return {
    cache,
    options,
    get: (key: string) => cache.get(key, source(key)),
    advance: (ms: number) => (clock += ms),
    setUp: (value: boolean) => (up = value),
    now: () => clock,
    loads: () => loads,
  };
}

type Step = { kind: 'advance'; ms: number } | { kind: 'source'; up: boolean } | { kind: 'get'; key: string };

const steps = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4_000 }) }),
    fc.record({ kind: fc.constant('source' as const), up: fc.boolean() }),
    fc.record({ kind: fc.constant('get' as const), key: fc.constantFrom('a', 'b') }),
  ),
  { maxLength: 60 },
);

describe('LastKnownCache: the staleness rule', () => {
  it('never serves a value older than maxStaleMs or older than one it served before, refuses only when nothing young enough was read, and is fresh again once the source is back', async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (script: Step[]) => {
        let clock = 0;
        let up = true;
        // The source's own record: when it last answered each key (a load that failed records nothing).
        const lastRead = new Map<string, number>();
        const cache = new LastKnownCache<string, Versioned>({
          ttlMs: 1_000,
          maxStaleMs: 3_000,
          loadTimeoutMs: 1_000,
          retryAfterFailureMs: 500,
          maxEntries: 100,
          unavailable: (key) => new Unavailable(key),
          now: () => clock,
        });
        const load = (key: string) => async (): Promise<Versioned> => {
          if (!up) throw new Error('ECONNREFUSED');
          lastRead.set(key, clock);
          return { key, readAt: clock };
        };
        const get = (key: string) =>
          cache.get(key, load(key)).then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          );
        const served = new Map<string, number>();
        let upSince = 0;
        for (const step of script) {
          if (step.kind === 'advance') clock += step.ms;
          else if (step.kind === 'source') {
            if (step.up && !up) upSince = clock;
            up = step.up;
          } else {
            const result = await get(step.key);
            await new Promise((resolve) => setImmediate(resolve)); // let a background probe settle
            const known = lastRead.get(step.key);
            if (result.ok) {
              expect(result.value.key).toBe(step.key);
              expect(clock - result.value.readAt).toBeLessThanOrEqual(3_000);
              expect(result.value.readAt).toBeGreaterThanOrEqual(served.get(step.key) ?? -Infinity);
              served.set(step.key, result.value.readAt);
            } else {
              expect(result.error).toBeInstanceOf(Unavailable);
              expect(known !== undefined && clock - known <= 3_000).toBe(false);
            }
            // Up for longer than the probe interval: one more lookup answers from a read within ttl.
            if (up && clock - upSince >= 500) {
              const again = await get(step.key);
              expect(again.ok && clock - again.value.readAt < 1_000).toBe(true);
              if (again.ok) served.set(step.key, again.value.readAt);
            }
          }
        }
      }),
      {
        numRuns: 1_000,
        // Read, source down, a failed read, source back: the next lookups must reach the source again.
        examples: [
          [
            [
              { kind: 'get', key: 'a' },
              { kind: 'source', up: false },
              { kind: 'get', key: 'b' },
              { kind: 'source', up: true },
              { kind: 'advance', ms: 1_000 },
              { kind: 'get', key: 'a' },
            ],
          ],
        ],
      },
    );
  });

  it('asks again after ttl and serves the fresh answer while the source is up', async () => {
    const t = setup();
    const first = await t.get('a');
    t.advance(999);
    expect(await t.get('a')).toBe(first);
    t.advance(1);
    const second = await t.get('a');
    expect(second.readAt).toBe(1_000);
    expect(t.loads()).toBe(2);
  });

  it('serves the last known value while the source is down, up to maxStaleMs after it was read, then refuses', async () => {
    const t = setup();
    await t.get('a');
    t.setUp(false);
    t.advance(10_000);
    expect((await t.get('a')).readAt).toBe(0);
    t.advance(1);
    await expect(t.get('a')).rejects.toBeInstanceOf(Unavailable);
    // A key never read cannot be answered at all while the source is down.
    await expect(t.get('b')).rejects.toBeInstanceOf(Unavailable);
  });

  it('does not ask a source that failed moments ago: each request is answered at once', async () => {
    const t = setup();
    await t.get('a');
    t.setUp(false);
    t.advance(2_000);
    await t.get('a');
    const loads = t.loads();
    t.advance(499);
    await t.get('a');
    await expect(t.get('b')).rejects.toBeInstanceOf(Unavailable);
    expect(t.loads()).toBe(loads);
    t.advance(1);
    await t.get('a');
    expect(t.loads()).toBe(loads + 1);
  });

  it('counts a load that hangs past loadTimeoutMs as failed and serves the last known value', async () => {
    let clock = 0;
    const cache = new LastKnownCache<string, number>({
      ttlMs: 10,
      maxStaleMs: 60_000,
      loadTimeoutMs: 50,
      retryAfterFailureMs: 0,
      maxEntries: 10,
      unavailable: (key) => new Unavailable(key),
      now: () => clock,
    });
    expect(await cache.get('a', async () => 1)).toBe(1);
    clock = 100;
    const hanging = new Promise<number>(() => undefined);
    expect(await cache.get('a', () => hanging)).toBe(1);
    await expect(cache.get('b', () => hanging)).rejects.toBeInstanceOf(Unavailable);
  });

  it('once the source has failed, answers from what it knows without waiting for the probe', async () => {
    let clock = 0;
    const cache = new LastKnownCache<string, number>({
      ttlMs: 10,
      maxStaleMs: 60_000,
      loadTimeoutMs: 3_600_000, // a probe that hangs would hold the caller for an hour
      retryAfterFailureMs: 100,
      maxEntries: 10,
      unavailable: (key) => new Unavailable(key),
      now: () => clock,
    });
    await cache.get('a', async () => 1);
    clock = 20;
    expect(await cache.get('a', () => Promise.reject(new Error('ECONNREFUSED')))).toBe(1);
    clock = 200;
    let probed = 0;
    const hanging = (): Promise<number> => {
      probed++;
      return new Promise<number>(() => undefined);
    };
    expect(await cache.get('a', hanging)).toBe(1);
    expect(probed).toBe(1);
  });

  it('shares one load between concurrent callers of a key', async () => {
    const cache = new LastKnownCache<string, number>({
      ttlMs: 1_000,
      maxStaleMs: 0,
      loadTimeoutMs: 1_000,
      retryAfterFailureMs: 0,
      maxEntries: 10,
      unavailable: (key) => new Unavailable(key),
    });
    let loads = 0;
    let release: (value: number) => void = () => undefined;
    const load = (): Promise<number> => {
      loads++;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const answers = Promise.all([cache.get('a', load), cache.get('a', load), cache.get('a', load)]);
    release(7);
    expect(await answers).toEqual([7, 7, 7]);
    expect(loads).toBe(1);
  });

  it('keeps at most maxEntries, dropping the least recently loaded', async () => {
    const t = setup({ maxEntries: 2 });
    await t.get('a');
    await t.get('b');
    await t.get('c');
    expect(t.cache.size).toBe(2);
    t.setUp(false);
    t.advance(5_000);
    await expect(t.get('a')).rejects.toBeInstanceOf(Unavailable);
    expect((await t.get('c')).key).toBe('c');
  });

  it('returns a value it does not keep, forgets the older one, and never serves it stale', async () => {
    let clock = 0;
    let answer: number | null = 1;
    let up = true;
    const cache = new LastKnownCache<string, number | null>({
      ttlMs: 10,
      maxStaleMs: 60_000,
      loadTimeoutMs: 1_000,
      retryAfterFailureMs: 0,
      maxEntries: 1,
      keep: (value) => value !== null,
      unavailable: (key) => new Unavailable(key),
      now: () => clock,
    });
    const load = async (): Promise<number | null> => {
      if (!up) throw new Error('down');
      return answer;
    };
    expect(await cache.get('a', load)).toBe(1);
    // "Gone" (a revoked key) is answered, and the old value is not served stale afterwards.
    answer = null;
    clock = 20;
    expect(await cache.get('a', load)).toBeNull();
    up = false;
    clock = 40;
    await expect(cache.get('a', load)).rejects.toBeInstanceOf(Unavailable);
    // Values not kept take no room: they never evict one that is.
    up = true;
    answer = 2;
    expect(await cache.get('b', load)).toBe(2);
    answer = null;
    expect(await cache.get('c', load)).toBeNull();
    up = false;
    clock = 100;
    expect(await cache.get('b', load)).toBe(2);
  });
});
