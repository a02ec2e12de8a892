import type { INestApplicationContext } from '@nestjs/common';
import { RedactionRulesRepository } from '@audit/persistence';
import { required, UsageError, type Output } from '../output';

/** `redaction hide-parameters|show-parameters --org <org> --query <queryName>`, `redaction list [--org <org>]`. */
export async function redactionCommand(context: () => Promise<INestApplicationContext>, action: string | undefined, values: Record<string, string | boolean | undefined>, out: Output): Promise<void> {
  const rules = async (): Promise<RedactionRulesRepository> => (await context()).get(RedactionRulesRepository);
  switch (action) {
    case 'hide-parameters': {
      const org = required(values, 'org');
      const query = required(values, 'query');
      await (await rules()).hideParameters(org, query);
      out.result({ organizationId: org, queryName: query, hideParameters: true }, () => [
        `parameters of query "${query}" are now hidden for organization "${org}" (events ingested from now on; a running ingest applies it within REDACTION_CACHE_TTL, 5s by default)`,
      ]);
      return;
    }
    case 'show-parameters': {
      const org = required(values, 'org');
      const query = required(values, 'query');
      const removed = await (await rules()).remove(org, query);
      if (!removed) throw new UsageError(`no rule hides the parameters of "${query}" for "${org}"`);
      out.result({ organizationId: org, queryName: query, hideParameters: false }, () => [`parameters of query "${query}" are logged again for "${org}"`]);
      return;
    }
    case 'list': {
      const org = typeof values['org'] === 'string' ? values['org'] : undefined;
      const list = await (await rules()).list(org);
      out.result({ items: list }, () => (list.length === 0 ? ['no rules'] : list.map((r) => `${r.organizationId}  ${r.queryName}  hide parameters`)));
      return;
    }
    default:
      throw new UsageError('usage: redaction hide-parameters|show-parameters --org <org> --query <queryName> | redaction list [--org <org>]');
  }
}
