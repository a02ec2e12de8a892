import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { Body, Controller, Logger, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { findPrototypeKey } from '@audit/contracts';
import { createHttpApp, readHttpConfig } from './bootstrap';
import { firstInvalidUtf8Byte } from './json-body';
import { PlatformModule } from './platform.module';

Logger.overrideLogger(['error']);

@Controller('t')
class EchoController {
  @Post('echo')
  echo(@Body() body: unknown): { body: unknown } {
    return { body };
  }
}

@Module({ imports: [PlatformModule], controllers: [EchoController] })
class EchoAppModule {}

interface RawAnswer {
  /** What the server wrote back, as text. */
  text: string;
  /** Body bytes the client had sent when the server answered or closed. */
  sent: number;
}

/** A client that sends the headers, then one body byte every `everyMs`, until the server answers or closes. */
function trickle(port: number, bodyLength: number, everyMs: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearInterval(timer);
      socket.destroy();
      resolve({ text, sent });
    };
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? finish() : reject(error)));
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(`POST /t/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bodyLength}\r\n\r\n`);
      timer = setInterval(() => {
        if (sent >= bodyLength || socket.destroyed) return clearInterval(timer);
        socket.write(sent === 0 ? '"' : 'x');
        sent++;
      }, everyMs);
    });
  });
}

describe('the HTTP edge of every service (createHttpApp)', () => {
  let app: NestFastifyApplication;
  let base: string;
  let port: number;

  beforeAll(async () => {
    const http = { port: 0, host: '127.0.0.1', bodyLimitBytes: 64 * 1024, timeouts: { requestMs: 2_000, headersMs: 1_000, keepAliveMs: 5_000, connectionMs: 10_000 } };
    app = await createHttpApp(EchoAppModule, 'http-edge-test', http);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    port = Number(new URL(base).port);
  });

  afterAll(async () => {
    await app?.close();
  });

  const post = (body: string | Buffer, contentType = 'application/json'): Promise<Response> =>
    fetch(`${base}/t/echo`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('cuts a client trickling its body (408) long before the body could arrive', async () => {
    // 600 bytes at one per 100 ms would take a minute; the request timeout is 2 s.
    const answer = await trickle(port, 600, 100);
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.sent).toBeLessThan(600);
  });

  it('answers 415 to text/plain and other non-JSON bodies, naming the type', async () => {
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded']) {
      const res = await post('{"a":1}', type);
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: expect.stringContaining(type.split(';')[0]),
      });
    }
  });

  it('answers 415 naming Content-Encoding to a compressed (or so labelled) body, rather than read it as plain JSON', async () => {
    const json = '{"a":1}';
    for (const [encoding, body] of [['gzip', gzipSync(json)], ['gzip', json], ['br', json], ['deflate, gzip', json]] as const) {
      const res = await fetch(`${base}/t/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: unknown }).error).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining(`Content-Encoding (got ${encoding})`) });
    }
    const identity = await fetch(`${base}/t/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'identity' }, body: json });
    expect(identity.status).toBe(201);
  });

  it('answers 400 naming UTF-8 to a JSON body that is not UTF-8, and stores nothing of it', async () => {
    const latin1 = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await post(latin1);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'BAD_REQUEST',
      message: 'request body is not valid UTF-8 (at byte 12): send JSON encoded as UTF-8',
    });
    for (const bad of [[0xc3, 0x28], [0xed, 0xa0, 0x80], [0xff], [0xf0, 0x9f, 0x98]]) {
      const answer = await post(Buffer.concat([Buffer.from('{"s":"'), Buffer.from(bad), Buffer.from('"}')]));
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/not valid UTF-8/);
    }
  });

  it('reads every well-formed UTF-8 JSON body exactly as sent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), async (text) => {
        const res = await post(Buffer.from(JSON.stringify({ text }), 'utf8'));
        expect(res.status).toBe(201);
        expect(((await res.json()) as { body: unknown }).body).toEqual({ text });
      }),
      { numRuns: 100 },
    );
  });

  it('takes JSON with a charset parameter', async () => {
    const res = await post(Buffer.from('{"text":"naïve 🚀"}'), 'application/json; charset=utf-8');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ body: { text: 'naïve 🚀' } });
  });

  it('still refuses bad JSON and prototype pollution with 400, naming the key by its path', async () => {
    expect((await post('{"a":')).status).toBe(400);
    const polluting = await post('{"a":[{"b":1,"__proto__":{"admin":true}}]}');
    expect(polluting.status).toBe(400);
    expect(((await polluting.json()) as { error: { message: string } }).error.message).toMatch(/^request body: a\[0\]\.__proto__ is a "__proto__" key/);
    const constructor = await post('{"constructor":{"prototype":{"admin":true}}}');
    expect(constructor.status).toBe(400);
    expect(((await constructor.json()) as { error: { message: string } }).error.message).toMatch(/^request body: constructor is a "constructor" key holding a "prototype" key/);
    // Spelt with escapes, it is the same key once parsed.
    expect((await post('{"a":{"\\u005f_proto__":1}}')).status).toBe(400);
    expect((await post('')).status).toBe(400);
  });

  it("refuses, at any depth, exactly the prototype keys Fastify's own parser (secure-json-parse) refused, naming each by its path (property)", async () => {
    const fastify = app.getHttpAdapter().getInstance();
    const secure = fastify.getDefaultJsonParser('error', 'error');
    const refusedBySecureJsonParse = (text: string): Promise<boolean> =>
      new Promise((resolve) => void secure({} as never, text, (error) => resolve(error !== null)));
    const key = fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', 'b c');
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof({ depthSize: 'small', maxDepth: 6 }, fc.integer(), fc.constant(null), fc.array(tie('tree'), { maxLength: 3 }), fc.dictionary(key, tie('tree'), { maxKeys: 3 })),
    }));
    // Any depth: the tree under a chain of up to 300 arrays and objects.
    const body = fc.tuple(fc.array(fc.constantFrom('array', 'object'), { maxLength: 300 }), tree).map(([chain, value]) =>
      chain.reduceRight<string>((inner, kind) => (kind === 'array' ? `[0,${inner}]` : `{"k":${inner}}`), JSON.stringify(value) ?? 'null'),
    );
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const res = await post(text);
        expect(res.status).toBe((await refusedBySecureJsonParse(text)) ? 400 : 201);
        statuses.add(res.status);
        if (res.status === 400) {
          const found = findPrototypeKey(JSON.parse(text), '');
          expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`request body: ${found?.path} ${found?.reason}`);
        } else {
          expect(((await res.json()) as { body: unknown }).body).toEqual(JSON.parse(text));
        }
      }),
      { numRuns: 300 },
    );
    expect([...statuses].sort()).toEqual([201, 400]);
  });

  it('answers /healthz first: before body parsing, routing errors and guards', async () => {
    const live = await fetch(`${base}/healthz`, { method: 'GET' });
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    // A request no route would accept as it stands (a broken JSON body on a GET) is still answered.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(raw).toMatch(/\{"status":"ok"\}$/);
  });
});

