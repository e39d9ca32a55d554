import { configDefaults, defineConfig } from 'vitest/config';

/** The serving soak (issue 5): two minutes of the whole machine, so it runs alone, last. */
const SOAK = 'test/serving/soak.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: tests that start servers or train models must not starve each other.
    maxWorkers: 2,
    // @actions/workflow-parser imports its JSON schemas without `with { type: 'json' }`, which Node's
    // own loader refuses: let Vite transform it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    // Projects inherit the options above (`extends: true`). Groups run one after another, lowest
    // `sequence.groupOrder` first: every other test file, then the soak on its own, so it neither
    // competes with them for the two cores nor they with it for its memory and throughput.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'serving/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [...configDefaults.exclude, SOAK],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'soak',
          include: [SOAK],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
