import { Option, type Command } from 'commander';
import { createAuditClient } from '@audit/audit-client';
import { EventIdsRepository } from '@audit/persistence';
import { sleep } from '@audit/platform';
import { action, NEEDS, type CliSession } from '../cli-context';
import { demoEventStream } from '../demo-events';
import { durationParser, integerParser, MAX_LOOKBACK_DAYS, orgOption } from '../options';
import { progressBar } from '../progress';
import { readCliConfig } from '../config';
import { emitterIdentity } from './emitter';

export interface DemoOptions {
  org: string;
  events: number;
  span: number;
  seed: number;
  /** How long to wait for the writer to store what was published, in ms; 0: do not wait. */
  wait: number;
}

const BATCH = 1000;
/** Ids asked about per statement while waiting for the writer. */
const LOOKUP = 5000;

/**
 * `demo --org <org> [--events <n>] [--span 7d] [--seed 42] [--wait 60s]`: publishes realistic events of all
 * 34 types on the bus (`audit.ingest.<org>`) through the client library, exactly as an emitting service
 * would, then waits until the writer has stored every one in Postgres (or says it has not, at --wait).
 */
export function demoCommand(program: Command, session: CliSession): void {
  program
    .command('demo')
    .description('publish realistic events of all 34 action types on the bus, then wait for the writer to store them')
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('--events <n>', 'how many events').default(1000).argParser(integerParser(1, 10_000_000)))
    .addOption(new Option('--span <duration>', `spread createdAt over this long before now (at most ${MAX_LOOKBACK_DAYS}d)`).default(7 * 86_400_000, '7d').argParser(durationParser({ maxDays: MAX_LOOKBACK_DAYS })))
    .addOption(new Option('--seed <n>', 'seed of the generator (same seed, same events)').default(42).argParser(integerParser(-(2 ** 31), 2 ** 32 - 1)))
    .addOption(new Option('--wait <duration>', 'how long to wait for the writer to store them in Postgres; 0s: do not wait').default(60_000, '60s').argParser(durationParser()))
    .addHelpText(
      'after',
      '\nPublishes as the organization\'s emitter user: issued on embedded defaults, else NATS_USER, NATS_PASSWORD\n' +
        'and NATS_INBOX_PREFIX. Waiting reads Postgres (DATABASE_URL); --wait 0s needs only the bus.\n' +
        '\nExamples:\n  $ npm run cli -- demo --org acme --events 5000\n  $ npm run cli -- demo --org acme --events 100 --span 24h --seed 7 --wait 0s --json',
    )
    .action(
      action<DemoOptions>(session, (options) => (options.wait > 0 ? NEEDS.both : NEEDS.nats), async ({ options, out }) => {
        const { org, events: count } = options;
        const started = Date.now();
        const ids = await publish(session, options);
        const seconds = (Date.now() - started) / 1000;
        if (options.wait === 0) {
          out.result({ organizationId: org, published: ids.length, seconds, stored: null, caughtUp: null }, () => [
            `published ${ids.length} events for "${org}" in ${seconds.toFixed(1)} s (not waiting for the writer: --wait 0s)`,
          ]);
          return;
        }
        const stored = await waitForWriter(session, org, ids, options.wait);
        const waited = (Date.now() - started) / 1000 - seconds;
        const caughtUp = stored === count;
        out.result({ organizationId: org, published: ids.length, seconds, stored, caughtUp, waitedSeconds: waited }, () => [
          `published ${ids.length} events for "${org}" in ${seconds.toFixed(1)} s`,
          caughtUp
            ? `the writer stored all ${count} in Postgres ${waited.toFixed(1)} s later`
            : `the writer has NOT caught up: ${stored} of ${count} stored in Postgres after ${waited.toFixed(1)} s (is the platform running? the rest wait on the bus, nothing is lost)`,
        ]);
      }),
    );
}

async function publish(session: CliSession, options: DemoOptions): Promise<string[]> {
  const events = demoEventStream(options.org, options.events, { spanMs: options.span, seed: options.seed });
  // As the organization's emitter user: the bus lets it publish audit.ingest.<org> and nothing else.
  const config = readCliConfig();
  const natsUrl = config.natsUrl ?? 'nats://127.0.0.1:4222';
  const client = await createAuditClient({ natsUrl: natsUrl.split(','), ...(await emitterIdentity(options.org, config)) });
  const ids: string[] = [];
  try {
    for (let batch = take(events, BATCH); batch.length > 0; batch = take(events, BATCH)) {
      for (const id of (await client.emitBatch(batch)).ids) ids.push(id);
      session.progress(`\rpublished ${progressBar(ids.length, options.events)} ${ids.length}/${options.events} events`);
    }
  } finally {
    await client.close();
    session.progress('\n');
  }
  return ids;
}

/** Polls the event id registry until every id is stored or `waitMs` passed; returns how many are stored. */
async function waitForWriter(session: CliSession, org: string, ids: string[], waitMs: number): Promise<number> {
  const registry = (await session.context()).get(EventIdsRepository);
  const deadline = Date.now() + waitMs;
  let pending = ids;
  for (;;) {
    const found = new Set<string>();
    for (let i = 0; i < pending.length; i += LOOKUP) {
      for (const id of await registry.registered(org, pending.slice(i, i + LOOKUP))) found.add(id);
    }
    pending = pending.filter((id) => !found.has(id));
    const stored = ids.length - pending.length;
    session.progress(`\rstored    ${progressBar(stored, ids.length)} ${stored}/${ids.length} events`);
    if (pending.length === 0 || Date.now() >= deadline) {
      session.progress('\n');
      return stored;
    }
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
}

/** The next `n` items of `items` (fewer at its end). */
function take<T>(items: Iterator<T>, n: number): T[] {
  const taken: T[] = [];
  for (let next = items.next(); !next.done; next = items.next()) {
    taken.push(next.value);
    if (taken.length === n) break;
  }
  return taken;
}
