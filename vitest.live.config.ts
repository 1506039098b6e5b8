import { defineConfig } from 'vitest/config';

/** `npm run test:live`: the contracts against the real providers, for whichever keys are set. */
export default defineConfig({
  test: {
    include: ['test/live/**/*.test.ts'],
    setupFiles: ['test/helpers/no-console.ts'],
    testTimeout: 30_000,
  },
});
