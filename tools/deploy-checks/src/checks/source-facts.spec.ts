import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { readSourceFacts } from './source-facts';

/** A repository of a few files: `files` maps a path under the root to its text. */
function withTree<T>(files: Record<string, string>, read: (root: string) => T): T {
  const root = mkdtempSync(path.join(tmpdir(), 'source-facts-'));
  try {
    mkdirSync(path.join(root, 'apps'));
    mkdirSync(path.join(root, 'libs'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return read(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const subjects = `export const STREAMS = { events: 'AUDIT_EVENTS', ingest: "AUDIT_INGEST" } as const;\n`;

describe('the facts read from the sources (parsed by the TypeScript compiler)', () => {
  it('finds routes, durables and variables however they are quoted or formatted, and nothing in comments', () => {
    const facts = withTree(
      {
        'libs/messaging/src/subjects.ts': subjects,
        'libs/shop/src/orders.controller.ts': [
          '// @Get(\'commented-out\') and process.env.IN_A_COMMENT',
          '@Controller("v1/orders")',
          'export class OrdersController {',
          '  @Get(`:id`) one() {}',
          '  @Post(',
          '    "bulk",',
          '  ) many() {}',
          '  @Delete() all() {}',
          '}',
          '/* durable: \'ghost\' */',
        ].join('\n'),
        'libs/shop/src/consumers.ts': [
          'abstract class EventsConsumer { protected constructor() { super({ stream: STREAMS.events }); } }',
          'export class OrdersConsumer extends EventsConsumer {',
          '  constructor() { super({ durable: "orders" }); }',
          '}',
          'export class IngestConsumer { constructor() { consume({ durable: `ingest-orders`, stream: STREAMS.ingest }); } }',
        ].join('\n'),
        'libs/shop/src/config.ts': [
          'export const config = (source: NodeJS.ProcessEnv) => ({',
          '  port: env.int(',
          "    'SHOP_PORT', 3000),",
          '  region: process.env["SHOP_REGION"], dir: process.env.SHOP_DIR, key: source.SHOP_KEY,',
          '  // e.g. process.env.SHOP_EXAMPLE',
          '});',
        ].join('\n'),
      },
      readSourceFacts,
    );
    expect(facts.routes.get('shop')?.sort()).toEqual(['v1/orders', 'v1/orders/:id', 'v1/orders/bulk']);
    expect([...facts.durables].sort()).toEqual([
      ['ingest-orders', { stream: 'AUDIT_INGEST', lib: 'shop' }],
      ['orders', { stream: 'AUDIT_EVENTS', lib: 'shop' }],
    ]);
    expect([...facts.envVars].sort()).toEqual(['SHOP_DIR', 'SHOP_KEY', 'SHOP_PORT', 'SHOP_REGION']);
  });

  it('tells a service from the standalone and the CLI by the calls in main.ts, and its needs by the libs it imports', () => {
    const app = (name: string, main: string) => ({
      [`apps/${name}/project.json`]: JSON.stringify({ name: `${name}-app`, projectType: 'application' }),
      [`apps/${name}/src/main.ts`]: main,
    });
    const facts = withTree(
      {
        ...app('writer', "import { runHttpService } from '@audit/platform';\nimport { WriterModule } from \"@audit/writer\";\nvoid runHttpService(WriterModule);\n"),
        'apps/writer/src/app.module.ts': "import { MessagingModule } from '@audit/messaging';\nimport { PersistenceModule } from '@audit/persistence';\n",
        ...app('standalone', "import { ensureEmbeddedDefaults } from '@audit/embedded';\nensureEmbeddedDefaults();\nvoid runHttpService(AllModule);\n"),
        ...app('cli', "import { runCli } from '@audit/cli';\n// runHttpService( is not called here\nvoid runCli();\n"),
      },
      readSourceFacts,
    );
    expect(facts.apps.map((a) => [a.project, a.service])).toEqual([
      ['cli-app', false],
      ['standalone-app', false],
      ['writer-app', true],
    ]);
    expect(facts.apps.find((a) => a.dir === 'writer')?.needs).toEqual({ nats: true, postgres: true, clickhouse: false, auth: false });
  });

  it('counts the libs of every Nest module its root module reaches through @Module imports, and no other', () => {
    const facts = withTree(
      {
        'apps/query/project.json': JSON.stringify({ name: 'query-app', projectType: 'application' }),
        'apps/query/src/main.ts': "import { runHttpService } from '@audit/platform';\nvoid runHttpService(QueryAppModule);\n",
        'apps/query/src/query-app.module.ts': "import { QueryModule } from '@audit/query';\n@Module({ imports: [PlatformModule, QueryModule] })\nexport class QueryAppModule {}\n",
        'libs/query/src/query.module.ts': '@Module({\n  imports: [PersistenceModule, AuthModule, ReadAuditModule],\n  controllers: [EventsController],\n})\nexport class QueryModule {}\n',
        'libs/read-audit/src/read-audit.ts': '@Module({ imports: [MessagingModule] })\nexport class ReadAuditModule {}\n',
        'libs/persistence/src/persistence.module.ts': '@Module({ imports: [HealthModule] })\nexport class PersistenceModule {}\n',
        'libs/auth/src/auth.module.ts': '@Module({ imports: [PersistenceModule] })\nexport class AuthModule {}\n',
        'libs/messaging/src/messaging.module.ts': '@Module({ imports: [HealthModule] })\nexport class MessagingModule {}\n',
        'libs/platform/src/platform.module.ts': '@Module({})\nexport class HealthModule {}\n@Module({ imports: [HealthModule] })\nexport class PlatformModule {}\n',
        // Imported by no module the app reaches: its lib is not the app's.
        'libs/clickhouse/src/clickhouse.module.ts': '@Module({ imports: [PersistenceModule, ScheduleModule.forRoot()] })\nexport class ClickHouseModule {}\n',
      },
      readSourceFacts,
    );
    const query = facts.apps.find((a) => a.dir === 'query');
    expect([...(query?.libs ?? [])].sort()).toEqual(['auth', 'messaging', 'persistence', 'platform', 'query', 'read-audit']);
    expect(query?.needs).toEqual({ nats: true, postgres: true, clickhouse: false, auth: true });
  });

  it('reads any variable name read through process.env, in either access form, and none from a comment', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,20}$/), { minLength: 1, maxLength: 6 }), fc.boolean(), (names, bracket) => {
        const text = names.map((name) => (bracket ? `read(process.env['${name}']); // process.env.X${name}` : `read(process.env.${name}); /* process.env.X${name} */`)).join('\n');
        const facts = withTree({ 'libs/any/src/config.ts': text, 'libs/messaging/src/subjects.ts': subjects }, readSourceFacts);
        expect([...facts.envVars].sort()).toEqual([...names].sort());
      }),
      { numRuns: 25 },
    );
  });
});
