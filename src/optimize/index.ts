/**
 * optimize: parameter search (grid, random, genetic) over a strategy's parameter schema or a custom
 * evaluator, walk-forward validation with purge/embargo gaps, a worker_threads pool over market
 * data in shared memory, and crash-safe trial persistence with resume (through src/store).
 * Everything is deterministic given the seed, whatever the worker count or finishing order.
 * Workers run compiled JavaScript (dist/optimize/worker.js). See docs/optimize.md.
 */
export * from "./public.js";
/** Everything above as one namespace: `lab.optimizer.walkForwardWindows(...)`. */
export * as optimizer from "./public.js";
