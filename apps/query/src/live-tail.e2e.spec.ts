import { randomUUID } from 'node:crypto';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { TokensService } from '@audit/auth';
import type { ActionType, AuditEventInput } from '@audit/contracts';
import { eventsSubject, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import {
  canonicalEvent,
  connectTestBus,
  createTestDatabase,
  readStream,
  startService,
  startTestNats,
  waitFor,
  type RunningService,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';

jest.setTimeout(60_000);

const SECRET = 'live-tail-e2e-secret-that-is-long-enough-0123';
const ORG = 'org-tail';
const OTHER = 'org-tail-other';

/** One Server-Sent Event as a client receives it. */
interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  at: number;
}

/** A client of the stream over fetch (as the console reads it: with the Authorization header), parsing frames as they come. */
class TailClient {
  readonly frames: Frame[] = [];
  readonly done: Promise<void>;
  private readonly controller = new AbortController();

  private constructor(readonly response: Response) {
    this.done = this.read().catch(() => undefined);
  }

  static async open(url: string, token: string | null, headers: Record<string, string> = {}): Promise<TailClient> {
    const controller = new AbortController();
    const response = await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, signal: controller.signal });
    const client = new TailClient(response);
    client.controller.signal.addEventListener('abort', () => controller.abort());
    return client;
  }

  get events(): Array<{ id: number; summary: { id: string; actionType: string; userId: string | null; user: unknown } ; at: number }> {
    return this.frames.filter((f) => f.event === 'event').map((f) => ({ id: Number(f.id), summary: JSON.parse(f.data ?? 'null') as never, at: f.at }));
  }

  close(): void {
    this.controller.abort();
  }

  private async read(): Promise<void> {
    if (!this.response.body || this.response.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: Frame = { at: Date.now() };
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) frame.comment = line.slice(1).trim();
          const [, name, value] = /^(id|event|data): ?(.*)$/.exec(line) ?? [];
          if (name) frame[name as 'id' | 'event' | 'data'] = value;
        }
        this.frames.push(frame);
      }
    }
  }
}

