import { defineConfig } from 'vitest/config';

// Unit tests are pure and fast. Integration tests run real processes (glr, the fake node, the
// service script) against sandbox hosts in temp folders; they are sized for a 2-core machine:
// two test files at a time (a project may not set its own fork count).
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/helpers/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
