import { defineConfig } from 'vitest/config';

// npm run test:cluster: the tests that start a Slurm cluster on this machine (root only).
export default defineConfig({
  test: {
    include: ['test/cluster/*.cluster.ts'],
    testTimeout: 900_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
