import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // One test worker: notebook, CLI and browser tests start their own processes (kernels, Chromium,
    // optimizer workers), and long CPU-bound differential tests must not starve the worker's RPC
    // heartbeat (vitest reports "Timeout calling onTaskUpdate" when a worker is blocked for 60 s).
    maxWorkers: 1,
    minWorkers: 1,
  },
});
