import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_ROOT } from './processes';

/** The files jest selects for a tier (`npm run test:<tier>`), or for `npm test` when `tier` is empty. */
function listTests(tier: string): string[] {
  const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--listTests', '--json'], {
    cwd: WORKSPACE_ROOT,
    encoding: 'utf8',
    env: { ...process.env, TEST_TIER: tier },
  });
  if (run.status !== 0) throw new Error(`jest --listTests (TEST_TIER=${tier}) exited with ${run.status}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as string[]).map((file) => path.relative(WORKSPACE_ROOT, file)).sort();
}

/** What a unit spec may not use: each starts a server, a database, chDB or a process. */
const NEEDS_SOMETHING_RUNNING =
  /\b(createTestDatabase|startPrivatePostgres|startTestNats|startTestNatsCluster|connectTestBus|testClickHouseEnv|bootModules|startService|superviseService|runCliProcess|runScript|embeddedRepository|startServiceStack|startFaultPipeline)\b|from 'node:child_process'/;

describe('test tiers (npm run test:unit, test:int, test:e2e)', () => {
  const all = listTests('');
  const tiers = { unit: listTests('unit'), int: listTests('int'), e2e: listTests('e2e') };

  it('split the files of `npm test` between them, each file in exactly one tier by its name', () => {
    expect([...tiers.unit, ...tiers.int, ...tiers.e2e].sort()).toEqual(all);
    expect(tiers.int.every((file) => file.endsWith('.int.spec.ts'))).toBe(true);
    expect(tiers.e2e.every((file) => file.endsWith('.e2e.spec.ts'))).toBe(true);
    expect(tiers.unit.filter((file) => /\.(int|e2e|docker)\.spec\.ts$/.test(file))).toEqual([]);
    expect(all.filter((file) => file.endsWith('.docker.spec.ts'))).toEqual([]);
  });

  it('keep the unit tier free of servers, databases, chDB and child processes', () => {
    const misnamed = tiers.unit.filter((file) => NEEDS_SOMETHING_RUNNING.test(readFileSync(path.join(WORKSPACE_ROOT, file), 'utf8')));
    expect(misnamed).toEqual([]);
  });

  it('refuses an unknown tier instead of running every test', () => {
    const run = spawnSync(process.execPath, [path.join(WORKSPACE_ROOT, 'scripts/test.js'), '--tier', 'units'], { cwd: WORKSPACE_ROOT, encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr.trim(), stdout: run.stdout.trim() }).toEqual({
      status: 2,
      stderr: 'TEST_TIER must be one of unit, int, e2e (got "units")',
      stdout: '0 passed, 1 failed',
    });
  });
});
