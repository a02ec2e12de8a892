import { ensureEmbeddedDefaults } from '@audit/embedded';
import { provisionStreamsAs } from '@audit/messaging';
import { exitOnStartupError, JsonLogger, runHttpService } from '@audit/platform';
import { StandaloneModule } from './standalone.module';

async function main(): Promise<void> {
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
