import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { ConfigError } from '@audit/platform';
import { openCliContext } from './cli-context';
import { demoCommand } from './commands/demo';
import { emitterCommand } from './commands/emitter';
import { streamsCommand } from './commands/streams';
import { projectionsCommand } from './commands/projections';
import { sqlCommand } from './commands/sql';
import { keysCommand } from './commands/keys';
import { migrateCommand } from './commands/migrate';
import { redactionCommand } from './commands/redaction';
import { retentionCommand } from './commands/retention';
import { sealKeyCommand } from './commands/seal-key';
import { tokenCommand } from './commands/token';
import { createOutput, UsageError } from './output';

export const USAGE = `usage: npm run cli -- <command> [options] [--json]

  keys create --org <org> [--name <name>]      create an ingest key (printed once)
  keys list [--org <org>]                      list keys (never the keys themselves)
  keys revoke --id <id>                        revoke a key
  token --org <org> --role admin|member [--sub <userId>] [--ttl 1h]
                                               mint a bearer token for the API
  redaction hide-parameters --org <org> --query <queryName>
  redaction show-parameters --org <org> --query <queryName>
  redaction list [--org <org>]
  migrate                                      apply pending Postgres and ClickHouse migrations
  projections rebuild [--org <org>] [--since <date>]
                                               reload ClickHouse from Postgres (the system of record)
  sql "<query>" [--format table|csv|json]      read-only SQL on ClickHouse
  demo --org <org> --events <n> [--span 7d] [--seed 42]
                                               publish realistic events of all 34 types on the bus
  emitter --org <org>                          the NATS user an emitter of <org> connects as (embedded defaults)
  streams provision                            create or update the AUDIT_* streams (as the NATS provisioner)
  retention set --org <org> --days <n|default> keep <n> days of the organization (0 = forever)
  retention show [--org <org>]                 the default and each organization's retention and hold
  retention hold --org <org> --reason <text>   legal hold: nothing of the organization is deleted
  retention release --org <org>                lift the legal hold
  retention run [--dry-run]                    purge now (or print what would go), per organization and store
  seal-key [--name <name>]                     a new signing key for the sealer (SEAL_PRIVATE_KEY) and its verifier key
`;

/** Parses argv, runs one command, and returns the process exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, action] = parsed.positionals;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const out = createOutput(values['json'] === true);
  if (!command || values['help']) {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  // Migrations are the `migrate` command's own output; every other command migrates silently at open.
  if (command === 'migrate') process.env.MIGRATE_ON_START = 'false';
  // Opened on first use, so a command refuses bad options before it touches a database.
  let ctx: INestApplicationContext | undefined;
  const context = async (): Promise<INestApplicationContext> => (ctx ??= await openCliContext(['migrate', 'projections', 'sql'].includes(command)));
  try {
    switch (command) {
      case 'keys':
        await keysCommand(context, action, values, out);
        break;
      case 'token':
        await tokenCommand(context, values, out);
        break;
      case 'redaction':
        await redactionCommand(context, action, values, out);
        break;
      case 'migrate':
        await migrateCommand(await context(), out);
        break;
      case 'projections':
        await projectionsCommand(context, action, values, out);
        break;
      case 'sql':
        await sqlCommand(context, action, values, out);
        break;
      case 'retention':
        await retentionCommand(context, action, values, out);
        break;
      case 'streams':
        await streamsCommand(action, out);
        break;
      case 'emitter':
        await emitterCommand(values, out);
        break;
      case 'seal-key':
        sealKeyCommand(values, out);
        break;
      case 'demo':
        await demoCommand(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', values, out);
        break;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
    if (out.json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    process.stderr.write(`error: ${message}\n`);
    return 1;
  } finally {
    await ctx?.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      org: { type: 'string' },
      name: { type: 'string' },
      id: { type: 'string' },
      role: { type: 'string' },
      sub: { type: 'string' },
      ttl: { type: 'string' },
      query: { type: 'string' },
      events: { type: 'string' },
      span: { type: 'string' },
      seed: { type: 'string' },
      since: { type: 'string' },
      format: { type: 'string' },
      days: { type: 'string' },
      reason: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
