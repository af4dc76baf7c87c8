import nx from '@nx/eslint-plugin';

const TEST_ONLY = 'test support: only tests and benchmarks may import it';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'demo-out/**', 'bench-out/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Tools use libraries; libraries never reach into tools.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // The record schemas are the contract: they depend on nothing of ours.
            { sourceTag: 'scope:schema', onlyDependOnLibsWithTags: [] },
            // The ground floor (errors, recipes, registries) depends on nothing of ours.
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Typed-array and Arrow column access is full of checked-elsewhere lookups.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Product code never uses test support (the scope:test libraries); tests and benchmarks do.
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'libs/testing/**', 'libs/fixtures/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['@slidepipe/testing', '@slidepipe/fixtures'].map((name) => ({ name, message: TEST_ONLY })),
          patterns: [{ group: ['**/libs/testing/**', '**/libs/fixtures/**'], message: TEST_ONLY }],
        },
      ],
    },
  },
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
];
