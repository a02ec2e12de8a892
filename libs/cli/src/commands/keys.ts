import type { INestApplicationContext } from '@nestjs/common';
import { ApiKeysService } from '@audit/auth';
import { required, UsageError, type Output } from '../output';

/** `keys create --org <org> [--name <name>]`, `keys list [--org <org>]`, `keys revoke --id <id>`. */
export async function keysCommand(context: () => Promise<INestApplicationContext>, action: string | undefined, values: Record<string, string | boolean | undefined>, out: Output): Promise<void> {
  const keys = async (): Promise<ApiKeysService> => (await context()).get(ApiKeysService);
  switch (action) {
    case 'create': {
      const org = required(values, 'org');
      const name = typeof values['name'] === 'string' ? values['name'] : 'default';
      const { key, record } = await (await keys()).create(org, name);
      out.result({ key, id: record.id, organizationId: record.organizationId, name: record.name }, () => [
        `Ingest key for organization "${org}" (shown once, store it now):`,
        key,
        `id: ${record.id}`,
      ]);
      return;
    }
    case 'list': {
      const org = typeof values['org'] === 'string' ? values['org'] : undefined;
      const records = await (await keys()).list(org);
      out.result({ items: records }, () =>
        records.length === 0
          ? ['no keys']
          : records.map((r) => `${r.id}  ${r.organizationId}  ${r.name}  ${r.keyPrefix}…  ${r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : 'active'}`),
      );
      return;
    }
    case 'revoke': {
      const id = required(values, 'id');
      const revoked = await (await keys()).revoke(id);
      if (!revoked) throw new Error(`no active key with id ${id}`);
      out.result({ revoked: id }, () => [`revoked ${id}`]);
      return;
    }
    default:
      throw new UsageError('usage: keys create --org <org> [--name <name>] | keys list [--org <org>] | keys revoke --id <id>');
  }
}
