import { Injectable } from '@nestjs/common';
import { Database } from './database';

/**
 * The event id registry (`audit_event_ids`) read by id: the writer claims an id in the same transaction
 * that inserts its event, so a registered id is an event Postgres has stored (or stored and later purged).
 */
@Injectable()
export class EventIdsRepository {
  constructor(private readonly db: Database) {}

  /** Which of `ids` the organization's events already hold; unknown ids and other organizations' are left out. */
  async registered(organizationId: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM audit_event_ids WHERE "organizationId" = $1 AND id = ANY($2::uuid[])`, [organizationId, ids]);
    return rows.map((r) => r.id);
  }
}
