import type { Command } from 'commander';
import fc from 'fast-check';
import { CliSession, type CliIo } from './cli-context';
import { MAX_RETENTION_DAYS } from '@audit/retention';
import { generateNoteKey } from '@audit/transparency';
import { parseRetentionDays } from './commands/retention';
import { buildProgram, commandPath, runCli } from './run-cli';

/** What the command would have reached next: the servers. The spec stops there, so it touches nothing. */
const REACHED_SERVERS = 'reached the servers';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string; prepared: boolean }> {
  let stdout = '';
  let stderr = '';
  let prepared = false;
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
  const code = await runCli(argv, {
    io,
    prepare: async () => {
      prepared = true;
      throw new Error(REACHED_SERVERS);
    },
  });
  return { code, stdout, stderr, prepared };
}

/** A value each mandatory option accepts. */
const VALID: Record<string, string> = {
  '--org': 'acme',
  '--id': '0193f1c2-7a4e-7c1d-9b2a-5e8f0a1b2c3d',
  '--role': 'admin',
  '--query': 'getSecrets',
  '--days': '30',
  '--reason': 'audit',
  '--key': generateNoteKey('audit-trail').verifierKey,
  '--user': 'u-42',
  '--file': 'streams.yaml',
};

/** Every command a person can run (the leaves of the tree), as typed after `npm run cli --`. */
function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
}
const program = buildProgram(new CliSession({ stdout: () => undefined, stderr: () => undefined }, async () => async () => undefined));
const COMMANDS = leaves(program).map((c) => ({ path: commandPath(c).split(' '), mandatory: c.options.filter((o) => o.mandatory).map((o) => o.long ?? '') }));

