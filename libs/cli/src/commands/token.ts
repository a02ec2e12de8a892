import { Option, type Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseTtlSeconds, readAuthConfig, ROLES, TokenRequestError, TokensService, type Role } from '@audit/auth';
import { action, NEEDS, type CliSession } from '../cli-context';
import { orgOption } from '../options';
import { UsageError, type Output } from '../output';

const FLAG_OF: Record<TokenRequestError['field'], string> = { organizationId: '--org', userId: '--sub', ttlSeconds: '--ttl' };

export interface TokenOptions {
  org: string;
  role: Role;
  sub?: string;
  ttl: number;
}

function parseTtl(value: string): number {
  try {
    return parseTtlSeconds(value);
  } catch {
    throw new InvalidArgumentError('Expected a lifetime such as 15m, 1h or 24h.');
  }
}

/** Signs the token; a lifetime beyond AUTH_MAX_TOKEN_LIFETIME or an unusable --sub is a usage error naming the flag. */
export async function mintToken(tokens: TokensService, options: TokenOptions, out: Output): Promise<void> {
  let token: string;
  try {
    token = await tokens.sign({ organizationId: options.org, role: options.role, userId: options.sub ?? null }, options.ttl);
  } catch (error) {
    if (error instanceof TokenRequestError) throw new UsageError(`${FLAG_OF[error.field]} ${error.reason}`);
    throw error;
  }
  out.result({ token, expiresAt: new Date(Date.now() + options.ttl * 1000).toISOString() }, () => [token]);
}

/**
 * `token --org <org> --role admin|member [--sub <userId>] [--ttl 1h]`: signed with AUTH_JWT_SECRET (or the
 * embedded secret file); needs no server at all.
 */
export function tokenCommand(program: Command, session: CliSession): void {
  program
    .command('token')
    .description('mint an HS256 bearer token for the API and the console (prints the token alone; --json adds expiresAt)')
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('--role <role>', 'what the token may do').choices(ROLES).makeOptionMandatory())
    .addOption(new Option('--sub <userId>', 'the user the token acts as (recorded in its claims)'))
    .addOption(new Option('--ttl <duration>', 'lifetime, at most AUTH_MAX_TOKEN_LIFETIME').default(3600, '1h').argParser(parseTtl))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- token --org acme --role admin --sub ada\n  $ npm run cli -- token --org acme --role member --ttl 15m --json   # {"token":"eyJ…","expiresAt":"…"}')
    .action(
      action<TokenOptions>(session, NEEDS.nothing, async ({ options, out }) => {
        await mintToken(new TokensService(readAuthConfig()), options, out);
      }),
    );
}
