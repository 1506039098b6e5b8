import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/live/**'],
    setupFiles: ['test/helpers/no-console.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores here: more workers only add contention.
    maxWorkers: 2,
  },
});
