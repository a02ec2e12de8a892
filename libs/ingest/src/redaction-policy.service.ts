import { Inject, Injectable } from '@nestjs/common';
import { RedactionRulesRepository } from '@audit/persistence';
import { INGEST_CONFIG, type IngestConfig } from './config';
import type { RedactionPolicy } from './redaction';

/** Each organization's redaction policy, read from its rules and cached briefly. */
@Injectable()
export class RedactionPolicyService {
  private readonly cache = new Map<string, { hidden: ReadonlySet<string>; until: number }>();

  constructor(
    private readonly rules: RedactionRulesRepository,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  async policyFor(organizationId: string): Promise<RedactionPolicy> {
    const now = Date.now();
    let entry = this.cache.get(organizationId);
    if (!entry || entry.until <= now) {
      const rules = await this.rules.list(organizationId);
      entry = { hidden: new Set(rules.map((r) => r.queryName)), until: now + this.config.redactionCacheMs };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(organizationId, entry);
    }
    return { hideAllHeaders: this.config.hideAllHeaders, hiddenParameterQueries: entry.hidden };
  }
}
