import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['libs/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // The cluster path (real Snakemake runs) has its own command: npm run test:cluster.
    exclude: ['**/node_modules/**', ...(process.env.SLIDEPIPE_CLUSTER ? [] : ['test/cluster/**'])],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two cores: the end-to-end tests spawn several processes each.
    maxWorkers: 2,
    pool: 'forks',
  },
});
