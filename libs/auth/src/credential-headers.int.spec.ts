import { request } from 'node:http';
import { Controller, Get, Logger, Module, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { createTestDatabase, startHttpApp, type TestDatabase } from '@audit/testing';
import { ApiKeysService } from './api-keys.service';
import { AuthModule } from './auth.module';
import { AdminGuard, IngestKeyGuard } from './guards';
import { TokensService } from './tokens.service';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

// One admin route and one ingest route, guarded as every route of the platform is.
@Controller('t')
class GuardedController {
  @Get('admin')
  @UseGuards(AdminGuard)
  admin(): { ok: true } {
    return { ok: true };
  }

  @Post('ingest')
  @UseGuards(IngestKeyGuard)
  ingest(): { ok: true } {
    return { ok: true };
  }
}
@Module({ imports: [AuthModule], controllers: [GuardedController] })
class GuardedModule {}

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: unknown } };
}

/** A request whose headers may repeat (fetch would join them into one): Node's client sends one line per value. */
function send(url: string, method: string, path: string, headers: Record<string, string | string[]>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

/**
 * A credential header sent twice is ambiguous: Node keeps the first `Authorization` and joins repeated
 * `X-Api-Key` values, so the request would be judged on a credential the sender never singled out (and a
 * proxy in front may have judged it on the other one). Every route refuses it, naming the header.
 */
describe('repeated credential headers', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let url: string;
  let admin: string;
  let otherAdmin: string;
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    db = await createTestDatabase('audit_credential_headers');
    Object.assign(process.env, { DATABASE_URL: db.url, AUTH_JWT_SECRET: 'credential-headers-secret-credential-headers' });
    ({ app, url } = await startHttpApp([PlatformModule, PersistenceModule, GuardedModule]));
    const tokens = app.get(TokensService);
    admin = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'ada' }, 3600);
    otherAdmin = await tokens.sign({ organizationId: 'globex', role: 'admin', userId: 'gus' }, 3600);
    const keys = app.get(ApiKeysService);
    key = (await keys.create('acme')).key;
    otherKey = (await keys.create('globex')).key;
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('admits one Authorization header, on admin and ingest routes alike', async () => {
    expect((await send(url, 'GET', '/t/admin', { authorization: `Bearer ${admin}` })).status).toBe(200);
    expect((await send(url, 'POST', '/t/ingest', { authorization: `Bearer ${key}` })).status).toBe(201);
    expect((await send(url, 'POST', '/t/ingest', { 'x-api-key': key })).status).toBe(201);
  });

  it.each([
    ['two organizations\' admin tokens', 'GET', '/t/admin', () => [`Bearer ${admin}`, `Bearer ${otherAdmin}`]],
    ['the same admin token twice', 'GET', '/t/admin', () => [`Bearer ${admin}`, `Bearer ${admin}`]],
    ['a valid admin token after a bad one', 'GET', '/t/admin', () => ['Bearer nope', `Bearer ${admin}`]],
    ['two organizations\' ingest keys', 'POST', '/t/ingest', () => [`Bearer ${key}`, `Bearer ${otherKey}`]],
  ])('refuses (400, naming the header) %s in two Authorization headers', async (_what, method, path, values) => {
    const answer = await send(url, method, path, { authorization: values() });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'the request carries 2 Authorization headers; send exactly one',
      details: [{ path: 'headers.authorization', reason: 'is sent 2 times; send exactly one' }],
    });
  });

  it('refuses (400, naming the header) two X-Api-Key headers rather than reading their joined value', async () => {
    const answer = await send(url, 'POST', '/t/ingest', { 'x-api-key': [key, otherKey] });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toBe('the request carries 2 X-Api-Key headers; send exactly one');
  });
});
