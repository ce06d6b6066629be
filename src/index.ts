/**
 * Strategy Lab: `import * as lab from "strategy-lab"` in a notebook cell or a script.
 * Layers (imports point downward only): core -> data -> book -> engine -> strategy -> optimize;
 * stats and report sit beside them; cli and server on top. See docs/architecture.md.
 */
export * from "./core/index.js";
// lab.data and lab.book keep the venue names they had as deprecated aliases (src/venues/*-aliases.ts).
export * as data from "./venues/data-aliases.js";
export { EventKind, EventFlag, Side, type TickBatch } from "./data/index.js";
export * as book from "./venues/book-aliases.js";
export * as venues from "./venues/index.js";
export { latency, queue, fees, fills, fillsCsv, strategyCounts, BacktestResult, OrderStatus, OrderReason, OrderType, TimeInForce, chunksOf, type OrderStatusName, type OrderReasonName, type OrderTypeName, type TimeInForceName, type OrderUpdate, type BacktestOptions, type BacktestSummary, type Context, type BookView, type StrategyHandlers, type TickChunkSource } from "./engine/index.js";
export * as strategy from "./strategy/index.js";
export { strategies, defineStrategy, type StrategyFactory, type ConfiguredStrategy } from "./strategy/index.js";
export * as stats from "./stats/index.js";
export * as report from "./report/index.js";
// lab.live.paper records its sessions in the run store when recording is on (src/runs/live.ts).
export { liveNamespace as live } from "./runs/index.js";
export { show } from "./report/index.js";
export { range, optimizer, OptimizationResult, type OptimizeOptions } from "./optimize/index.js";
// backtest and optimize record into the configured run store (lab.store.use); otherwise they are the engine's and the optimizer's.
export { backtest, optimize, type CatalogQuery } from "./runs/index.js";
export { storeNamespace as store, runsNamespace as runs } from "./runs/index.js";
