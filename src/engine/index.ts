/**
 * engine: the event-driven backtester. Two processors on two clocks — `ExchangeSim` (exchange
 * time: its own book without feed latency, order matching, queue models, fees, the account) and
 * `LocalView` (local time: the book as received, the strategy's own order knowledge, risk checks,
 * timers) — joined by request/response channels with entry and response latency. Strategies only
 * ever hold a `Context` bound to `LocalView`, so look-ahead has no API to go through.
 * Models are small interfaces with their formulas in the doc comments: `latency.*`, `queue.*`,
 * `fees.*`, `fills.*`. See docs/engine.md.
 */
export { backtest } from "./backtest.js";
// The L3 venue rules a backtest may name (venueRules) and the formats its files may have are registered by the venues.
import "../venues/index.js";
export { backtestStream, chunksOf, type TickChunkSource, type StreamTraits } from "./streaming.js";
export { describeInputCheck, type InputCheckReport, type InputIssue, type InputCheckMode } from "./input-check.js";
export { BacktestResult, DayTable, type BacktestSummary, type BacktestSettings, type BacktestJson, type RunDiagnostics } from "./result.js";
export { normalizeBacktestOptions, queueByName, DEFAULTS as BACKTEST_DEFAULTS, OPTION_KEYS as BACKTEST_OPTION_KEYS, type BacktestOptions, type NormalizedOptions, type QueueName, type BookKind } from "./options.js";
export * as latency from "./latency-api.js";
export * as queue from "./queue/index.js";
export * as fees from "./fees-api.js";
export * as fills from "./fills-api.js";
export { fillsCsv, strategyCounts, type FillsCsvOptions } from "./fills-csv.js";
export type { FillModel, FillModelName } from "./fills.js";
export type { LatencyModel, FeedLatencyModel, LatencyOrderInfo, LognormalLatencyOptions } from "./latency.js";
export type { FeeModel } from "./fees.js";
export type { QueueModel, L2QueueModel, L3QueueModel, QueueState } from "./queue/index.js";
export type { RiskLimits } from "./local.js";
export { OrderType, TimeInForce, OrderStatus, OrderReason, ORDER_REASON_NAMES, ORDER_STATUS_NAMES, type OrderTable, type OrderTypeName, type TimeInForceName, type OrderStatusName, type OrderReasonName } from "./orders.js";
export type { Context, BookView, TradeView, OrderUpdate, OrderEvent, FillEvent, OrderOptions, StrategyHandlers, StrategyLike } from "./strategy-types.js";
