import { Controller, Get, Logger, Module, Req, type INestApplication } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { TokenPrincipal } from '@audit/auth';
import { MessagingModule, STREAMS } from '@audit/messaging';
import { AppError, createHttpApp, PlatformModule } from '@audit/platform';
import { connectTestBus, readStream, startTestNats, waitFor, type TestBus, type TestNats } from '@audit/testing';
import { ReadAuditModule } from './read-audit';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const ADMIN: TokenPrincipal = { organizationId: 'org-mw', role: 'admin', userId: 'ada' };

// Routes that do what AdminGuard does for a real one (set the principal), then answer, fail or stay anonymous.
@Controller('t')
class ReadsController {
  @Get('ok')
  ok(@Req() req: FastifyRequest & { tokenPrincipal?: TokenPrincipal }): { ok: boolean } {
    req.tokenPrincipal = ADMIN;
    return { ok: true };
  }

  @Get('missing')
  missing(@Req() req: FastifyRequest & { tokenPrincipal?: TokenPrincipal }): never {
    req.tokenPrincipal = ADMIN;
    throw new AppError('NOT_FOUND', 'nothing here');
  }

  @Get('anonymous')
  anonymous(): { ok: boolean } {
    return { ok: true };
  }
}

// The user directory's path: an auxiliary read, which records nothing.
@Controller('v1')
class UsersController {
  @Get('users')
  users(@Req() req: FastifyRequest & { tokenPrincipal?: TokenPrincipal }): { items: unknown[] } {
    req.tokenPrincipal = ADMIN;
    return { items: [] };
  }
}

// Two feature modules that each import ReadAuditModule (as the query, exporter and retention APIs do in
// the standalone process): Nest keeps one instance, so each read is still recorded once.
@Module({ imports: [ReadAuditModule] })
class FirstFeatureModule {}
@Module({ imports: [ReadAuditModule] })
class SecondFeatureModule {}

@Module({ imports: [PlatformModule, MessagingModule, FirstFeatureModule, SecondFeatureModule], controllers: [ReadsController, UsersController] })
class ReadsAppModule {}

describe('ReadAuditModule (a Nest app over real NATS JetStream)', () => {
  let nats: TestNats;
  let bus: TestBus;
  let app: INestApplication;
  let closed = false;

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    Object.assign(process.env, { NATS_URL: nats.url, LOG_LEVEL: 'error' });
    app = await createHttpApp(ReadsAppModule, 'reads-test', { port: 0, host: '127.0.0.1', bodyLimitBytes: 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    if (!closed) await app?.close();
    await bus?.close();
    await nats?.destroy();
  });

  it('serves no read it cannot record: 503 BUS_UNAVAILABLE instead of the data while the bus is down', async () => {
    const base = await app.getUrl();
    await nats.stop();
    try {
      const refused = await fetch(`${base}/t/ok?secret=1`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      const body = (await refused.json()) as { error: { code: string; message: string }; ok?: unknown };
      expect(body.error.code).toBe('BUS_UNAVAILABLE');
      expect(body.error.message).toMatch(/could not be recorded/);
      expect(body.ok).toBeUndefined();
      // What holds no audit data for an administrator is still served.
      expect((await fetch(`${base}/t/anonymous`)).status).toBe(200);
    } finally {
      await nats.start();
    }
    await waitFor('the bus back', async () => ((await fetch(`${base}/t/ok`)).status === 200 ? true : undefined), 30_000, 200);
    await bus.close();
    bus = await connectTestBus(nats.url);
    await bus.jsm.streams.purge(STREAMS.events);
  });

  it('records a view once, however often it is read, and the two replicas serving it agree on that one event', async () => {
    const base = await app.getUrl();
    // A second replica of the service: its own process state (coalescer, recorder), the same bus.
    const replica = await createHttpApp(ReadsAppModule, 'reads-replica', { port: 0, host: '127.0.0.1', bodyLimitBytes: 1024 * 1024 });
    await replica.listen(0, '127.0.0.1');
    try {
      const other = await replica.getUrl();
      const statuses = [
        // One view read page after page, on both replicas, some of it concurrently.
        ...(await Promise.all([1, 2, 3].map((p) => fetch(`${base}/t/ok?pageName=Orders&limit=5&cursor=c${p}`)))),
        await fetch(`${other}/t/ok?limit=50&pageName=Orders`),
        // Another view, and an auxiliary read.
        await fetch(`${other}/t/ok?pageName=Refunds`),
        await fetch(`${base}/v1/users?q=`),
      ].map((r) => r.status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    } finally {
      await replica.close();
    }
    const views = (await readStream(bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as { id: string; metadata: { filters: { pageName: string } } });
    expect(views.map((v) => v.metadata.filters.pageName).sort()).toEqual(['Orders', 'Refunds']);
    await bus.jsm.streams.purge(STREAMS.events);
  });

  it('serves and records a read whose query holds a NUL (in a name or a value), the NUL recorded as U+FFFD', async () => {
    const base = await app.getUrl();
    // An endpoint that takes no parameters answers whatever the query holds; its record must still be storable.
    const answer = await fetch(`${base}/t/ok?note=a%00b&x%00y=1&pageName=Nul`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
    const views = (await readStream(bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as { metadata: { filters: Record<string, unknown> } });
    expect(views.map((v) => v.metadata.filters)).toEqual([{ note: 'a\ufffdb', 'x\ufffdy': '1', pageName: 'Nul' }]);
    await bus.jsm.streams.purge(STREAMS.events);
  });

  it("records a successful GET as the administrator's PAGE_VIEW, and nothing for a failed, anonymous or HEAD request", async () => {
    const base = await app.getUrl();
    expect((await fetch(`${base}/t/ok?limit=5&actionType=LOGIN`)).status).toBe(200);
    expect((await fetch(`${base}/t/missing`)).status).toBe(404);
    expect((await fetch(`${base}/t/anonymous`)).status).toBe(200);
    expect((await fetch(`${base}/t/ok`, { method: 'HEAD' })).status).toBe(200);
    // Closing publishes what is still queued, before the bus connection drains.
    await app.close();
    closed = true;
    const views = (await readStream(bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as Record<string, unknown>);
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({
      organizationId: 'org-mw',
      actionType: 'PAGE_VIEW',
      userId: 'ada',
      pageName: 'audit',
      ipAddress: '127.0.0.1',
      metadata: { path: '/t/ok', filters: { limit: '5', actionType: 'LOGIN' } },
    });
  });
});
