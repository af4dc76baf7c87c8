import nx from '@nx/eslint-plugin';

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
            { sourceTag: 'lib:core', onlyDependOnLibsWithTags: ['scope:test'] },
            { sourceTag: 'lib:schema', onlyDependOnLibsWithTags: ['scope:test'] },
            { sourceTag: 'lib:image', onlyDependOnLibsWithTags: ['scope:test'] },
            { sourceTag: 'lib:fixtures', onlyDependOnLibsWithTags: ['scope:test'] },
            { sourceTag: 'lib:jpeg', onlyDependOnLibsWithTags: ['lib:core',  'scope:test'] },
            { sourceTag: 'lib:geometry', onlyDependOnLibsWithTags: ['lib:core',  'scope:test'] },
            { sourceTag: 'lib:models', onlyDependOnLibsWithTags: ['lib:core',  'scope:test'] },
            { sourceTag: 'lib:tracking', onlyDependOnLibsWithTags: ['lib:core',  'scope:test'] },
            { sourceTag: 'lib:cli', onlyDependOnLibsWithTags: ['lib:core',  'scope:test'] },
            { sourceTag: 'lib:io', onlyDependOnLibsWithTags: ['lib:core',  'lib:schema',  'scope:test'] },
            { sourceTag: 'lib:openslide', onlyDependOnLibsWithTags: ['lib:core',  'lib:jpeg',  'scope:test'] },
            { sourceTag: 'lib:tissue', onlyDependOnLibsWithTags: ['lib:core',  'lib:image',  'scope:test'] },
            { sourceTag: 'lib:metrics', onlyDependOnLibsWithTags: ['lib:core',  'lib:geometry',  'scope:test'] },
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
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
];
