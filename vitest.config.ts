import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'serving/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: tests that start servers or train models must not starve each other.
    maxWorkers: 2,
    // @actions/workflow-parser imports its JSON schemas without `with { type: 'json' }`, which Node's
    // own loader refuses: let Vite transform it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
