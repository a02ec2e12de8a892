import { ensureEmbeddedDefaults } from '@audit/embedded';
import { provisionStreamsAs } from '@audit/messaging';
import { exitWhenFlushed, ignoreBrokenPipes } from './flush';
import { runCli } from './run-cli';

/**
 * The CLI as a process (`npm run cli -- …`): on embedded defaults a command uses the running platform's
 * Postgres and NATS, or starts those it needs (and only those) for its own duration.
 */
export async function cliMain(argv: string[]): Promise<never> {
  ignoreBrokenPipes();
  // A person waits for an answer: a Postgres that is not there is said at once, not retried for minutes as a service does.
  process.env.PG_CONNECT_ATTEMPTS ??= '3';
  let stop: () => Promise<void> = async () => undefined;
  // Interrupted, the command ends at once, but not before the servers this run started are stopped (nor
  // under a running embedded ClickHouse statement: exitWhenFlushed waits for it, or kills the process).
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => void stop().finally(() => exitWhenFlushed(code)));
  }
  let code: number;
  try {
    code = await runCli(argv, {
      prepare: async (needs) => {
        const embedded = await ensureEmbeddedDefaults((msg) => process.stderr.write(`${msg}\n`), provisionStreamsAs, needs);
        stop = () => embedded.stop();
        return stop;
      },
    });
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  // Not process.exit: piped stdout is asynchronous, and exiting before it drains cuts the output.
  return exitWhenFlushed(code);
}