describe('cli: help, usage errors and exit codes of every command, without touching a server', () => {
  it('knows every command the README lists', () => {
    expect(COMMANDS.map((c) => c.path.join(' '))).toEqual([
      'keys create',
      'keys list',
      'keys revoke',
      'token',
      'redaction hide-parameters',
      'redaction show-parameters',
      'redaction list',
      'retention set',
      'retention show',
      'retention hold',
      'retention release',
      'retention run',
      'migrate',
      'projections rebuild',
      'sql',
      'demo',
      'emitter',
      'streams provision',
      'streams apply',
      'streams export',
      'seal-key',
      'verify export',
      'verify log',
      'erase',
    ]);
  });

  it.each(COMMANDS.map((c) => [c.path.join(' '), c.path] as const))('%s --help prints its usage and examples on stdout and exits 0', async (_, path) => {
    for (const argv of [[...path, '--help'], [...path, '-h'], [...path.slice(0, -1), 'help', ...path.slice(-1)]]) {
      const result = await cli(argv);
      expect({ argv, code: result.code, stderr: result.stderr, prepared: result.prepared }).toEqual({ argv, code: 0, stderr: '', prepared: false });
      expect(result.stdout).toContain(`Usage: npm run cli -- ${path.join(' ')}`);
      expect(result.stdout).toMatch(new RegExp(`Examples:\\n {2}\\$ (\\S+=\\S+ )*npm run cli -- ${path.join(' ')}`));
      expect(result.stdout).toContain('--json');
    }
  });

  it.each(COMMANDS.filter((c) => c.mandatory.length > 0).map((c) => [c.path.join(' '), c] as const))(
    '%s without a required option names it in one line, exits 2 and starts nothing',
    async (_, { path, mandatory }) => {
      const result = await cli([...path]);
      expect({ code: result.code, stdout: result.stdout, prepared: result.prepared }).toEqual({ code: 2, stdout: '', prepared: false });
      expect(result.stderr).toMatch(new RegExp(`^error: required option '${mandatory[0]} <[^>]+>' not specified\\n\\(add --help for the options and examples\\)\\n$`));
    },
  );

  it.each(COMMANDS.map((c) => [c.path.join(' '), c] as const))('%s refuses an unknown option in two lines, exit 2', async (_, { path, mandatory }) => {
    const positional = path[0] === 'sql' ? ['select 1'] : path.join(' ') === 'verify export' ? ['bundle.gz'] : [];
    const result = await cli([...path, ...positional, ...mandatory.flatMap((name) => [name, VALID[name]]), '--bogus']);
    expect(result).toEqual({ code: 2, stdout: '', stderr: "error: unknown option '--bogus'\n(add --help for the options and examples)\n", prepared: false });
  });

  it('without a command, or with a group alone, shows that help on stderr and exits 2; an unknown command is named', async () => {
    const none = await cli([]);
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 2, stdout: '' });
    expect(none.stderr).toContain('Usage: npm run cli -- [options] [command]');
    expect(none.stderr).toContain('Exit codes: 0 done, 1 failed, 2 wrong usage');
    const group = await cli(['keys']);
    expect({ code: group.code, stdout: group.stdout }).toEqual({ code: 2, stdout: '' });
    expect(group.stderr).toContain('Usage: npm run cli -- keys [options] [command]');
    expect(await cli(['frobnicate'])).toEqual({ code: 2, stdout: '', stderr: "error: unknown command 'frobnicate'\n(add --help for the options and examples)\n", prepared: false });
    expect((await cli(['keys', 'revok'])).stderr).toContain('(Did you mean revoke?)');
  });

  it.each([
    [['keys', 'revoke', '--id', 'nope'], "option '--id <id>' argument 'nope' is invalid. Expected an id as \"keys list\" prints it (a UUID)."],
    [['keys', 'create', '--org', 'not a valid org!'], "option '--org <org>' argument 'not a valid org!' is invalid. An organization id is 1 to 64"],
    [['token', '--org', 'acme', '--role', 'owner'], "option '--role <role>' argument 'owner' is invalid. Allowed choices are admin, member."],
    [['token', '--org', 'acme', '--role', 'admin', '--ttl', 'forever'], "option '--ttl <duration>' argument 'forever' is invalid. Expected a lifetime such as 15m"],
    [['redaction', 'hide-parameters', '--org', 'acme', '--query', ''], "option '--query <queryName>' argument '' is invalid. Expected 1 to 1024 characters."],
    [['retention', 'set', '--org', 'acme', '--days', '-5'], "option '--days <n|default>' argument '-5' is invalid. Expected a whole number of days from 0"],
    [['retention', 'set', '--org', 'acme', '--days', '1.5'], "option '--days <n|default>' argument '1.5' is invalid."],
    [['retention', 'hold', '--org', 'acme', '--reason', ' '], "option '--reason <text>' argument ' ' is invalid. Expected 1 to 1000 characters."],
    [['projections', 'rebuild', '--since', 'last tuesday'], "option '--since <date>' argument 'last tuesday' is invalid. Expected an ISO-8601 date"],
    [['sql', 'select 1', '--format', 'xml'], "option '--format <format>' argument 'xml' is invalid. Allowed choices are table, csv, json."],
    [['sql', 'select 1', 'select 2'], "too many arguments for 'sql'. Expected 1 argument but got 2."],
    [['demo', '--org', 'acme', '--events', '0'], "option '--events <n>' argument '0' is invalid. Expected a whole number from 1 to 10000000."],
    [['demo', '--org', 'acme', '--events', '-5'], "option '--events <n>' argument '-5' is invalid."],
    [['demo', '--org', 'acme', '--span', 'a week'], "option '--span <duration>' argument 'a week' is invalid. Expected a duration"],
    [['demo', '--org', 'acme', '--wait', '-1s'], "option '--wait <duration>' argument '-1s' is invalid."],
    // Past the maximum, the option is named: --span 99999d was refused as a createdAt before 1970.
    [['demo', '--org', 'acme', '--span', '99999d'], "option '--span <duration>' argument '99999d' is invalid. Expected a duration of at most 10000d."],
    [['demo', '--org', 'acme', '--span', '99999999999d'], "option '--span <duration>' argument '99999999999d' is invalid. Expected a duration of at most 10000d."],
    [['verify', 'log', '--org', 'acme', '--pending-window', '99999999999d'], "option '--pending-window <duration>' argument '99999999999d' is invalid. Expected a duration of at most 10000d."],
    [['streams', 'provision', 'now'], "too many arguments for 'provision'."],
  ])('%j is a usage error naming the option, before any server', async (argv, message) => {
    const result = await cli(argv);
    expect({ code: result.code, stdout: result.stdout, prepared: result.prepared }).toEqual({ code: 2, stdout: '', prepared: false });
    expect(result.stderr).toContain(`error: ${message}`);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(2);
  });

  it('accepts valid options and then, only then, asks for the servers (a failure there is exit 1, with --json also on stdout)', async () => {
    const result = await cli(['keys', 'create', '--org', 'acme', '--json']);
    expect(result).toEqual({ code: 1, stdout: `${JSON.stringify({ error: REACHED_SERVERS })}\n`, stderr: `error: ${REACHED_SERVERS}\n`, prepared: true });
    // Global --json before the command works too; without it the failure is on stderr alone.
    expect((await cli(['--json', 'demo', '--org', 'acme', '--seed', '-7'])).stdout).toBe(`${JSON.stringify({ error: REACHED_SERVERS })}\n`);
    expect(await cli(['token', '--org', 'acme', '--role', 'admin'])).toMatchObject({ code: 1, stdout: '', prepared: true });
  });

  it('--days takes any integer, negative included, as its value: 0 to the maximum are kept as given, every other is refused naming --days', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ min: -100, max: MAX_RETENTION_DAYS + 100 }), fc.integer()), async (days) => {
        const result = await cli(['retention', 'set', '--days', String(days), '--org', 'acme']);
        if (days >= 0 && days <= MAX_RETENTION_DAYS) {
          expect(parseRetentionDays(String(days))).toBe(days);
          expect({ code: result.code, prepared: result.prepared }).toEqual({ code: 1, prepared: true });
        } else {
          expect({ code: result.code, prepared: result.prepared }).toEqual({ code: 2, prepared: false });
          expect(result.stderr).toContain(`error: option '--days <n|default>' argument '${days}' is invalid.`);
        }
      }),
      { numRuns: 60 },
    );
    expect(parseRetentionDays('default')).toBe('default');
  });

  it('the value a command receives is the number typed, negative included: --days and --seed round-trip through the parser', async () => {
    /** Parses argv with the real command tree, stops where the servers would be brought up, returns the command's options. */
    const parsed = async (argv: string[]): Promise<Record<string, unknown>> => {
      const tree = buildProgram(new CliSession({ stdout: () => undefined, stderr: () => undefined }, () => Promise.reject(new Error(REACHED_SERVERS))));
      await expect(tree.parseAsync(argv, { from: 'user' })).rejects.toThrow(REACHED_SERVERS);
      const command = argv.filter((a) => !a.startsWith('-')).slice(0, 2).reduce<Command | undefined>((c, name) => c?.commands.find((s) => s.name() === name) ?? c, tree);
      return command?.opts() ?? {};
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: MAX_RETENTION_DAYS }), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), async (days, seed) => {
        expect(await parsed(['retention', 'set', '--org', 'acme', '--days', String(days)])).toEqual({ org: 'acme', days });
        expect(await parsed(['demo', '--org', 'acme', '--seed', String(seed), '--wait', '0s'])).toEqual({ org: 'acme', seed, events: 1000, span: 7 * 86_400_000, wait: 0 });
      }),
      { numRuns: 40 },
    );
  });
});
