import { ConfigError } from '@audit/platform';
import { readPersistenceConfig } from './config';

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