describe('live tail (GET /v1/events/stream) as Server-Sent Events', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let service: RunningService;
  const tokens = { admin: '', member: '', other: '' };
  const clients: TailClient[] = [];

  const url = (query = ''): string => `${service.url}/v1/events/stream${query ? `?${query}` : ''}`;
  const open = async (query = '', token: string | null = tokens.admin, headers: Record<string, string> = {}): Promise<TailClient> => {
    const client = await TailClient.open(url(query), token, headers);
    clients.push(client);
    return client;
  };

  /** Publishes canonical events as ingest does (one by one, each acked), returning each with the time its ack came back. */
  async function publish(inputs: AuditEventInput[]): Promise<Array<{ id: string; ackedAt: number; seq: number }>> {
    const out: Array<{ id: string; ackedAt: number; seq: number }> = [];
    for (const input of inputs) {
      const event = canonicalEvent(input);
      const ack = await bus.js.publish(eventsSubject(event.organizationId, event.actionType), JSON.stringify(event), { msgID: event.id });
      out.push({ id: event.id, ackedAt: Date.now(), seq: ack.seq });
    }
    return out;
  }

  const event = (actionType: ActionType, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
    id: randomUUID(),
    organizationId: ORG,
    actionType,
    userId: 'u-1',
    user: { email: 'one@example.com', userName: 'One' },
    ...extra,
  });

  beforeAll(async () => {
    db = await createTestDatabase('audit_live_tail');
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
    // As the query service's own NATS user, so its permissions are what is tested.
    service = await startService('query', {
      DATABASE_URL: db.url,
      ...nats.env('query'),
      NATS_PROVISION_STREAMS: 'false',
      AUTH_JWT_SECRET: SECRET,
      LIVE_TAIL_MAX_PER_ORG: '3',
      LIVE_TAIL_HEARTBEAT: '300ms',
    });
    await db.query(`INSERT INTO users (id, email, "userName", "organizationId") VALUES ('u-ada', 'ada@example.com', 'Ada Lovelace', $1)`, [ORG]);
    const signer = new TokensService({ jwtSecret: new TextEncoder().encode(SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
    tokens.admin = await signer.sign({ organizationId: ORG, role: 'admin', userId: 'admin-1' }, 3600);
    tokens.member = await signer.sign({ organizationId: ORG, role: 'member' }, 3600);
    tokens.other = await signer.sign({ organizationId: OTHER, role: 'admin', userId: 'admin-2' }, 3600);
  }, 120_000);

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await bus?.close();
    if (service && service.process.exitCode === null) await service.stop();
    await nats?.destroy();
    await db?.drop();
  });

  it('sends each matching event posted during the stream once, in stream order, within 1 s, and nothing of another organization', async () => {
    const tail = await open(`search=${encodeURIComponent('action:LOGIN OR user:ada@example.com')}`);
    expect(tail.response.status).toBe(200);
    expect(tail.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const inputs = Array.from({ length: 90 }, (_, i) =>
      i % 3 === 0
        ? event('LOGIN')
        : i % 3 === 1
          ? // No actor snapshot: the tail finds the e-mail in the organization's users, as the events list does.
            event('QUERY_RUN', { userId: i % 2 ? 'u-ada' : 'u-2', user: undefined })
          : { ...event('LOGIN'), organizationId: OTHER },
    );
    const published = await publish(inputs);
    const expected = published.filter((_, i) => i % 3 === 0 || (i % 3 === 1 && i % 2 === 1));
    await waitFor('every matching event on the tail', () => tail.events.length >= expected.length || undefined, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(tail.events.map((e) => e.summary.id)).toEqual(expected.map((e) => e.id));
    expect(tail.events.map((e) => e.id)).toEqual(expected.map((e) => e.seq));
    const ada = tail.events.find((e) => e.summary.userId === 'u-ada');
    expect(ada?.summary.user).toEqual({ email: 'ada@example.com', userName: 'Ada Lovelace' });
    const latencies = tail.events.map((e, i) => e.at - expected[i].ackedAt).sort((a, b) => a - b);
    process.stdout.write(`[live tail e2e] ${latencies.length} events, accept→delivery p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies[latencies.length - 1]} ms\n`);
    expect(latencies[latencies.length - 1]).toBeLessThan(1_000);
  });

  it('resumes after Last-Event-ID without a gap or a repeat, also for events posted while disconnected', async () => {
    const first = await open('search=action:CREATE_RESOURCE');
    const before = await publish(Array.from({ length: 10 }, () => event('CREATE_RESOURCE')));
    await waitFor('the first ten', () => first.events.length >= 10 || undefined, 10_000);
    first.close();
    await first.done;
    const last = first.events[first.events.length - 1].id;
    expect(last).toBe(before[9].seq);
    const during = await publish(Array.from({ length: 15 }, (_, i) => event(i % 2 ? 'CREATE_RESOURCE' : 'LOGIN')));
    const second = await open('search=action:CREATE_RESOURCE', tokens.admin, { 'last-event-id': String(last) });
    const after = await publish(Array.from({ length: 5 }, () => event('CREATE_RESOURCE')));
    const expected = [...during.filter((_, i) => i % 2), ...after];
    await waitFor('the missed and the new events', () => second.events.length >= expected.length || undefined, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(second.events.map((e) => e.summary.id)).toEqual(expected.map((e) => e.id));
  });

  it('sends heartbeats while nothing matches', async () => {
    const tail = await open('search=action:DELETE_GROUP');
    await waitFor('two heartbeats', () => tail.frames.filter((f) => f.comment?.startsWith('heartbeat')).length >= 2 || undefined, 5_000);
    expect(tail.events).toEqual([]);
  });

  it('records each stream opened as a read of the audit trail', async () => {
    const search = `user:someone-${randomUUID()}`;
    await open(`search=${encodeURIComponent(search)}`);
    await open(`search=${encodeURIComponent(search)}`);
    const reads = await waitFor('both reads on the bus', async () => {
      const found = (await readStream(bus.jsm, STREAMS.events))
        .map((m) => JSON.parse(m.data) as { actionType: string; userId: string; pageName: string; metadata: { path?: string; filters?: { search?: string } } })
        .filter((e) => e.actionType === 'PAGE_VIEW' && e.metadata.path === '/v1/events/stream' && e.metadata.filters?.search === search);
      return found.length >= 2 ? found : undefined;
    });
    expect(reads).toHaveLength(2);
    expect(reads[0]).toMatchObject({ userId: 'admin-1', pageName: 'audit' });
  });

  it('refuses past LIVE_TAIL_MAX_PER_ORG with 429, and opens again once one is closed', async () => {
    const held = [await open(), await open(), await open()];
    expect(held.map((c) => c.response.status)).toEqual([200, 200, 200]);
    const refused = await fetch(url(), { headers: { authorization: `Bearer ${tokens.admin}` } });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('LIVE_TAIL_MAX_PER_ORG') } });
    // Another organization has its own allowance.
    expect((await open('', tokens.other)).response.status).toBe(200);
    held[0].close();
    await waitFor('a slot freed', async () => {
      const again = await TailClient.open(url(), tokens.admin);
      clients.push(again);
      if (again.response.status === 200) return true;
      again.close();
      return undefined;
    }, 5_000);
  });

  it.each([
    ['a search that does not parse', 'search=action:', {}, 400, 'search'],
    ['an unknown parameter', 'color=red', {}, 400, 'color'],
    ['q instead of search', 'q=ada', {}, 400, 'q'],
    ['a Last-Event-ID that is no id of the stream', '', { 'last-event-id': 'abc' }, 400, 'Last-Event-ID'],
  ])('answers %s: %s, %j, %i naming the field', async (_name, query, headers, status, path) => {
    const res = await fetch(url(query), { headers: { authorization: `Bearer ${tokens.admin}`, ...headers } });
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { details?: Array<{ path: string }> } };
    expect(body.error.details?.map((d) => d.path)).toContain(path);
  });

  it('answers HEAD with the stream\'s headers after the same checks, opening no stream: no read recorded, no slot held', async () => {
    const auth = { authorization: `Bearer ${tokens.admin}` };
    const search = `user:head-${randomUUID()}`;
    // More than LIVE_TAIL_MAX_PER_ORG (3): a HEAD that held a slot would make the fourth a 429.
    for (let i = 0; i < 4; i++) {
      const res = await fetch(url(`search=${encodeURIComponent(search)}`), { method: 'HEAD', headers: auth });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    }
    expect((await fetch(url('color=red'), { method: 'HEAD', headers: auth })).status).toBe(400);
    expect((await fetch(url(), { method: 'HEAD' })).status).toBe(401);
    // A stream opened after them is recorded (each is recorded before it is served), the HEADs before it are not.
    const marker = `user:get-${randomUUID()}`;
    expect((await open(`search=${encodeURIComponent(marker)}`)).response.status).toBe(200);
    const reads = await waitFor('the stream\'s read on the bus', async () => {
      const found = (await readStream(bus.jsm, STREAMS.events))
        .map((m) => JSON.parse(m.data) as { actionType: string; metadata: { path?: string; filters?: { search?: string } } })
        .filter((e) => e.actionType === 'PAGE_VIEW' && e.metadata.path === '/v1/events/stream');
      return found.some((e) => e.metadata.filters?.search === marker) ? found : undefined;
    });
    expect(reads.filter((e) => e.metadata.filters?.search === search)).toEqual([]);
  });

  it('is for administrators only', async () => {
    expect((await fetch(url())).status).toBe(401);
    expect((await fetch(url(), { headers: { authorization: `Bearer ${tokens.member}` } })).status).toBe(403);
  });

  it("lets the query service's NATS user open tails but never reach a service's durable consumer", async () => {
    await bus.jsm.consumers.add(STREAMS.events, { durable_name: 'writer', ack_policy: AckPolicy.Explicit });
    const { user, password } = nats.credentials('query');
    const nc = await connect({ servers: nats.url, user, pass: password });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2_000 });
      await expect(jsm.consumers.info(STREAMS.events, 'writer')).rejects.toThrow(/permission|timeout/i);
      await expect(jsm.consumers.delete(STREAMS.events, 'writer')).rejects.toThrow(/permission|timeout/i);
      // A consumer on every organization's events (no one-organization filter) is refused too.
      await expect(jsm.consumers.add(STREAMS.events, { name: 'wide', filter_subject: 'audit.>', ack_policy: AckPolicy.None })).rejects.toThrow(/permission|timeout/i);
    } finally {
      await nc.close();
    }
    expect((await bus.jsm.consumers.info(STREAMS.events, 'writer')).name).toBe('writer');
  });

  it('ends open streams and exits 0 on SIGTERM', async () => {
    const tail = await open();
    expect(tail.response.status).toBe(200);
    expect(await service.stop()).toBe(0);
    await tail.done;
    expect(tail.frames[tail.frames.length - 1]).toBeDefined();
  });
});
