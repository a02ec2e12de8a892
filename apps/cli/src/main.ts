import { exitWhenFlushed, ignoreBrokenPipes, runCli } from '@audit/cli';
import { ensureEmbeddedDefaults } from '@audit/embedded';
import { provisionStreamsAs } from '@audit/messaging';

async function main(): Promise<void> {
  ignoreBrokenPipes();
  // On embedded defaults the CLI talks to the running platform's Postgres and NATS, or starts them for itself.
  const embedded = await ensureEmbeddedDefaults((msg) => process.stderr.write(`${msg}\n`), provisionStreamsAs);
  // Interrupted, the command ends at once, but not before the servers this run started are stopped.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => void embedded.stop().finally(() => process.exit(code)));
  }
  const code = await runCli(process.argv.slice(2)).finally(() => embedded.stop());
  // Not process.exit: piped stdout is asynchronous, and exiting before it drains cuts the output.
  await exitWhenFlushed(code);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  void exitWhenFlushed(1);
});
