import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Separate processes, not threads: zeromq sockets must never live in a thread that is torn down
    // (zeromq.js issue 411 aborts the whole process), and onnxruntime blocks its thread while it runs.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
