// The test tiers, told apart by file name (see the README): unit specs are pure and need nothing running;
// integration specs (`*.int.spec.ts`) use a real Postgres, NATS, chDB, child processes or an installed tool;
// end-to-end specs (`*.e2e.spec.ts`) boot an app and check it from outside. `*.docker.spec.ts` need a
// Docker engine and run only in `npm run test:deploy`.
const TEST_MATCH = {
  unit: ['**/*.spec.ts', '!**/*.int.spec.ts', '!**/*.e2e.spec.ts', '!**/*.docker.spec.ts'],
  int: ['**/*.int.spec.ts'],
  e2e: ['**/*.e2e.spec.ts'],
};

/** The jest `testMatch` of a tier; every tier when `tier` is empty. */
function tierTestMatch(tier) {
  if (!tier) return ['**/*.spec.ts'];
  const match = TEST_MATCH[tier];
  if (!match) throw new Error(`TEST_TIER must be one of ${Object.keys(TEST_MATCH).join(', ')} (got "${tier}")`);
  return match;
}

module.exports = { TIERS: Object.keys(TEST_MATCH), tierTestMatch };
