import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { AuditClient } from './audit-client';
import { AuditClientError } from './errors';
import { HttpTransport, isRetryableStatus } from './http-transport';
import type { AuditEventWithId } from './transport';

type Received = { method?: string; url?: string; headers: IncomingHttpHeaders; body: string };
type Reply = (res: ServerResponse, req: Received) => void;

/** A real HTTP server answering with the queued replies in order (then 202). */
class FakeIngest {
  readonly received: Received[] = [];
  private readonly replies: Reply[] = [];
  private server!: Server;
  baseUrl = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(r);
        const reply = this.replies.shift() ?? accepted;
        reply(res, r);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reply(...replies: Reply[]): void {
    this.replies.push(...replies);
  }

  /** Forgets what was received and every reply not used yet. */
  reset(): void {
    this.received.length = 0;
    this.replies.length = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const accepted: Reply = (res, req) => {
  const ids = (JSON.parse(req.body) as { id: string }[]).map((e) => e.id);
  json(202, { ids })(res, req);
};
const errorBody = (code: string, message: string, details?: unknown) => ({ error: { code, message, details } });

const events = (n = 2): AuditEventWithId[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a${String(i).padStart(2, '0')}`,
    organizationId: 'acme',
    actionType: 'LOGIN',
    userId: `u${i}`,
    createdAt: '2024-05-01T12:00:00.000Z',
  }));

async function caught(p: Promise<unknown>): Promise<AuditClientError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AuditClientError);
    return err as AuditClientError;
  }
  throw new Error('expected a rejection');
}

describe('HttpTransport (real local HTTP server)', () => {
  const ingest = new FakeIngest();
  let transport: HttpTransport;

  beforeAll(() => ingest.start());
  afterAll(() => ingest.stop());
  beforeEach(() => {
    ingest.reset();
    transport = new HttpTransport({ baseUrl: `${ingest.baseUrl}/`, apiKey: 'ak_test_secret', retryDelayMs: 5 });
  });

  it('POSTs the events as a JSON array to /v1/events with the bearer key', async () => {
    const batch = events(3);
    await transport.send(batch);
    expect(ingest.received).toHaveLength(1);
    const [req] = ingest.received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/events');
    expect(req.headers.authorization).toBe('Bearer ak_test_secret');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual(batch);
  });

  it('maps 400 to VALIDATION_FAILED with the server error details', async () => {
    const details = [{ index: 1, path: '[1].ipAddress', reason: 'must be an IPv4 or IPv6 address' }];
    ingest.reply(json(400, errorBody('VALIDATION_FAILED', '1 invalid event', details)));
    const err = await caught(transport.send(events()));
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, details });
    expect(err.message).toContain('1 invalid event');
    expect(ingest.received).toHaveLength(1);
  });

  it.each([
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [409, 'REJECTED'],
    [501, 'REJECTED'],
  ])('maps %i to %s without retrying', async (status, code) => {
    ingest.reply(json(status, errorBody('X', `status ${status}`)));
    const err = await caught(transport.send(events()));
    expect(err).toMatchObject({ code, status });
    expect(ingest.received).toHaveLength(1);
  });

  it('keeps a non-JSON error body as REJECTED details', async () => {
    ingest.reply((res) => {
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end('short and stout');
    });
    const err = await caught(transport.send(events()));
    expect(err).toMatchObject({ code: 'REJECTED', status: 418, details: 'short and stout' });
  });

  it('retries after a 503 with the same body, then succeeds', async () => {
    ingest.reply(json(503, errorBody('BUS_UNAVAILABLE', 'bus down')), json(502, {}));
    await transport.send(events(5));
    expect(ingest.received).toHaveLength(3);
    expect(ingest.received[1].body).toBe(ingest.received[0].body);
    expect(ingest.received[2].body).toBe(ingest.received[0].body);
    expect(ingest.received[2].headers.authorization).toBe('Bearer ak_test_secret');
  });

  it('retries a 500 (never a verdict on the events) with the same body, then succeeds', async () => {
    ingest.reply(json(500, errorBody('INTERNAL', 'internal error')), json(500, errorBody('INTERNAL', 'internal error')));
    await transport.send(events(2));
    expect(ingest.received).toHaveLength(3);
    expect(new Set(ingest.received.map((r) => r.body)).size).toBe(1);
  });

  it('resends exactly the answers a retry with the same ids can fix, and never a 4xx verdict', async () => {
    const verdicts = [400, 401, 403, 413, 415];
    for (const status of verdicts) expect(isRetryableStatus(status)).toBe(false);
    for (const status of [408, 429, 500, 502, 503, 504]) expect(isRetryableStatus(status)).toBe(true);
    const t = new HttpTransport({ baseUrl: ingest.baseUrl, apiKey: 'k', retries: 2, retryDelayMs: 0 });
    await fc.assert(
      // 407 and 421 are excluded: fetch itself handles them (407 becomes a network error, a 421 is resent once
      // on a new connection); neither is ever ingest's answer.
      fc.asyncProperty(fc.oneof(fc.constantFrom(...verdicts, 408, 429, 500, 501, 502, 503, 504), fc.integer({ min: 400, max: 599 }).filter((s) => s !== 407 && s !== 421)), async (status) => {
        ingest.reset();
        ingest.reply(...Array.from({ length: 3 }, () => json(status, errorBody('X', `status ${status}`))));
        const err = await caught(t.send(events()));
        const retried = isRetryableStatus(status);
        expect(ingest.received).toHaveLength(retried ? 3 : 1);
        expect(new Set(ingest.received.map((r) => r.body)).size).toBe(1);
        expect(err.status).toBe(status);
        if (retried) expect(err.code).toBe('UNAVAILABLE');
        else expect(err.code).not.toBe('UNAVAILABLE');
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) expect(retried).toBe(false);
      }),
      { numRuns: 80 },
    );
  });

  it('gives up with UNAVAILABLE after `retries` retries', async () => {
    const t = new HttpTransport({ baseUrl: ingest.baseUrl, apiKey: 'k', retries: 2, retryDelayMs: 1 });
    ingest.reply(...Array.from({ length: 3 }, () => json(504, errorBody('TIMEOUT', 'bus slow', { hint: 'x' }))));
    const err = await caught(t.send(events()));
    expect(err).toMatchObject({ code: 'UNAVAILABLE', status: 504, details: { hint: 'x' } });
    expect(err.message).toContain('gave up after 3 attempts');
    expect(ingest.received).toHaveLength(3);
  });

  it('honours a Retry-After of 0 seconds on 429', async () => {
    const t = new HttpTransport({ baseUrl: ingest.baseUrl, apiKey: 'k', retryDelayMs: 60_000 });
    ingest.reply(json(429, errorBody('RATE_LIMITED', 'slow down'), { 'retry-after': '0' }));
    await t.send(events());
    expect(ingest.received).toHaveLength(2);
  });

  it('retries a network error, then reports UNAVAILABLE', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    let calls = 0;
    const countingFetch: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const t = new HttpTransport({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'k', retries: 2, retryDelayMs: 1, fetch: countingFetch });
    const err = await caught(t.send(events()));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.status).toBeUndefined();
    expect(calls).toBe(3);
  });

  it('treats a timeout as retryable', async () => {
    ingest.reply(
      () => undefined, // never answers
    );
    const t = new HttpTransport({ baseUrl: ingest.baseUrl, apiKey: 'k', timeoutMs: 200, retries: 1, retryDelayMs: 1 });
    await t.send(events());
    expect(ingest.received).toHaveLength(2);
  });

  it('validates its options', () => {
    expect(() => new HttpTransport({ baseUrl: 'not a url', apiKey: 'k' })).toThrow(TypeError);
    expect(() => new HttpTransport({ baseUrl: 'ftp://x', apiKey: 'k' })).toThrow(TypeError);
    expect(() => new HttpTransport({ baseUrl: 'http://x', apiKey: ' ' })).toThrow(TypeError);
  });

  it('works end to end under AuditClient, and refuses to send after close', async () => {
    const client = new AuditClient(transport);
    const { ids } = await client.emitBatch([
      { organizationId: 'acme', actionType: 'LOGIN', userId: 'u1' },
      { organizationId: 'acme', actionType: 'LOGOUT', userId: 'u1' },
    ]);
    const body = JSON.parse(ingest.received[0].body) as { id: string; createdAt: string }[];
    expect(body.map((e) => e.id)).toEqual(ids);
    expect(body.every((e) => typeof e.createdAt === 'string')).toBe(true);
    await client.close();
    expect((await caught(transport.send(events()))).code).toBe('UNAVAILABLE');
  });
});
