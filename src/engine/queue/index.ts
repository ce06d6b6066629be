/**
 * Queue models: `queue.riskAverse()`, `queue.prob({ n })`, `queue.log()`, `queue.squareProb()` (hftbacktest's, exactly) for L2 data and
 * `queue.l3Fifo()` for L3 data. Formulas and sources are in each file's doc comment.
 */
export { riskAverse } from "./risk-averse.js";
export { prob, powerProbability } from "./power-prob.js";
export { log, logProbability } from "./log-prob.js";
export { squareProb, squareProbability } from "./square-prob.js";
export { l3Fifo } from "./l3-fifo.js";
export { probabilisticQueue } from "./prob-tracker.js";
export { wholeLots, type QueueModel, type L2QueueModel, type L3QueueModel, type QueueState } from "./types.js";
