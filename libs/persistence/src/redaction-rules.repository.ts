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

  async list(organizationId?: string): Promise<RedactionRule[]> {
    const rows = await this.repo.find({ where: organizationId ? { organizationId } : {}, order: { organizationId: 'ASC', queryName: 'ASC' } });
    return rows.map((r) => ({ organizationId: r.organizationId, queryName: r.queryName, kind: r.kind, createdAt: r.createdAt }));
  }
}
