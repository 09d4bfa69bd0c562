import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.slow.test.ts', 'integration_tests/**/*.slow.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
