import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_ROOT } from './processes';

/**
 * libs/testing is tagged type:testing / scope:testing, and the module-boundary rule lets only test code
 * (specs, their helpers and fixtures) import it: a fixture must never reach a production image.
 */
describe('who may import @audit/testing', () => {
  const IMPORT = "import { waitFor } from '@audit/testing';\nexport const wait = waitFor;\n";

  beforeAll(() => {
    // The rule reads Nx's project graph (tags); without a cached graph it skips itself and reports nothing.
    const graph = spawnSync(process.execPath, [require.resolve('nx/bin/nx'), 'show', 'projects'], {
      cwd: WORKSPACE_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    });
    if (graph.status !== 0) throw new Error(`nx show projects exited with ${graph.status}: ${graph.stderr}`);
  }, 120_000);

  /**
   * The module-boundary messages ESLint gives `file` (an existing file of the repository) with `prepend` added.
   * ESLint runs as a process: its ESM config does not load inside jest's module system.
   */
  function boundaryErrors(file: string, prepend: string): string[] {
    const text = prepend + readFileSync(path.join(WORKSPACE_ROOT, file), 'utf8');
    const run = spawnSync(process.execPath, [path.join(WORKSPACE_ROOT, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', '--stdin', '--stdin-filename', file], {
      cwd: WORKSPACE_ROOT,
      input: text,
      encoding: 'utf8',
    });
    if (run.status === 2) throw new Error(`eslint failed: ${run.stderr}`);
    const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it('refuses it in production code of a lib and of an app', () => {
    // Nx names the first constraint broken: the importer's type tag, whose list lacks type:testing.
    expect(boundaryErrors('libs/query/src/page-request.ts', IMPORT)).toEqual([
      'A project tagged with "type:feature" can only depend on libs tagged with "type:feature", "type:data-access", "type:util"',
    ]);
    expect(boundaryErrors('apps/writer/src/main.ts', IMPORT)).toEqual([
      'A project tagged with "type:app" can only depend on libs tagged with "type:feature", "type:data-access", "type:util"',
    ]);
  }, 120_000);

  it('allows it in specs and in the console browser test', () => {
    expect(boundaryErrors('libs/query/src/events-read.tenants.int.spec.ts', IMPORT)).toEqual([]);
    expect(boundaryErrors('apps/console/src/e2e/console-stack.ts', '')).toEqual([]);
  }, 120_000);

  const PIPELINE = "import { startIngestPipeline } from '@audit/testing-pipeline';\nexport const start = startIngestPipeline;\n";

  it('refuses @audit/testing-pipeline in production code and in the harness (libs/testing)', () => {
    expect(boundaryErrors('libs/ingest/src/ingest.module.ts', PIPELINE)).toEqual([
      'A project tagged with "type:feature" can only depend on libs tagged with "type:feature", "type:data-access", "type:util"',
    ]);
    expect(boundaryErrors('libs/testing/src/wait-for.ts', PIPELINE)).toEqual([
      'A project tagged with "type:testing" can only depend on libs tagged with "type:data-access", "type:util", "type:testing"',
    ]);
  }, 120_000);

  it('allows it in the specs of the libs its fixtures are made of: the cycle through test code is not reported', () => {
    expect(boundaryErrors('libs/ingest/src/ingest-consumer.int.spec.ts', '')).toEqual([]);
    expect(boundaryErrors('libs/clickhouse/src/events.repository.int.spec.ts', '')).toEqual([]);
  }, 120_000);
});
