import { ConfigError } from '@audit/platform';
import { readPersistenceConfig } from './config';

describe('readPersistenceConfig: connection limits', () => {
  it('bounds short write-path statements, connecting and keepalive by default', () => {
    expect(readPersistenceConfig({})).toMatchObject({ queryTimeoutMs: 30_000, connectTimeoutMs: 5_000, keepAliveDelayMs: 10_000 });
  });

  it('reads each from its variable; 0 turns the statement limit off', () => {
    expect(readPersistenceConfig({ PG_QUERY_TIMEOUT_MS: '0', PG_CONNECT_TIMEOUT_MS: '2500', PG_KEEPALIVE_DELAY_MS: '60000' })).toMatchObject({
      queryTimeoutMs: 0,
      connectTimeoutMs: 2_500,
      keepAliveDelayMs: 60_000,
    });
  });

  it.each([
    ['PG_QUERY_TIMEOUT_MS', '30s'],
    ['PG_QUERY_TIMEOUT_MS', '-1'],
    ['PG_CONNECT_TIMEOUT_MS', '0'],
    ['PG_KEEPALIVE_DELAY_MS', '10'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => readPersistenceConfig({ [name]: value })).toThrow(name);
  });
});

describe('readPersistenceConfig: MIGRATE_ON_START', () => {
  it('migrates at start unless told not to, for Postgres and ClickHouse alike', () => {
    expect(readPersistenceConfig({}).migrateOnStart).toBe(true);
    expect(readPersistenceConfig({ MIGRATE_ON_START: 'true' }).migrateOnStart).toBe(true);
    expect(readPersistenceConfig({ MIGRATE_ON_START: 'false' }).migrateOnStart).toBe(false);
  });

  it('refuses at boot a value that is neither true nor false, naming the variable', () => {
    expect(() => readPersistenceConfig({ MIGRATE_ON_START: 'later' })).toThrow(ConfigError);
    expect(() => readPersistenceConfig({ MIGRATE_ON_START: 'later' })).toThrow('MIGRATE_ON_START must be true or false (got "later")');
  });
});
