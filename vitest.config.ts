import { defineConfig } from 'vitest/config';

// Slow suites (benchmarks, million-message scale) are named *.slow.test.ts and run by `npm run test:slow`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'integration_tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.slow.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
