import { Inject, Injectable } from '@nestjs/common';
import { RedactionRulesRepository } from '@audit/persistence';
import type { LastKnownCache } from '@audit/platform';
import { INGEST_CONFIG, type IngestConfig } from './config';
import { organizationLookupCache } from './lookup-cache';
import type { RedactionPolicy } from './redaction';

/**
 * Each organization's redaction policy, read from its rules and cached for REDACTION_CACHE_TTL; while
 * Postgres is unreachable the last rules read are applied (see {@link organizationLookupCache}).
 */
@Injectable()
export class RedactionPolicyService {
  private readonly cache: LastKnownCache<string, ReadonlySet<string>>;

  constructor(
    private readonly rules: RedactionRulesRepository,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {
    this.cache = organizationLookupCache('redaction_rules', 'redaction rules', config.redactionCacheMs, config);
  }

  async policyFor(organizationId: string): Promise<RedactionPolicy> {
    const hidden = await this.cache.get(organizationId, async () => new Set((await this.rules.list(organizationId)).map((r) => r.queryName)));
    return { hideAllHeaders: this.config.hideAllHeaders, hiddenParameterQueries: hidden };
  }
}
