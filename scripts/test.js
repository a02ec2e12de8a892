#!/usr/bin/env node
// `npm test`: every project's jest suite in one run (unit, integration, end-to-end), one file at a time
// because integration files start their own NATS and databases. Ends with a plain "N passed, N failed" line.
// `--tier unit|int|e2e` (npm run test:unit, test:int, test:e2e) runs one tier (scripts/jest/tiers.js).
const { spawnSync } = require('node:child_process');
const { mkdirSync, readFileSync, existsSync, rmSync } = require('node:fs');
const path = require('node:path');
const { tierTestMatch } = require('./jest/tiers');

const root = path.resolve(__dirname, '..');
const report = path.join(root, 'test-output', 'jest.json');
mkdirSync(path.dirname(report), { recursive: true });
// A report left by an earlier run must never be read as this run's (a jest that crashes writes none).
rmSync(report, { force: true });

const args = process.argv.slice(2);
const tierAt = args.indexOf('--tier');
// `--tier` without a value is refused like an unknown tier, not taken as "every tier".
const tier = tierAt === -1 ? '' : (args.splice(tierAt, 2)[1] ?? '(none)');
try {
  tierTestMatch(tier);
} catch (error) {
  console.error(error.message);
  console.log('0 passed, 1 failed');
  process.exit(2);
}

const run = spawnSync(
  process.execPath,
  // --forceExit: a spawned service or driver socket left by a failing test must not hang CI.
  [require.resolve('jest/bin/jest'), '--runInBand', '--forceExit', '--json', `--outputFile=${report}`, ...args],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TEST_TIER: tier, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } },
);

if (!existsSync(report)) {
  console.log('0 passed, 1 failed');
  process.exit(run.status || 1);
}
const result = JSON.parse(readFileSync(report, 'utf8'));
const failedSuites = result.numFailedTestSuites - result.testResults.filter((s) => s.assertionResults.some((a) => a.status === 'failed')).length;
const failed = result.numFailedTests + Math.max(0, failedSuites);
const skipped = result.numPendingTests + result.numTodoTests;
console.log(`${result.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
