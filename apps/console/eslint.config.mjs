import tseslint from 'typescript-eslint';
import root, { moduleBoundaries } from '../../eslint.config.mjs';

// The root config lints `*.ts`; the console adds its `*.tsx` components to the same boundary and
// async-safety rules, and lets its browser test (Node side only, never bundled) use the test harness.
const boundaries = root.find((c) => c.rules?.['@nx/enforce-module-boundaries'])?.rules['@nx/enforce-module-boundaries'];
const asyncRules = root.find((c) => c.rules?.['@typescript-eslint/no-floating-promises'])?.rules;
if (!boundaries || !asyncRules) throw new Error('apps/console/eslint.config.mjs: the root config no longer has the rules it extends');

export default [
  ...root,
  {
    files: ['**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: { '@nx/enforce-module-boundaries': boundaries, ...asyncRules },
  },
  {
    files: ['**/*.e2e.spec.ts', '**/src/e2e/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries({ testCode: true }) },
  },
];
