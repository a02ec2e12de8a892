import { ensureEmbeddedDefaults } from '@audit/embedded';
import { provisionStreamsAs } from '@audit/messaging';
import { exitOnStartupError, JsonLogger, raiseReadsThread, runHttpService } from '@audit/platform';
import { StandaloneModule } from './standalone.module';

/**
 * Defaults of the standalone where they differ from a service's own: its HTTP thread also answers reads, so
 * ingest refuses batches while its own work keeps that thread late (IngestLoadShedder, docs/scaling.md).
 *
 * CONSUMER_ACK_WAIT 30s, not 5s: the consumers run in one thread at niceness 5, below the HTTP thread and
 * every thread of the machine at 0, and keep what they hold alive with a `working()` publish per message
 * every third of the ack wait (tens of thousands of messages while the projector's batches wait their
 * turn). When that thread waited for a core a few seconds, the server sent its messages again, and the
 * thread then had those too to keep alive, decode and check: bench:ingest rounds whose writer, sealer and
 * projector were each sent every event two to four times. A dead standalone's messages come back to the
 * next one 30 s later instead of 5 s.
 *
 * PROJECTOR_FLUSH_INTERVAL 1s, not 200ms: each projector batch is a few embedded ClickHouse statements and a
 * handful of new parts (the events, their projections, the rollups, the id registry, the mark) that the
 * process then merges itself, so at a few thousand events a second the cost per batch, not per event,
 * dominated ClickHouse's share of the process's CPU. The projection lags Postgres by up to a second more;
 * searches read what the mark does not cover from Postgres.
 */
const STANDALONE_DEFAULTS = { INGEST_MAX_EVENT_LOOP_DELAY: '40ms', CONSUMER_ACK_WAIT: '30s', PROJECTOR_FLUSH_INTERVAL: '1s' };

async function main(): Promise<void> {
  for (const [name, value] of Object.entries(STANDALONE_DEFAULTS)) process.env[name] ??= value;
  const logger = new JsonLogger('standalone');
  const embedded = await ensureEmbeddedDefaults((msg) => logger.log({ msg }), provisionStreamsAs).catch((error: unknown) => exitOnStartupError(logger, error));
  const app = await runHttpService(StandaloneModule, 'standalone', {
    afterClose: () => embedded.stop(),
    banner: (url) => [
      '',
      `Audit trail platform listening on ${url}`,
      `  console:  ${url}/audit   (sign in with an admin token)`,
      `  health:   ${url}/healthz   ready: ${url}/readyz   metrics: ${url}/metrics`,
      '  create an ingest key:  npm run cli -- keys create --org <org>',
      '  mint an admin token:   npm run cli -- token --org <org> --role admin',
      `  send an event:         curl -X POST ${url}/v1/events -H "Authorization: Bearer <key>" -H "Content-Type: application/json" \\`,
      `                           -d '{"organizationId":"<org>","actionType":"LOGIN","userId":"u1"}'`,
      '',
    ],
  });
  // Its HTTP thread's own work is light (a few percent of a core in bench:mixed, up to a third of one at the
  // sustained maximum), yet under ingest it answered /healthz late: its CPU profile showed stretches of
  // 100-200 ms around work of a few milliseconds, the thread waiting for a core behind the process's other
  // threads at its priority (embedded ClickHouse's statement pools, libuv's, V8's helpers). Raised only now,
  // so the threads started before (the consumers thread, ClickHouse's pools) keep their own priority and the
  // consumers thread's ClickHouse connection read the process's niceness (0) when it opened.
  if (app) raiseReadsThread((entry) => logger.warn(entry));
}

void main();
