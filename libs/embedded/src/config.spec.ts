import path from 'node:path';
import { readEmbeddedConfig } from './config';

describe('readEmbeddedConfig', () => {
  it('defaults to data under .data, the embedded ports and nats-server on the PATH, and starts nothing the environment names', () => {
    expect(readEmbeddedConfig({})).toEqual({
      dataDir: path.resolve('.data'),
      pgPort: 54329,
      natsPort: 4223,
      databaseUrl: undefined,
      natsUrl: undefined,
      authSecretFile: undefined,
      sealKeySet: false,
      natsServerBin: 'nats-server',
    });
    expect(readEmbeddedConfig({ SEAL_KEY_FILE: '/run/seal-key' }).sealKeySet).toBe(true);
    expect(readEmbeddedConfig({ SEAL_PRIVATE_KEY: 'PRIVATE+KEY+x+00000000+AA==' }).sealKeySet).toBe(true);
    expect(
      readEmbeddedConfig({ DATABASE_URL: 'postgres://db/audit', NATS_URL: 'nats://bus:4222', AUTH_SECRET_FILE: '/run/secret', NATS_SERVER_BIN: '/opt/nats-server', DATA_DIR: '/tmp/d' }),
    ).toMatchObject({ databaseUrl: 'postgres://db/audit', natsUrl: 'nats://bus:4222', authSecretFile: '/run/secret', natsServerBin: '/opt/nats-server', dataDir: '/tmp/d' });
  });

  it('refuses bad ports at once, naming each variable', () => {
    expect(() => readEmbeddedConfig({ EMBEDDED_PG_PORT: '0', EMBEDDED_NATS_PORT: 'x' })).toThrow(
      'invalid configuration:\n  - EMBEDDED_PG_PORT must be an integer between 1 and 65535 (got "0")\n  - EMBEDDED_NATS_PORT must be an integer between 1 and 65535 (got "x")',
    );
  });
});
