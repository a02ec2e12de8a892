import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { createAuditClient, type AuditClient, type AuditEventInput } from '@audit/audit-client';
import { ACTION_TYPES, LIMITS } from '@audit/contracts';
import { DLQ_HEADERS, STREAMS } from '@audit/messaging';
import { connectTestBus, privateClickHousePath, readStream, runCliProcess, waitFor, waitForConsumerIdle, type TestBus } from '@audit/testing';
import { cli, createKey, postEvents, startStack, type Stack } from './standalone.e2e-helpers';

/**
 * The whole event contract driven through the real pipeline, as a property: generated events (valid ones
 * across every field, every action type, unicode with astral characters, odd but valid dates, metadata
 * nested up to the limit; and invalid ones, each with one planted defect: lone surrogates, NULs, dates
 * before the floor or too far ahead, metadata thousands of levels deep, oversized values, foreign fields)
 * go in over HTTP `POST /v1/events` (one by one, then together as one all-or-nothing batch) and over the
 * bus (`audit.ingest.<org>`, through the client library).
 *
 * Whether an event is valid is the generator's verdict, not the validator's. Every valid one must be
 * answered 202 (or acked), readable by id in Postgres exactly once with what was sent, and counted once
 * in ClickHouse; every invalid one must be refused with a 4xx whose details name the planted field (over
 * the bus: dead-lettered by ingest with the validation errors naming it) and stored nowhere.
 */

jest.setTimeout(240_000);

const HTTP_ORG = 'contract-http';
const BUS_ORG = 'contract-bus';
const RUNS = 20;
const MINUTE = 60_000;
const DAY = 86_400_000;

/** What a valid event must look like once stored. */
interface Expected {
  actionType: string;
  userId: string | null;
  ipAddress: string | null;
  responseTimeMs: number | null;
  pageName: string | null;
  queryName: string | null;
  resourceName: string | null;
  metadata: unknown;
  createdAt: number;
}

/** One generated event: the input, and either what must be stored or the field its refusal must name. */
type Case = { input: Record<string, unknown>; expected: Expected; defect?: undefined } | { input: Record<string, unknown>; defect: string };

// ---- Generators ----

/**
 * A case as fast-check prints it in a counterexample: its own recursive printer would exhaust the stack
 * on metadata thousands of levels deep, so the JSON is cut short instead.
 */
function shown<C extends Case>(c: C): C {
  const label = c.defect === undefined ? 'valid' : `invalid in ${c.defect}`;
  return Object.assign(c, { [fc.toStringMethod]: () => `${label}: ${JSON.stringify(c.input).slice(0, 600)}` });
}

/**
 * Text of every kind a client may send (ASCII, any code point incl. astral planes, grapheme clusters),
 * never U+0000, at most `maxUnits` UTF-16 code units (what the contract's lengths count).
 */
const text = (maxUnits: number, minLength = 0): fc.Arbitrary<string> => {
  const maxLength = Math.max(minLength, Math.floor(maxUnits / 4));
  return fc
    .oneof(fc.string({ minLength, maxLength }), fc.string({ unit: 'binary', minLength, maxLength }), fc.string({ unit: 'grapheme', minLength, maxLength }))
    .map((s) => s.replaceAll('\u0000', ' '))
    .filter((s) => s.length <= maxUnits);
};

/**
 * Keys of metadata objects: any text but `__proto__` and `constructor`, which the HTTP edge refuses anywhere in
 * a body (prototype pollution; libs/platform's http-edge spec), so an event holding one is not the same event
 * over HTTP and over the bus.
 */
const key = text(40).filter((k) => k !== '__proto__' && k !== 'constructor');

const leaf = fc.oneof(text(60), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const { tree } = fc.letrec<{ tree: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('tree'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
}));

/** `levels` containers deep counting the outermost (metadata itself is level 1), built without recursion. */
function chain(levels: number, kind: 'object' | 'array', bottom: unknown): Record<string, unknown> {
  let inner: unknown = bottom;
  for (let level = levels; level > 1; level--) inner = kind === 'object' ? { n: inner } : [inner];
  return { n: inner };
}

const metadata: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.dictionary(key, tree, { maxKeys: 6 }),
  fc.tuple(fc.integer({ min: 1, max: LIMITS.maxMetadataDepth }), fc.constantFrom('object' as const, 'array' as const), text(40)).map(([levels, kind, bottom]) => chain(levels, kind, bottom)),
);

