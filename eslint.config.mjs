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
            // Each library may use only the libraries below it (docs/ARCHITECTURE.md, "The house");
            // the test-support libraries (scope:test) are open to every test.
            // Test support may use any library.
            { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'lib:core', onlyDependOnLibsWithTags: ['scope:test'] },
            { sourceTag: 'lib:schema', onlyDependOnLibsWithTags: ['scope:test'] },
            { sourceTag: 'lib:image', onlyDependOnLibsWithTags: ['scope:test'] },
            { sourceTag: 'lib:fixtures', onlyDependOnLibsWithTags: ['scope:test'] },
            { sourceTag: 'lib:jpeg', onlyDependOnLibsWithTags: ['lib:core', 'scope:test'] },
            { sourceTag: 'lib:geometry', onlyDependOnLibsWithTags: ['lib:core', 'scope:test'] },
            { sourceTag: 'lib:models', onlyDependOnLibsWithTags: ['lib:core', 'scope:test'] },
            { sourceTag: 'lib:tracking', onlyDependOnLibsWithTags: ['lib:core', 'scope:test'] },
            { sourceTag: 'lib:cli', onlyDependOnLibsWithTags: ['lib:core', 'scope:test'] },
            { sourceTag: 'lib:io', onlyDependOnLibsWithTags: ['lib:core', 'lib:schema', 'scope:test'] },
            { sourceTag: 'lib:openslide', onlyDependOnLibsWithTags: ['lib:core', 'lib:jpeg', 'scope:test'] },
            { sourceTag: 'lib:tissue', onlyDependOnLibsWithTags: ['lib:core', 'lib:image', 'scope:test'] },
            { sourceTag: 'lib:metrics', onlyDependOnLibsWithTags: ['lib:core', 'lib:geometry', 'scope:test'] },
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
