import fc from 'fast-check';
import { readHttpConfig } from './bootstrap';
import { ConfigError, EnvReader, MAX_TIMER_MS } from './config';

/** A duration's text in whole milliseconds, seconds or days. */
const asText = (ms: number, unit: 'ms' | 's' | 'd'): string => `${ms / { ms: 1, s: 1_000, d: 86_400_000 }[unit]}${unit}`;

describe('durations a timer waits', () => {
  it('are kept up to 2^31 − 1 ms and refused above it, naming the variable (Node would fire a longer timer after 1 ms)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 * MAX_TIMER_MS }), fc.constantFrom('ms' as const, 's' as const, 'd' as const), (n, unit) => {
        const ms = unit === 'ms' ? n : unit === 's' ? (n % 5_000_000) * 1_000 : (n % 60) * 86_400_000;
        const env = new EnvReader({ POLL: asText(ms, unit) });
        const read = env.timer('POLL', '1s');
        if (ms <= MAX_TIMER_MS) {
          expect(read).toBe(ms);
          expect(() => env.assertValid()).not.toThrow();
        } else {
          expect(read).toBe(1_000);
          expect(() => env.assertValid()).toThrow(/POLL must be a duration between 0ms and 2147483647ms/);
        }
      }),
    );
  });

  it('refuse a duration under their minimum', () => {
    const env = new EnvReader({ BEAT: '10ms' });
    env.timer('BEAT', '1s', { min: 1_000 });
    expect(() => env.assertValid()).toThrow(/BEAT must be a duration between 1s and 2147483647ms \(got "10ms"\)/);
  });

  it('leave other durations unbounded (a stream kept 400 days is no timer)', () => {
    expect(new EnvReader({ AGE: '400d' }).duration('AGE', '7d')).toBe(400 * 86_400_000);
  });

  it('SHUTDOWN_TIMEOUT=30d fails the start, where it made every shutdown give up after 1 ms', () => {
    expect(() => readHttpConfig({ SHUTDOWN_TIMEOUT: '30d' })).toThrow(ConfigError);
    expect(() => readHttpConfig({ SHUTDOWN_TIMEOUT: '30d' })).toThrow(/SHUTDOWN_TIMEOUT/);
    expect(() => readHttpConfig({ HTTP_KEEP_ALIVE_TIMEOUT: '25d', HTTP_CONNECTION_TIMEOUT: '25d' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT[\s\S]*HTTP_CONNECTION_TIMEOUT/);
    expect(readHttpConfig({ SHUTDOWN_TIMEOUT: '24d' }).shutdownTimeoutMs).toBe(24 * 86_400_000);
  });
});