/** A local wall-clock rendering of `ms` with a UTC offset (e.g. `1969-12-31T23:00:00.000-01:00` is the floor). */
function withOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * MINUTE).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Valid instants, a few months apart (each month is a partition in both stores): from the floor itself,
 * around a leap day and a new year, and the last days up to 4 minutes ahead; written in UTC, with an
 * offset (which may put the wall clock in 1969), or without fraction.
 */
const validCreatedAt = (now: number): fc.Arbitrary<{ text: string; ms: number }> =>
  fc
    .tuple(
      fc.oneof(
        fc.integer({ min: 0, max: DAY }),
        fc.integer({ min: Date.UTC(2000, 1, 28), max: Date.UTC(2000, 2, 1) }),
        fc.integer({ min: Date.UTC(2025, 0, 1) - DAY, max: Date.UTC(2025, 0, 1) + DAY }),
        fc.integer({ min: now - 2 * DAY, max: now + 4 * MINUTE }),
      ),
      fc.constantFrom('utc' as const, 'offset' as const, 'seconds' as const),
      fc.integer({ min: -12 * 4, max: 14 * 4 }).map((quarters) => quarters * 15),
    )
    .map(([ms, style, offset]) => {
      if (style === 'offset') return { text: withOffset(ms, offset), ms };
      if (style === 'seconds') {
        const whole = Math.floor(ms / 1000) * 1000;
        return { text: new Date(whole).toISOString().replace('.000Z', 'Z'), ms: whole };
      }
      return { text: new Date(ms).toISOString(), ms };
    });

