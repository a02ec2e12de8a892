import { Logger } from '@nestjs/common';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase, insertSeedEvents, sealDirectly } from '@audit/testing-pipeline';
import { generateNoteKey, type UnsealedRow } from '@audit/transparency';
import type { Database } from './database';
import { LogVerificationRepository } from './log-verification.repository';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const ORG = 'org_walk';

describe('LogVerificationRepository walk (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('log_walk');
    database = db.database;
  });

  afterAll(async () => {
    await db?.close();
  });

  it('hands the rows no leaf seals in keyset pages of the size asked, each once, and none that a leaf seals', async () => {
    const sealed = Array.from({ length: 8 }, (_, i) => canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: `s-${i}` }));
    await sealDirectly(database, ORG, sealed, generateNoteKey('audit.test').signerKey);
    const at = new Date();
    const rows = (org: string, n: number) => Array.from({ length: n }, () => ({ id: crypto.randomUUID(), organizationId: org, actionType: 'LOGIN', createdAt: at, responseTimeMs: null }));
    const unsealed = rows(ORG, 23);
    // Sealed events stored too, and another organization's unsealed rows: neither may be handed out.
    const stored = sealed.map((e) => ({ id: e.id, organizationId: ORG, actionType: e.actionType, createdAt: new Date(e.createdAt), responseTimeMs: null }));
    await insertSeedEvents((sql, params) => db.query(sql, params), [...unsealed, ...stored, ...rows('org_walk_other', 5)]);

    for (const pageSize of [1, 5, 10, 23, 100]) {
      const pages: UnsealedRow[][] = [];
      await new LogVerificationRepository(database).walk(ORG, (walk) => walk.unsealed(pageSize, (page) => void pages.push(page)));
      expect(pages.map((p) => p.length)).toEqual(Array.from({ length: Math.ceil(23 / pageSize) }, (_, i) => Math.min(pageSize, 23 - i * pageSize)));
      const ids = pages.flat().map((r) => r.id);
      expect(ids).toEqual(unsealed.map((r) => r.id).sort());
    }
  });
});
