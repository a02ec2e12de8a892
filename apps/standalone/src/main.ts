import { ensureEmbeddedDefaults } from '@audit/embedded';
import { provisionStreamsAs } from '@audit/messaging';
import { exitOnStartupError, JsonLogger, runHttpService } from '@audit/platform';
import { StandaloneModule } from './standalone.module';

/**
 * Defaults of the standalone where they differ from a service's own: its HTTP thread also answers reads, so
 * ingest refuses batches while its own work keeps that thread late (IngestLoadShedder, docs/scaling.md).
 */
const STANDALONE_DEFAULTS = { INGEST_MAX_EVENT_LOOP_DELAY: '40ms' };

async function main(): Promise<void> {
  for (const [name, value] of Object.entries(STANDALONE_DEFAULTS)) process.env[name] ??= value;
  const logger = new JsonLogger('standalone');
  const embedded = await ensureEmbeddedDefaults((msg) => logger.log({ msg }), provisionStreamsAs).catch((error: unknown) => exitOnStartupError(logger, error));
  await runHttpService(StandaloneModule, 'standalone', {
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
}

void main();
