import type { INestApplicationContext } from '@nestjs/common';
import { parseTtlSeconds, ROLES, TokenRequestError, TokensService, type Role } from '@audit/auth';
import { required, UsageError, type Output } from '../output';

const FLAG_OF: Record<TokenRequestError['field'], string> = { organizationId: '--org', userId: '--sub', ttlSeconds: '--ttl' };

/** `token --org <org> --role admin|member [--sub <userId>] [--ttl 1h]`: `--ttl` at most AUTH_MAX_TOKEN_LIFETIME (24h by default). */
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
  let token: string;
  try {
    token = await (await context()).get(TokensService).sign({ organizationId: org, role: role as Role, userId: sub }, ttlSeconds);
  } catch (error) {
    // A lifetime beyond AUTH_MAX_TOKEN_LIFETIME or an unusable --sub: the services would refuse the token.
    if (error instanceof TokenRequestError) throw new UsageError(`${FLAG_OF[error.field]} ${error.reason}`);
    throw error;
  }
  out.result({ token, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() }, () => [token]);
}
