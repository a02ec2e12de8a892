import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AuditEventsWriteRepository, type Database } from '@audit/persistence';
import { gunzipSync } from 'node:zlib';
import { canonicalEvent, generateEvents, parseExport } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase, MemoryExportStorage, runningExportJob, sealDirectly } from '@audit/testing-pipeline';
import { BundleVerifier, generateNoteKey, parseVerifierKey, receivedThroughLine } from '@audit/transparency';
import type { ExportJob } from './export-jobs.repository';
import { EXPORT_COLUMNS, type ExportFormat } from './export-query';
import { startExport } from './export-runner';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const END = new Date(Date.now() - 3_600_000);
const ROWS = 20_000;

const job = (format: ExportFormat = 'csv'): ExportJob => runningExportJob('acme', { from: new Date(END.getTime() - 24 * 3_600_000), to: END }, format);

describe('startExport on the Database gateway', () => {
  let db: MigratedTestDatabase;
  let database: Database;

  beforeAll(async () => {
    // One connection: the export after the failed one succeeds only if the dead connection was not pooled again.
    db = await createMigratedTestDatabase('audit_export_runner', { PG_POOL_SIZE: '1' });
    database = db.database;
    await generateEvents(db, 'acme', ROWS, END);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('fails an export whose connection dies mid-COPY, discards that connection, and the next export is complete', async () => {
    const killCopy = async (): Promise<void> => {
      const killed = await db.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'COPY%' AND pid <> pg_backend_pid()`,
      );
      expect(killed).toEqual([{ ok: true }]);
    };
    const broken = await startExport(database, new MemoryExportStorage(killCopy), job(), 1, 1);
    await expect(broken.done).rejects.toThrow();

    const storage = new MemoryExportStorage();
    const next = job();
    const running = await startExport(database, storage, next, 1, 1);
    await expect(running.done).resolves.toMatchObject({ rowCount: ROWS });
    expect(running.progress()).toEqual({ rowCount: ROWS, totalRows: ROWS });
    expect(parseExport(storage.only()).rows).toHaveLength(ROWS);
  });

  it("writes CSV and JSON lines newest first, the same rows, with the user's e-mail and name of the event's own organization", async () => {
    // Users for some of the generated user ids; the same ids in another organization must not leak in.
    await db.query(
      `INSERT INTO users ("organizationId", id, email, "userName")
       SELECT o, id, id || '@' || o || '.test', 'Name of ' || id FROM (SELECT DISTINCT "userId" AS id FROM audit_trail_events WHERE "userId" IS NOT NULL LIMIT 5) ids,
         unnest(ARRAY['acme', 'globex']) o
       ON CONFLICT DO NOTHING`,
    );
    // An event whose text holds what could break a line or a cell: JSON lines' quote and delimiter bytes, quotes, backslashes, line breaks.
    const hostile = 'a\u0001b\u0002c\\d"e\nf\r\tg 😀';
    await db.query(
      `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "userId", "pageName", metadata, "createdAt", "receivedAt")
       VALUES ($1, 'acme', 'QUERY_RUN', NULL, $2, $3::jsonb, $4, $4)`,
      [randomUUID(), hostile, JSON.stringify({ query: hostile, [hostile]: [hostile] }), new Date(END.getTime() - 3_600_000)],
    );
    const f = job().filters;
    const expected = await db.query<{ id: string; userId: string | null; email: string | null; userName: string | null; metadata: unknown }>(
      `SELECT a.id, a."userId", u.email, u."userName", a.metadata FROM audit_trail_events a
       LEFT JOIN users u ON u.id = a."userId" AND u."organizationId" = a."organizationId"
       WHERE a."organizationId" = 'acme' AND a."createdAt" >= $1 AND a."createdAt" < $2 ORDER BY a."createdAt" DESC, a.id DESC`,
      [f.from, f.to],
    );
    expect(expected.filter((e) => e.email !== null).length).toBeGreaterThan(0);

    const csvStorage = new MemoryExportStorage();
    const csv = await startExport(database, csvStorage, job('csv'), 1, 1);
    await expect(csv.done).resolves.toMatchObject({ rowCount: expected.length });
    const [csvKey, csvFile] = [...csvStorage.objects.entries()][0];
    expect(csvKey).toMatch(/\.csv\.gz$/);
    const { header, rows } = parseExport(csvFile);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    expect(header.slice(header.indexOf('userId'), header.indexOf('userId') + 3)).toEqual(['userId', 'userEmail', 'userName']);
    const cell = (row: string[], name: string) => row[header.indexOf(name)];
    expect(rows.map((r) => [cell(r, 'id'), cell(r, 'userEmail'), cell(r, 'userName')])).toEqual(expected.map((e) => [e.id, e.email ?? '', e.userName ?? '']));

    const jsonStorage = new MemoryExportStorage();
    const jsonl = await startExport(database, jsonStorage, job('jsonl'), 1, 1);
    await expect(jsonl.done).resolves.toMatchObject({ rowCount: expected.length });
    expect(jsonl.progress()).toEqual({ rowCount: expected.length, totalRows: expected.length });
    const [jsonKey, jsonFile] = [...jsonStorage.objects.entries()][0];
    expect(jsonKey).toMatch(/\.jsonl\.gz$/);
    const text = gunzipSync(jsonFile).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => Object.keys(l))).toEqual(lines.map(() => [...EXPORT_COLUMNS]));
    expect(lines.map((l) => [l.id, l.userEmail, l.userName, l.metadata])).toEqual(expected.map((e) => [e.id, e.email, e.userName, e.metadata]));
    expect(lines.every((l) => typeof l.createdAt === 'string' && /Z$/.test(l.createdAt))).toBe(true);
    expect(lines.filter((l) => l.pageName === hostile)).toHaveLength(1);
    expect(rows.filter((r) => cell(r, 'pageName') === hostile)).toHaveLength(1);
  });

  it('writes a bundle under a checkpoint that signs a received-through time: an event received later stays not yet sealed, one received by then without a leaf fails', async () => {
    const org = 'bundle_through';
    const key = generateNoteKey('audit.test');
    const at = (i: number): Date => new Date(END.getTime() - 3_600_000 + i * 1000);
    // Each event received at its own time (canonicalEvent's `now`), so the signed time falls between them.
    const received = (i: number, userId: string) => canonicalEvent({ organizationId: org, actionType: 'LOGIN', userId, createdAt: at(i).toISOString() }, at(i));
    const sealed = [0, 1, 2].map((i) => received(i, `u-${i}`));
    const later = received(5, 'u-later');
    // Written by the writer but never sealed, though received before the checkpoint's time (outside the pipeline).
    const outside = received(1, 'u-outside');
    await new AuditEventsWriteRepository(database).writeBatch([...sealed, later, outside]);
    await sealDirectly(database, org, sealed, key.signerKey, [receivedThroughLine(sealed[2].receivedAt)]);

    const storage = new MemoryExportStorage();
    const run = await startExport(database, storage, { ...job('bundle'), organizationId: org }, 1, 1);
    await expect(run.done).resolves.toMatchObject({ rowCount: 5 });
    const verifier = new BundleVerifier([parseVerifierKey(key.verifierKey)]);
    verifier.write(gunzipSync(storage.only()));
    const report = verifier.finish();
    expect(report.checkpoints[0]).toMatchObject({ ok: true, size: 3, receivedThrough: sealed[2].receivedAt });
    expect(report.counts).toMatchObject({ verified: 3, pending: 1, failed: 1 });
    expect(report.failures).toEqual([{ eventId: outside.id, leafIndex: null, reasons: [expect.stringMatching(/says it is not yet sealed, but it was received at .* at or before /)] }]);
  });

  it("writes a bundle that verify export's verifier proves with the public key alone: erased and not yet sealed events told apart, a row edited since sealing named", async () => {
    const org = 'bundle_org';
    const key = generateNoteKey('audit.test');
    const at = (i: number): string => new Date(END.getTime() - 3_600_000 + i * 1000).toISOString();
    // Text that JSON escapes, or that JCS and Postgres write differently (U+2028, numbers), in the content.
    const odd = 'a\u2028b\\c"d\te 😀';
    const sealed = Array.from({ length: 6 }, (_, i) =>
      canonicalEvent({
        organizationId: org,
        actionType: 'QUERY_RUN',
        userId: `u-${i}`,
        user: i % 2 === 0 ? { email: `u${i}@example.com`, userName: odd } : null,
        ipAddress: '203.0.113.7',
        responseTimeMs: i,
        pageName: odd,
        metadata: { query: odd, list: [odd, 1.5, 0.30000000000000004, 1e21, -7] },
        createdAt: at(i),
      }),
    );
    const late = canonicalEvent({ organizationId: org, actionType: 'LOGIN', userId: 'u-late', createdAt: at(10) });
    await new AuditEventsWriteRepository(database).writeBatch([...sealed, late]);
    await sealDirectly(database, org, sealed, key.signerKey);
    // Erased as an erasure leaves it (content emptied, the leaf's salt and user snapshot gone); another row edited after sealing.
    await db.query(
      `UPDATE audit_trail_events SET "userId" = NULL, "ipAddress" = NULL, "responseTimeMs" = NULL, "pageName" = NULL, "queryName" = NULL, "resourceName" = NULL, metadata = '{}' WHERE id = $1`,
      [sealed[1].id],
    );
    await db.query(`UPDATE log_leaves SET salt = NULL, "user" = NULL WHERE "eventId" = $1`, [sealed[1].id]);
    await db.query(`UPDATE audit_trail_events SET "ipAddress" = '198.51.100.1' WHERE id = $1`, [sealed[4].id]);

    const storage = new MemoryExportStorage();
    const run = await startExport(database, storage, { ...job('bundle'), organizationId: org }, 1, 1);
    await expect(run.done).resolves.toMatchObject({ rowCount: 7 });
    const [storageKey, file] = [...storage.objects.entries()][0];
    expect(storageKey).toMatch(/\.bundle\.gz$/);
    const verifier = new BundleVerifier([parseVerifierKey(key.verifierKey)]);
    verifier.write(gunzipSync(file));
    const report = verifier.finish();
    expect(report.checkpoints[0]).toMatchObject({ ok: true, size: 6, reasons: [] });
    expect(report.failures).toEqual([{ eventId: sealed[4].id, leafIndex: 4, reasons: ['its content is not what was sealed'] }]);
    expect(report.counts).toMatchObject({ verified: 4, erased: 1, failed: 1, pending: 1 });
    // Read as JSON, a sealed line is the event as sealed: identity from the leaf, content from the opening.
    const lines = gunzipSync(file).toString('utf8').split('\n');
    const newest = JSON.parse(lines[2]) as { leaf: { id: string }; opening: { content: { pageName: string; metadata: unknown } } };
    expect([newest.leaf.id, newest.opening.content.pageName, newest.opening.content.metadata]).toEqual([sealed[5].id, odd, sealed[5].metadata]);
    // Version 3: the six leaves are in one range of 16, whose proven hash the proof line carries.
    expect(JSON.parse(lines[0])).toMatchObject({ bundle: 3 });
    expect(JSON.parse(lines[lines.length - 2])).toEqual({ proof: [], ranges: [expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/)] });
  });
});
