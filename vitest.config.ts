import { defineConfig } from 'vitest/config';

// Two projects: `unit` (each package's own tests, seconds to a minute) and `e2e` (test/: real
// servers, clients and faults across processes). `pnpm test` runs both; `pnpm test:unit` is the quick loop.
export default defineConfig({
  test: {
    // Separate processes, not threads: zeromq sockets must never live in a thread that is torn down
    // (zeromq.js issue 411 aborts the whole process), and onnxruntime blocks its thread while it runs.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.test.ts'] } },
    ],
  },
});
