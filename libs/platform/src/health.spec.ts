import { HealthRegistry } from './health';

describe('HealthRegistry', () => {
  const failing = (): never => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
  };

  it('is not ready when any check fails', async () => {
    const health = new HealthRegistry();
    health.register('nats', () => undefined);
    health.register('postgres', failing);
    expect(await health.evaluate()).toEqual({
      ready: false,
      checks: { nats: { ok: true }, postgres: { ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:5432' } },
    });
  });

  it('stays ready when only a tolerated check fails, and still reports the failure and why it is tolerated', async () => {
    const health = new HealthRegistry();
    // Tolerated before it is registered: module init order must not matter.
    health.tolerate('postgres', 'ingest serves last known keys');
    health.register('nats', () => undefined);
    health.register('postgres', failing);
    expect(await health.evaluate()).toEqual({
      ready: true,
      checks: { nats: { ok: true }, postgres: { ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:5432', tolerated: 'ingest serves last known keys' } },
    });
    health.register('nats', () => 'disconnected');
    expect((await health.evaluate()).ready).toBe(false);
  });
});
