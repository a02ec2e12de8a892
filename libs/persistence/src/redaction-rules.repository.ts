import { Injectable } from '@nestjs/common';
import { Database } from './database';
import { RedactionRuleEntity } from './entities';

export interface RedactionRule {
  organizationId: string;
  queryName: string;
  kind: 'hide_parameters';
  createdAt: Date;
}

/** Per-organization rules naming the queries whose parameters are hidden. */
@Injectable()
export class RedactionRulesRepository {
  constructor(private readonly db: Database) {}

  private get repo() {
    return this.db.repository(RedactionRuleEntity);
  }

  async hideParameters(organizationId: string, queryName: string): Promise<void> {
    await this.repo.upsert({ organizationId, queryName, kind: 'hide_parameters' }, ['organizationId', 'queryName']);
  }

  /** Removes a rule; returns false when there was none. */
  async remove(organizationId: string, queryName: string): Promise<boolean> {
    const result = await this.repo.delete({ organizationId, queryName });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Makes `queryNames` exactly the organization's hidden-parameter queries, in one transaction: the rules
   * of other names go, the new ones come, the kept ones keep their date. Returns what was added and removed.
   */
  async replace(organizationId: string, queryNames: readonly string[]): Promise<{ added: string[]; removed: string[] }> {
    return this.db.transaction(async (sql) => {
      const removed = await sql.query<{ queryName: string }>(
        'DELETE FROM redaction_rules WHERE "organizationId" = $1 AND NOT ("queryName" = ANY($2::text[])) RETURNING "queryName"',
        [organizationId, queryNames],
      );
      const added = await sql.query<{ queryName: string }>(
        `INSERT INTO redaction_rules ("organizationId", "queryName", kind) SELECT $1, name, 'hide_parameters' FROM unnest($2::text[]) AS name
         ON CONFLICT ("organizationId", "queryName") DO NOTHING RETURNING "queryName"`,
        [organizationId, queryNames],
      );
      const names = (rows: { queryName: string }[]) => rows.map((r) => r.queryName).sort();
      return { added: names(added.rows), removed: names(removed.rows) };
    });
  }

  async list(organizationId?: string): Promise<RedactionRule[]> {
    const rows = await this.repo.find({ where: organizationId ? { organizationId } : {}, order: { organizationId: 'ASC', queryName: 'ASC' } });
    return rows.map((r) => ({ organizationId: r.organizationId, queryName: r.queryName, kind: r.kind, createdAt: r.createdAt }));
  }
}
