import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/live/**'],
    setupFiles: ['test/helpers/no-console.ts'],
    // Tests that load onnxruntime-node themselves (the reference VAD) keep its telemetry off too.
    env: { ORT_DISABLE_TELEMETRY: '1' },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores here: more workers only add contention.
    maxWorkers: 2,
    // CI also writes a JSON report, from which .ci/run prints the plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'reports/vitest.json' }]] : ['default'],
  },
});
