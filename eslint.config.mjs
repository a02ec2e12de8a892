import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Where test code lives outside libs/testing: specs, their helpers and fixtures, the console's browser
 * tests and the standalone fault suite. Nx tags are per project, so the file patterns tell the two apart.
 */
const TEST_CODE = [
  '**/*.spec.ts',
  '**/*.e2e-helpers.ts',
  '**/*.fixture.ts',
  '**/*-test-data.ts',
  'apps/console/src/e2e/**/*.ts',
  'apps/standalone/src/faults/**/*.ts',
  'libs/testing/**/*.ts',
];

/**
 * The module-boundary rule; `testCode` adds libs/testing (tagged type:testing and scope:testing) to what
 * every project may use. Exported for the console's config, whose file patterns are relative to it.
 */
export function moduleBoundaries({ testCode }) {
  const testing = testCode ? ['type:testing'] : [];
  const testingScope = testCode ? ['scope:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: [],
      depConstraints: [
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', ...testing] },
        { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', ...testing] },
        { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', ...testing] },
        { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', ...testing] },
        // The test harness: the stores' and the bus's adapters and the utilities, never a feature.
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:testing'] },
        // Deployment checks start the real services against real infrastructure, through the test fixtures.
        { sourceTag: 'type:checks', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:testing'] },
        { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [...testingScope] },
        { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:client', ...testingScope] },
        { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:server', 'scope:client', ...testingScope] },
        { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:server', 'scope:client', 'scope:testing'] },
      ],
    },
  ];
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/.data', '**/test-output', '**/*.js', '**/*.mjs'] },
  { files: ['**/*.ts'], rules: { '@nx/enforce-module-boundaries': moduleBoundaries({ testCode: false }) } },
  // Test code may also use libs/testing (type:testing); production code may not, so no fixture reaches an image.
  { files: TEST_CODE, rules: { '@nx/enforce-module-boundaries': moduleBoundaries({ testCode: true }) } },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
];
