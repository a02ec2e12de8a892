import type { INestApplicationContext } from '@nestjs/common';
import { parseTtlSeconds, ROLES, TokensService, type Role } from '@audit/auth';
import { required, UsageError, type Output } from '../output';

/** `token --org <org> --role admin|member [--sub <userId>] [--ttl 1h]`. */
export async function tokenCommand(context: () => Promise<INestApplicationContext>, values: Record<string, string | boolean | undefined>, out: Output): Promise<void> {
  const org = required(values, 'org');
  const role = required(values, 'role');
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  let ttlSeconds: number;
  try {
    ttlSeconds = parseTtlSeconds(typeof values['ttl'] === 'string' ? values['ttl'] : '1h');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const sub = typeof values['sub'] === 'string' ? values['sub'] : null;
  const token = await (await context()).get(TokensService).sign({ organizationId: org, role: role as Role, userId: sub }, ttlSeconds);
  out.result({ token, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() }, () => [token]);
}
