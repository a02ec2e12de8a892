import { Command, CommanderError } from 'commander';
import { CliSession, processIo, type CliIo, type PrepareServers } from './cli-context';
import { demoCommand } from './commands/demo';
import { emitterCommand } from './commands/emitter';
import { eraseCommand } from './commands/erase';
import { keysCommand } from './commands/keys';
import { migrateCommand } from './commands/migrate';
import { projectionsCommand } from './commands/projections';
import { redactionCommand } from './commands/redaction';
import { retentionCommand } from './commands/retention';
import { sealKeyCommand } from './commands/seal-key';
import { sqlCommand } from './commands/sql';
import { streamsCommand } from './commands/streams';
import { tokenCommand } from './commands/token';
import { verifyCommand } from './commands/verify';
import { NotVouchedError, UsageError } from './output';

/**
 * 0: done; 1: the command failed (a server refused, nothing matched); 2: it was called wrongly, and nothing was
 * touched; 3: `verify export` found nothing wrong but some events are not vouched for (not yet sealed).
 */
export type ExitCode = 0 | 1 | 2 | 3;

export const PROGRAM_NAME = 'npm run cli --';

const HINT = '(add --help for the options and examples)';

const PROGRAM_HELP = `
Every command takes --json: one JSON document on stdout (on failure {"error": "..."}).
Exit codes: 0 done, 1 failed, 2 wrong usage (nothing was changed), 3 verify export: nothing failed but some events are not vouched (not yet sealed).

Examples:
  $ npm run cli -- keys create --org acme
  $ npm run cli -- demo --org acme --events 5000
  $ npm run cli -- token --org acme --role admin --sub ada
  $ npm run cli -- keys --help`;

/** The whole command tree; every command and option is declared here or in its file under commands/. */
export function buildProgram(session: CliSession): Command {
  const program = new Command(PROGRAM_NAME)
    .description('Operate the audit trail platform: ingest keys, admin tokens, redaction, retention, schema, projections, SQL, demo data.')
    .option('--json', 'print one JSON document on stdout (for scripts)')
    // Settings below are copied into every command added after them.
    .exitOverride()
    .configureOutput({ writeOut: session.io.stdout, writeErr: session.io.stderr })
    .showHelpAfterError(HINT)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', PROGRAM_HELP);
  keysCommand(program, session);
  tokenCommand(program, session);
  redactionCommand(program, session);
  retentionCommand(program, session);
  migrateCommand(program, session);
  projectionsCommand(program, session);
  sqlCommand(program, session);
  demoCommand(program, session);
  emitterCommand(program, session);
  streamsCommand(program, session);
  sealKeyCommand(program, session);
  verifyCommand(program, session);
  eraseCommand(program, session);
  return program;
}

/** The full path of a command as typed: `keys create`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export interface RunCliOptions {
  io?: CliIo;
  /** Brings up the servers a command needs; by default nothing is started (the environment names them). */
  prepare?: PrepareServers;
}

/** Parses argv, runs one command, and returns the process exit code. */
export async function runCli(argv: string[], options: RunCliOptions = {}): Promise<ExitCode> {
  const session = new CliSession(options.io ?? processIo, options.prepare ?? (async () => async () => undefined));
  const program = buildProgram(session);
  let running: Command = program;
  program.hook('preAction', (_program, actionCommand) => {
    running = actionCommand;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help asked for is done (0); help shown because a command was left out, or a parse error, is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      session.io.stderr(`error: ${error.message}\n(npm run cli -- ${commandPath(running)} --help shows its options and examples)\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof NotVouchedError) {
      // The report on stdout already says it all (its JSON included): a warning, not a second document.
      session.io.stderr(`warning: ${message}\n`);
      return 3;
    }
    if (session.json) session.io.stdout(`${JSON.stringify({ error: message })}\n`);
    session.io.stderr(`error: ${message}\n`);
    return 1;
  } finally {
    await session.close();
  }
}