const validEvent = (org: string, now: number): fc.Arbitrary<Case> =>
  fc
    .record({
      id: fc.option(fc.uuid().chain((id) => fc.constantFrom(id, id.toUpperCase())), { nil: undefined }),
      actionType: fc.constantFrom(...ACTION_TYPES),
      userId: fc.option(text(LIMITS.maxUserIdLength, 1), { nil: null }),
      user: fc.option(fc.record({ email: fc.tuple(text(150), text(150)).map(([local, domain]) => `${local}@${domain}`), userName: text(LIMITS.maxUserNameLength) }), { nil: null }),
      ipAddress: fc.option(fc.oneof(fc.ipV4(), fc.ipV6()).filter((ip) => isIP(ip) !== 0), { nil: null }),
      responseTimeMs: fc.option(fc.integer({ min: 0, max: LIMITS.maxResponseTimeMs }), { nil: null }),
      pageName: fc.option(text(LIMITS.maxNameLength), { nil: null }),
      queryName: fc.option(text(LIMITS.maxNameLength), { nil: null }),
      resourceName: fc.option(text(LIMITS.maxNameLength), { nil: null }),
      metadata,
      createdAt: validCreatedAt(now),
      absent: fc.subarray(['userId', 'user', 'ipAddress', 'responseTimeMs', 'pageName', 'queryName', 'resourceName', 'metadata']),
    })
    .filter(({ metadata: m }) => Buffer.byteLength(JSON.stringify(m)) <= LIMITS.maxMetadataBytes)
    .map(({ id, absent, createdAt, ...fields }) => {
      const input: Record<string, unknown> = { organizationId: org, ...fields, createdAt: createdAt.text };
      if (id !== undefined) input['id'] = id;
      for (const key of absent) delete input[key];
      const expected: Expected = {
        actionType: fields.actionType,
        userId: (input['userId'] as string | null | undefined) ?? null,
        ipAddress: (input['ipAddress'] as string | null | undefined) ?? null,
        responseTimeMs: (input['responseTimeMs'] as number | null | undefined) ?? null,
        pageName: (input['pageName'] as string | null | undefined) ?? null,
        queryName: (input['queryName'] as string | null | undefined) ?? null,
        resourceName: (input['resourceName'] as string | null | undefined) ?? null,
        // What JSON can carry of it (e.g. -0 travels as 0).
        metadata: JSON.parse(JSON.stringify(input['metadata'] ?? {})) as unknown,
        createdAt: createdAt.ms,
      };
      return shown({ input, expected });
    });

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
/** `text` with `bad` somewhere in it, never next to a surrogate half that would pair with it. */
const spliced = (bad: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.tuple(fc.string({ maxLength: 8 }), bad, fc.string({ maxLength: 8 })).map(([a, b, c]) => `${a}${b}${c}`);
const TEXT_FIELDS = ['userId', 'pageName', 'queryName', 'resourceName', 'user.email', 'user.userName'] as const;

/** One defect planted in a valid input: the mutated input and the path its refusal must name. */
const defect = (now: number): fc.Arbitrary<{ apply: (input: Record<string, unknown>) => void; path: string }> =>
  fc.oneof(
    // Text that no store can hold unchanged, in every text field.
    fc.tuple(fc.constantFrom(...TEXT_FIELDS), fc.oneof(spliced(loneSurrogate), spliced(fc.constant('\u0000')))).map(([path, bad]) => ({
      path,
      apply: (input: Record<string, unknown>) => {
        if (path.startsWith('user.')) {
          const user = { email: 'a@b', userName: 'A', [path.slice(5)]: path === 'user.email' ? `@${bad}` : bad };
          input['user'] = user;
        } else input[path] = `x${bad}`;
      },
    })),
    // ... and in metadata, in a value or a key, at any depth.
    fc.tuple(fc.integer({ min: 1, max: 20 }), fc.boolean(), spliced(fc.oneof(loneSurrogate, fc.constant('\u0000')))).map(([levels, inKey, bad]) => ({
      path: 'metadata',
      apply: (input: Record<string, unknown>) => {
        input['metadata'] = { fine: 'ok', deep: chain(levels, 'object', inKey ? { [bad]: 1 } : bad) };
      },
    })),
    // Dates before the floor (year 0, an offset landing in year 0, the 1960s) and too far ahead.
    fc
      .oneof(
        fc.constantFrom('0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '1969-12-31T23:59:59.999Z', '1970-01-01T00:59:59+01:00'),
        fc.integer({ min: -62_167_219_200_000, max: -1 }).map((ms) => new Date(ms).toISOString()),
        fc.integer({ min: now + 10 * MINUTE, max: now + 3650 * DAY }).map((ms) => new Date(ms).toISOString()),
      )
      .map((createdAt) => ({ path: 'createdAt', apply: (input: Record<string, unknown>) => void (input['createdAt'] = createdAt) })),
    // Nesting past the limit, up to far past what a recursive check survives (4,000 levels: the
    // sender's own JSON.stringify gives up near 5,000).
    fc.tuple(fc.integer({ min: LIMITS.maxMetadataDepth + 1, max: 4_000 }), fc.constantFrom('object' as const, 'array' as const)).map(([levels, kind]) => ({
      path: 'metadata',
      apply: (input: Record<string, unknown>) => void (input['metadata'] = chain(levels, kind, 1)),
    })),
    fc.constantFrom(
      { path: 'metadata', apply: (input: Record<string, unknown>) => void (input['metadata'] = { big: 'x'.repeat(LIMITS.maxMetadataBytes) }) },
      { path: 'pageName', apply: (input: Record<string, unknown>) => void (input['pageName'] = 'p'.repeat(LIMITS.maxNameLength + 1)) },
      { path: 'ipAddress', apply: (input: Record<string, unknown>) => void (input['ipAddress'] = '300.1.1.1') },
      { path: 'responseTimeMs', apply: (input: Record<string, unknown>) => void (input['responseTimeMs'] = -1) },
      { path: 'actionType', apply: (input: Record<string, unknown>) => void (input['actionType'] = 'QUERY_RUNS') },
      { path: 'receivedAt', apply: (input: Record<string, unknown>) => void (input['receivedAt'] = new Date(now).toISOString()) },
      { path: 'colour', apply: (input: Record<string, unknown>) => void (input['colour'] = 'blue') },
    ),
  );

/** `receivedAt` does not survive the client library (it drops ingest-owned fields), so the bus never sees it. */
const eventCase = (org: string, now: number, via: 'http' | 'bus'): fc.Arbitrary<Case> =>
  fc.oneof(
    { weight: 3, arbitrary: validEvent(org, now) },
    {
      weight: 2,
      arbitrary: fc.tuple(validEvent(org, now), defect(now).filter((d) => via === 'http' || d.path !== 'receivedAt')).map(([valid, planted]): Case => {
        const input = { ...valid.input };
        planted.apply(input);
        return shown({ input, defect: planted.path });
      }),
    },
  );

// ---- The test ----

describe('the event contract through the real pipeline (property, HTTP and bus)', () => {
  let stack: Stack;
  let bus: TestBus;
  let client: AuditClient;
  let key: string;
  const clickhouse = privateClickHousePath();
  /** Ids accepted (202 or acked), and those refused, over both ways in. */
  const accepted = new Map<string, Expected>();
  const refusedIds = new Set<string>();

  beforeAll(async () => {
    stack = await startStack({
      CLICKHOUSE_PATH: clickhouse.path,
      CLICKHOUSE_DATABASE: 'audit',
      WRITER_FLUSH_INTERVAL: '50ms',
      PROJECTOR_FLUSH_INTERVAL: '50ms',
      LOG_LEVEL: 'error',
    });
    bus = await connectTestBus(stack.nats.url);
    // The library as a service uses it, but without its local check: the platform must hold the contract alone.
    client = await createAuditClient({ natsUrl: stack.nats.url, validate: false });
    ({ key } = await createKey(stack.env, HTTP_ORG));
    // Kept forever, so no retention rule refuses or purges the old (valid) dates generated here.
    for (const org of [HTTP_ORG, BUS_ORG]) await cli(stack.env, ['retention', 'set', '--org', org, '--days', '0']);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await bus?.close();
    await stack?.stop();
    clickhouse.remove();
  }, 60_000);

  /** The stored rows with these ids, and how often each is there. */
  const storedRows = async (ids: string[]) =>
    stack.db.query<Expected & { id: string; createdAt: Date }>(
      `SELECT id::text, "actionType", "userId", "ipAddress", "responseTimeMs", "pageName", "queryName", "resourceName", metadata, "createdAt"
       FROM audit_trail_events WHERE id = ANY($1::uuid[])`,
      [ids],
    );

  /** Dead letters of the ingest consumer, by the id of the event they carry. */
  const ingestDeadLetters = async (): Promise<Map<string, string>> => {
    const byId = new Map<string, string>();
    for (const message of await readStream(bus.jsm, STREAMS.dlq)) {
      if (message.headers[DLQ_HEADERS.consumer] !== 'ingest') continue;
      const id = (JSON.parse(message.data) as { id?: unknown }).id;
      if (typeof id === 'string') byId.set(id.toLowerCase(), message.headers[DLQ_HEADERS.reason] ?? '');
    }
    return byId;
  };

  /** For a failure message: the accepted ids Postgres lacks, and what the dead letters say about them. */
  const whyMissing = async (ids: string[]): Promise<string> => {
    const stored = new Set((await storedRows(ids)).map((r) => r.id));
    const missing = ids.filter((id) => !stored.has(id));
    const letters = (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => missing.some((id) => m.data.toLowerCase().includes(id)));
    return `missing ${JSON.stringify(missing)}; their dead letters: ${JSON.stringify(letters.map((m) => ({ consumer: m.headers[DLQ_HEADERS.consumer], reason: m.headers[DLQ_HEADERS.reason] })))}`;
  };

  it(`accepts and stores exactly the valid events, and refuses each invalid one naming its field (${RUNS} runs over HTTP and the bus)`, async () => {
    const now = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(eventCase(HTTP_ORG, now, 'http'), { minLength: 4, maxLength: 8 }), fc.array(eventCase(BUS_ORG, now, 'bus'), { minLength: 4, maxLength: 8 }), async (httpCases, busCases) => {
        const valid = new Map<string, Expected>();
        const refused: string[] = [];

        for (const c of httpCases) {
          const res = await postEvents(stack.service.url, key, c.input);
          const shown = `POST ${JSON.stringify(c.input).slice(0, 300)}`;
          if (c.defect === undefined) {
            if (res.status !== 202) throw new Error(`${shown}: valid, answered ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
            valid.set((res.body.ids as string[])[0], c.expected);
          } else {
            const paths = (res.body.error?.details ?? []).map((d) => d.path);
            if (res.status !== 400 || !paths.includes(c.defect)) {
              throw new Error(`${shown}: invalid in ${c.defect}, answered ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
            }
            if (typeof c.input['id'] === 'string') refused.push(c.input['id'].toLowerCase());
          }
        }

        // The same events again as one batch (fresh ids): all or nothing, each invalid item named by index.
        const batch = httpCases.map((c) => ({ ...c.input, id: randomUUID() }));
        const batchRes = await postEvents(stack.service.url, key, batch);
        const invalidAt = httpCases.flatMap((c, i) => (c.defect === undefined ? [] : [`[${i}].${c.defect}`]));
        if (invalidAt.length === 0) {
          if (batchRes.status !== 202) throw new Error(`valid batch answered ${batchRes.status} ${JSON.stringify(batchRes.body).slice(0, 500)}`);
          (batchRes.body.ids as string[]).forEach((id, i) => valid.set(id, (httpCases[i] as { expected: Expected }).expected));
        } else {
          const paths = new Set((batchRes.body.error?.details ?? []).map((d) => d.path));
          if (batchRes.status !== 400 || !invalidAt.every((p) => paths.has(p))) {
            throw new Error(`batch invalid at ${invalidAt.join(', ')}, answered ${batchRes.status} ${JSON.stringify(batchRes.body).slice(0, 500)}`);
          }
          refused.push(...batch.map((item) => item.id));
        }

        const busRefused = new Map<string, string>();
        for (const c of busCases) {
          // The client assigns the id (and a createdAt when absent) and resolves on the stream's ack.
          const { id } = await client.emit(c.input as AuditEventInput);
          if (c.defect === undefined) valid.set(id, c.expected);
          else busRefused.set(id, c.defect);
        }

        const ids = [...valid.keys()];
        await waitFor(`${ids.length} accepted events in Postgres`, async () => (await storedRows(ids)).length >= ids.length, 20_000).catch(async (error: Error) => {
          throw new Error(`${error.message}\n${await whyMissing(ids)}`);
        });
        const deadLetters = await waitFor(`${busRefused.size} dead letters from ingest`, async () => {
          const letters = await ingestDeadLetters();
          return [...busRefused.keys()].every((id) => letters.has(id)) ? letters : undefined;
        }, 30_000);

        const rows = await storedRows([...ids, ...refused, ...busRefused.keys()]);
        const counts = new Map<string, number>();
        for (const row of rows) counts.set(row.id, (counts.get(row.id) ?? 0) + 1);
        for (const [id, expected] of valid) {
          expect({ id, times: counts.get(id) }).toEqual({ id, times: 1 });
          const { id: storedId, createdAt, ...stored } = rows.find((r) => r.id === id) as Expected & { id: string; createdAt: Date };
          expect({ id: storedId, ...stored, createdAt: createdAt.getTime() }).toEqual({ id, ...expected });
          accepted.set(id, expected);
        }
        for (const id of [...refused, ...busRefused.keys()]) {
          expect({ id, times: counts.get(id) ?? 0 }).toEqual({ id, times: 0 });
          refusedIds.add(id);
        }
        for (const [id, path] of busRefused) {
          const reason = deadLetters.get(id) ?? '';
          if (!reason.includes(`"path":${JSON.stringify(path)}`)) throw new Error(`bus event ${id}, invalid in ${path}, dead-lettered with: ${reason}`);
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(accepted.size).toBeGreaterThan(RUNS * 2);
    expect(refusedIds.size).toBeGreaterThan(RUNS);
  });

  it('counts every accepted event exactly once in ClickHouse, and no refused one', async () => {
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 30_000);
    // chDB binds its directory to one process: read it with the CLI once the platform has stopped.
    const code = await stack.service.stop();
    expect(code).toBe(0);
    const result = await runCliProcess(
      ['sql', `SELECT toString(id) AS id, count() AS n FROM audit_events WHERE organizationId IN ('${HTTP_ORG}', '${BUS_ORG}') AND NOT (actionType = 'UPDATE_ORGANIZATION' AND JSONExtractString(metadata, 'via') = 'cli') GROUP BY id`, '--format', 'json'],
      { ...stack.env, NATS_URL: 'nats://127.0.0.1:9', CLICKHOUSE_PATH: clickhouse.path, CLICKHOUSE_DATABASE: 'audit' },
    );
    if (result.code !== 0) throw new Error(`cli sql exited with ${result.code}: ${result.stderr}`);
    const counted = new Map((JSON.parse(result.stdout) as Array<{ id: string; n: number }>).map((r) => [r.id, r.n]));
    const wrong = [...accepted.keys()].filter((id) => counted.get(id) !== 1).map((id) => ({ id, n: counted.get(id) ?? 0 }));
    expect(wrong).toEqual([]);
    expect([...refusedIds].filter((id) => counted.has(id))).toEqual([]);
    // The platform's own records of the CLI's changes above (key, retention) are left out of the count.
    expect(counted.size).toBe(accepted.size);
  });
});
