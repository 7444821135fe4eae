import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: end-to-end files start real registries and clients, so run two files at a time.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default'],
  },
});
