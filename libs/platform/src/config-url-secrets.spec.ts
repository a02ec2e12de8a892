import fc from 'fast-check';
import { ConfigError, EnvReader, withoutCredentials } from './config';

/** A password or token as people write them into a URL, percent-encoded or not. */
const secret = fc.stringMatching(/^[A-Za-z0-9@:/?#%&=+!$*._~-]{8,24}$/).map((s) => `Z${s}Q`);

describe('a URL variable refused at start', () => {
  it('is named, and shown without its password or query (the problem is logged), however it is written', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('mysql', 'http', 'ftp', ''),
        fc.stringMatching(/^[a-z]{1,8}$/),
        secret,
        fc.constantFrom('db.internal:5432/audit', 'h:99999/x', 'nats-0.nats'),
        fc.boolean(),
        (scheme, user, password, rest, inQuery) => {
          const value = inQuery ? `${scheme}${scheme ? '://' : ''}${rest}?token=${password}` : `${scheme}${scheme ? '://' : ''}${user}:${password}@${rest}`;
          const env = new EnvReader({ DATABASE_URL: value });
          expect(env.url('DATABASE_URL', ['postgres:', 'postgresql:'])).toBeUndefined();
          let problems: readonly string[] = [];
          try {
            env.assertValid();
          } catch (error) {
            problems = (error as ConfigError).problems;
          }
          expect(problems).toHaveLength(1);
          expect(problems[0]).toMatch(/^DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\//);
          expect(problems[0]).not.toContain(password);
        },
      ),
    );
  });

  it('keeps what helps to see the mistake: the scheme, host and path', () => {
    expect(withoutCredentials('mysql://app:hunter2@db.internal:5432/audit')).toBe('mysql://…@db.internal:5432/audit');
    expect(withoutCredentials('https://hooks.example.com/in?token=abc#x')).toBe('https://hooks.example.com/in?…');
    expect(withoutCredentials('app:p@ss@nats-0:4222')).toBe('…@nats-0:4222');
    expect(withoutCredentials('db.internal:5432')).toBe('db.internal:5432');
    expect(new EnvReader({ U: 'postgres://app:pw@h:99999/db' }).url('U', ['postgres:'])).toBeUndefined();
  });

  it('says when the value does not parse at all', () => {
    const env = new EnvReader({ DATABASE_URL: 'postgres://app:pw@h:99999/db' });
    env.url('DATABASE_URL', ['postgres:']);
    expect(() => env.assertValid()).toThrow('DATABASE_URL must be a URL starting with postgres:// (got "postgres://…@h:99999/db", which does not parse as a URL)');
  });
});
