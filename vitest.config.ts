import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    // Vitest's default leaves a core free, which on a 2-core machine means one test file at a time.
    maxWorkers: Math.max(1, availableParallelism()),
  },
});
