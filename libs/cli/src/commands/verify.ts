import { stat } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { LogVerificationRepository, TransparencyLogRepository } from '@audit/persistence';
import { LogVerifier, NoteError, parseVerifierKey, type LogVerificationReport, type NoteVerifier } from '@audit/transparency';
import { verifyBundleFile } from '../bundle-file';
import { action, NEEDS, type CliSession } from '../cli-context';
import { NOT_A_FILE, readOptionFile, whyUnreadable } from '../option-file';
import { durationParser, MAX_LOOKBACK_DAYS, orgOption } from '../options';
import { NotVouchedError, UsageError, type Output } from '../output';
import { progressBar } from '../progress';

/** `--key`: a verifier key in the signed-note text form `name+keyid+base64`, as `seal-key` and /v1/log/keys print it. */
export function parseKeyOption(value: string, previous: string[] = []): string[] {
  try {
    parseVerifierKey(value.trim());
  } catch (error) {
    throw new InvalidArgumentError(`Expected a verifier key "name+keyid+base64" as seal-key or /v1/log/keys print it (${error instanceof NoteError ? error.message : 'unreadable'}).`);
  }
  return [...previous, value.trim()];
}

/** Failed events printed one per line for people; --json lists them all. */
const MAX_NAMED = 200;
const PAGE = 10_000;

/** Draws a progress bar on stderr at most a few times a second, and ends its line. */
export function progressReporter(session: CliSession, what: string, total: number): { tick(done: number): void; end(done: number): void } {
  let last = 0;
  const draw = (done: number) => session.progress(`\r${what} ${progressBar(done, total)} ${done}/${total}`);
  return {
    tick(done) {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      draw(done);
    },
    end(done) {
      if (last > 0) {
        draw(done);
        session.progress('\n');
      }
    },
  };
}

/**
 * The summary line: `N verified, N erased, N failed`, with the pending and purged counts when there are any.
 * Pending events are said to be not vouched: nothing signed covers them, so their content is a claim.
 */
export function summaryLine(report: LogVerificationReport): string {
  const { verified, erased, failed, pending, purged } = report.counts;
  const extra = [pending > 0 ? `${pending} not yet sealed, not vouched` : '', purged > 0 ? `${purged} purged by retention` : ''].filter(Boolean);
  return [`${verified} verified, ${erased} erased, ${failed} failed`, ...extra].join(', ');
}

/** What a checkpoint's line of the report says it covers: its leaves, and the time it vouches for when it signs one. */
function coverage(c: LogVerificationReport['checkpoints'][number]): string {
  if (c.size === null) return '';
  return ` (${c.size} leaves${c.receivedThrough ? `, every event received through ${c.receivedThrough}` : ''})`;
}

/**
 * Prints a verification report (every failure named) and fails the command: exit 1 when anything failed;
 * with `unvouchedFails`, exit 3 when nothing failed but some events are not yet sealed (a bundle's lines
 * that say so are vouched for by nothing: a sealed line rewritten as one would pass as such).
 */
