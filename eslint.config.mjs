import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Where test code lives outside the testing libs: specs, their helpers, the console's browser tests, the
 * standalone fault suite and the benchmarks (bench/, which boot the services through the test fixtures). Nx tags are per project, so the file patterns tell the two apart.
 */
const TEST_CODE = [
  '**/*.spec.ts',
  '**/*.e2e-helpers.ts',
  'apps/console/src/e2e/**/*.ts',
  'apps/standalone/src/faults/**/*.ts',
  'libs/testing/**/*.ts',
  'libs/testing-pipeline/**/*.ts',
  'bench/**/*.ts',
];

/**
 * The module-boundary rule; `testCode` adds the testing libs (tagged scope:testing, and type:testing or
 * type:testing-pipeline) to what every project may use. Exported for the console's config, whose file
 * patterns are relative to it.
 *
 * libs/testing-pipeline holds fixtures made of the platform's own libs (ingest and the writer booted
 * together, ClickHouse sample events, retention's seed rows), used by those libs' own specs. Nx counts a
 * spec's import as its project's dependency, so lib → testing-pipeline → lib is a cycle in the graph; it is
 * one only through test code (production code may not import the testing libs at all, see the tags), so
 * cycles through testing-pipeline are not reported. The harness, libs/testing, may not import it.
 */
export function moduleBoundaries({ testCode }) {
  const testing = testCode ? ['type:testing', 'type:testing-pipeline'] : [];
  const testingScope = testCode ? ['scope:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: [],
      ignoredCircularDependencies: [['testing-pipeline', '*']],
      depConstraints: [
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', ...testing] },
        { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', ...testing] },
        { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', ...testing] },
        { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', ...testing] },
        // The test harness: the stores' and the bus's adapters and the utilities, never a feature.
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:testing'] },
        // Fixtures that boot or seed the platform's own services: features too, and the harness.
        // (Its own tag too: ignoring its cycles also stops the rule from waving through its imports of itself.)
        { sourceTag: 'type:testing-pipeline', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:testing', 'type:testing-pipeline'] },
        // Benchmarks boot and load the services as the tests do, and measure the libs' own functions.
        { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util', 'type:testing', 'type:testing-pipeline'] },
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
