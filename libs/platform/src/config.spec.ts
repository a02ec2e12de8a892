import { ConfigError, EnvReader, parseDuration, readConfig, readLogLevel } from './config';

describe('configuration', () => {
  it('reads typed values with defaults', () => {
    const config = readConfig(
      (env) => ({ port: env.int('PORT', 3000), on: env.bool('ON', false), age: env.duration('AGE', '7d'), mode: env.oneOf('MODE', ['a', 'b'] as const, 'a') }),
      { PORT: '8080', ON: 'true', MODE: 'b' },
    );
    expect(config).toEqual({ port: 8080, on: true, age: 7 * 86_400_000, mode: 'b' });
  });

  it('names every bad variable at once', () => {
    let caught: unknown;
    try {
      readConfig((env) => [env.int('PORT', 3000, { max: 65535 }), env.bool('FLAG', false), env.url('NATS_URL', ['nats:']), env.duration('AGE', '1d')], {
        PORT: '70000',
        FLAG: 'maybe',
        NATS_URL: 'http://x',
        AGE: 'soon',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'FLAG', 'NATS_URL', 'AGE']) expect(problems).toContain(name);
    expect((caught as ConfigError).problems).toHaveLength(4);
  });

  it('treats empty values as unset', () => {
    expect(new EnvReader({ X: '  ' }).string('X', 'fallback')).toBe('fallback');
  });

  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('7')).toBeUndefined();
    expect(parseDuration('-1s')).toBeUndefined();
  });

  it('reads LOG_LEVEL as one of Nest\'s levels, `log` when unset or unknown', () => {
    expect(readLogLevel({ LOG_LEVEL: 'warn' })).toBe('warn');
    expect(readLogLevel({ LOG_LEVEL: 'verbose' })).toBe('verbose');
    expect(readLogLevel({})).toBe('log');
    expect(readLogLevel({ LOG_LEVEL: 'loud' })).toBe('log');
  });
});