export function printReport(out: Output, report: LogVerificationReport, { unvouchedFails = false }: { unvouchedFails?: boolean } = {}): void {
  out.result(
    {
      ok: report.ok,
      vouched: report.ok && report.counts.pending === 0,
      counts: report.counts,
      checkpoints: report.checkpoints.map(({ source, size, ok, reasons, receivedThrough }) => ({ source, size, ok, reasons, receivedThrough: receivedThrough ?? null })),
      failures: report.failures,
      unnamedFailures: report.unnamedFailures,
    },
    () => [
      ...report.checkpoints.map((c) =>
        c.size === null && c.ok ? `${c.source} checkpoint: none yet (nothing is sealed)` : `${c.source} checkpoint${coverage(c)}: ${c.ok ? 'ok' : `FAILED: ${c.reasons.join('; ')}`}`,
      ),
      ...report.failures.slice(0, MAX_NAMED).map((f) => `FAILED ${f.eventId ?? '(no event id)'}${f.leafIndex === null ? '' : ` leaf #${f.leafIndex}`}: ${f.reasons.join('; ')}`),
      ...(report.failures.length + report.unnamedFailures > MAX_NAMED ? [`… and ${report.failures.length + report.unnamedFailures - MAX_NAMED} more (--json lists ${report.unnamedFailures > 0 ? `the first ${report.failures.length}` : 'them all'})`] : []),
      summaryLine(report),
    ],
  );
  if (!report.ok) throw new Error(`verification failed: ${summaryLine(report)}`);
  if (unvouchedFails && report.counts.pending > 0) {
    const n = report.counts.pending;
    throw new NotVouchedError(`${n} ${n === 1 ? 'event is' : 'events are'} not yet sealed: nothing vouches for their lines (the file's own word), and a sealed line rewritten as one would read the same`);
  }
}

async function readKeys(session: CliSession, given: string[] | undefined): Promise<NoteVerifier[]> {
  if (given && given.length > 0) return given.map((k) => parseVerifierKey(k));
  // Without --key the database's own list is all there is: it proves nothing against whoever can write it.
  session.progress('warning: no --key given: trusting the keys the database lists (log_keys); pass the public key you kept to detect a re-signed log\n');
  const keys = await (await session.context()).get(TransparencyLogRepository).keys();
  return keys.map((k) => parseVerifierKey(k.verifierKey));
}

/** `verify log` (the live database, against the public key) and `verify export` (a bundle file, offline). */
export function verifyCommand(program: Command, session: CliSession): void {
  const verify = program.command('verify').description('check the tamper-evident log with the public key: the live database, or an export bundle offline');

  verify
    .command('export')
    .description('check a verifiable export (format "bundle", gzip\'d or not) offline: each event\'s content against the commitment in its leaf, every leaf\'s inclusion proof, and the checkpoint\'s signature')
    .argument('<file>', 'the bundle as downloaded (.bundle.gz) or unzipped')
    .addOption(new Option('--key <verifier-key>', 'a public verifier key checkpoints may be signed with (repeatable; seal-key prints it)').argParser(parseKeyOption).makeOptionMandatory())
    .addHelpText(
      'after',
      '\nExit code 1 when any event fails; each is named with why. Exit code 3 when none fails but some lines say their event was not yet sealed: nothing vouches for those lines (a checkpoint that signs a received-through time fails such a line when its event was received by then).\n\nExamples:\n  $ npm run cli -- verify export audit-export-2026-12-01-….bundle.gz --key "$(cat audit.pub)"')
    .action(
      action<{ key: string[] }>(session, NEEDS.nothing, async ({ options, positionals, out }) => {
        const file = positionals[0];
        const found = await stat(file).catch((error: NodeJS.ErrnoException) => {
          throw new UsageError(`${file}: ${whyUnreadable(error)}`);
        });
        // Exit 1 says the bundle failed: a path that names no file is a usage error (exit 2).
        if (found.isDirectory()) throw new UsageError(`${file}: ${NOT_A_FILE}`);
        const size = found.size;
        const progress = progressReporter(session, 'verifying', size);
        let read = 0;
        const report = await verifyBundleFile(
          file,
          options.key.map((k) => parseVerifierKey(k)),
          (bytes) => progress.tick((read = bytes)),
        );
        progress.end(read);
        printReport(out, report, { unvouchedFails: true });
      }),
    );

  verify
    .command('log')
    .description("walk an organization's log in Postgres: every row against its leaf, the leaves against the latest checkpoint, and the log against a checkpoint saved earlier")
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('--key <verifier-key>', 'a public verifier key checkpoints may be signed with (repeatable; seal-key prints it)').argParser(parseKeyOption))
    .addOption(new Option('--checkpoint <file>', 'a signed checkpoint saved earlier (the note text): the log must still contain it'))
    .addOption(new Option('--pending-window <duration>', 'rows received this recently may not be sealed yet').default(60_000, '60s').argParser(durationParser({ maxDays: MAX_LOOKBACK_DAYS })))
    .addHelpText(
      'after',
      '\nExit code 1 when any event or checkpoint fails; each failed event is named with why.\n\nExamples:\n  $ npm run cli -- verify log --org acme --key "audit-trail+1a2b3c4d+AbC…"\n  $ npm run cli -- verify log --org acme --key "$(cat audit.pub)" --checkpoint saved-checkpoint.txt',
    )
    .action(
      action<{ org: string; key?: string[]; checkpoint?: string; pendingWindow: number }>(session, NEEDS.postgres, async ({ options, out }) => {
        let saved: string | undefined;
        if (options.checkpoint !== undefined) {
          // A signed note is a few lines: 1 MiB is far more than any.
          saved = await readOptionFile('--checkpoint', options.checkpoint, 2 ** 20);
        }
        const keys = await readKeys(session, options.key);
        const walker = (await session.context()).get(LogVerificationRepository);
        const report = await walker.walk(options.org, async (walk) => {
          const { start } = walk;
          const verifier = new LogVerifier({
            keys,
            latest: start.latestNote,
            saved,
            purgedBefore: start.purgedBefore,
            frontier: start.frontier,
            purgedThrough: start.purgedThrough,
            pendingAfter: new Date(start.now.getTime() - options.pendingWindow),
          });
          const progress = progressReporter(session, 'verifying', start.leafCount);
          let done = 0;
          await walk.entries(PAGE, (entries) => {
            verifier.addEntries(entries);
            done += entries.length;
            progress.tick(done);
          });
          progress.end(done);
          await walk.unsealed(PAGE, (rows) => verifier.addUnsealed(rows));
          return verifier.finish();
        });
        printReport(out, report);
      }),
    );
}
