import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Timeouts are there to catch hangs, not slowness: vitest fails even a synchronous test that
    // ran longer than its timeout, so on a busy machine a tight one is a timing assertion. Ten
    // minutes is several times the slowest test's time on a busy machine. (Separately,
    // a test worker whose event loop is blocked for over 60 s loses its link to vitest, "Timeout
    // calling onTaskUpdate", and that limit cannot be set: long-running work in a test belongs in
    // a child process that the test awaits, not in spawnSync or a long synchronous loop.)
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: "forks",
    // One test worker: notebook, CLI and browser tests start their own processes (kernels, Chromium,
    // optimizer workers), and long CPU-bound differential tests must not starve the worker's RPC
    // heartbeat (vitest reports "Timeout calling onTaskUpdate" when a worker is blocked for 60 s).
    maxWorkers: 1,
    minWorkers: 1,
  },
});
