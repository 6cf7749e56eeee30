import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests mount real filesystems and spawn real processes: run files one at a
    // time so loop devices and mount tables are never contended.
    fileParallelism: false,
    reporters: ['default', './test/summary-reporter.ts'],
    // Only a safety net for a hung test, never a bound a test relies on: a test
    // that takes 3-6 s on an idle machine took 18 s on a busy 2-core one (8x),
    // so 60 s left too little room. Bounds a test proves are in the test itself.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A retry would hide exactly the races the suite must not have.
    retry: 0,
  },
});