describe('firstInvalidUtf8Byte', () => {
  it('points at the first byte of the first bad sequence after any valid text', () => {
    const bad = fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x80], [0xe9, 0x22], [0xf0, 0x9f, 0x98, 0x41], [0xc3]);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), bad, (prefix, sequence) => {
        const head = Buffer.from(prefix, 'utf8');
        expect(firstInvalidUtf8Byte(Buffer.concat([head, Buffer.from(sequence), Buffer.from('"tail"')]))).toBe(head.length);
      }),
    );
  });
});

describe('HTTP timeouts configuration', () => {
  it('has documented defaults and names a bad variable', () => {
    expect(readHttpConfig({}).timeouts).toEqual({ requestMs: 30_000, headersMs: 10_000, keepAliveMs: 72_000, connectionMs: 120_000 });
    expect(readHttpConfig({ HTTP_REQUEST_TIMEOUT: '5m' }).timeouts?.requestMs).toBe(300_000);
    expect(() => readHttpConfig({ HTTP_REQUEST_TIMEOUT: '0s' })).toThrow(/HTTP_REQUEST_TIMEOUT/);
    expect(() => readHttpConfig({ HTTP_REQUEST_TIMEOUT: '5s' })).toThrow(/HTTP_HEADERS_TIMEOUT must not exceed HTTP_REQUEST_TIMEOUT/);
    expect(() => readHttpConfig({ HTTP_KEEP_ALIVE_TIMEOUT: 'soon' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT/);
  });
});
