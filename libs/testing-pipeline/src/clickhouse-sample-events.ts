import type { ClickHouseClient } from '@clickhouse/client';
import type { AuditEvent } from '@audit/contracts';
import { ClickHouseEventsRepository, migrateClickHouse, type ClickHouse } from '@audit/clickhouse';
import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';

/** The n-th canonical event of the ClickHouse specs: distinct ids and times, three users, overridable. */
export const sampleEvent = (n: number, overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  schemaVersion: 1,
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  organizationId: 'org-a',
  actionType: 'QUERY_RUN',
  userId: `u${n % 3}`,
  user: { email: `u${n % 3}@example.com`, userName: `User ${n % 3}` },
  ipAddress: '10.0.0.1',
  responseTimeMs: n * 10,
  pageName: null,
  queryName: 'q',
  resourceName: null,
  metadata: { n },
  createdAt: new Date(Date.UTC(2026, 10, 20, 10, n, 0, n)).toISOString(),
  receivedAt: new Date(Date.UTC(2026, 10, 20, 11, 0, 0, n)).toISOString(),
  ...overrides,
});

/** A fresh, migrated embedded ClickHouse database and the events repository over it; drop `ch` after the tests. */
export async function embeddedEventsRepository(): Promise<{ ch: TestClickHouse; client: ClickHouseClient; repo: ClickHouseEventsRepository }> {
  const ch = testClickHouseEnv();
  const client = await ch.client();
  await migrateClickHouse(client);
  return { ch, client, repo: new ClickHouseEventsRepository({ client, insertSettings: {} } as unknown as ClickHouse) };
}
