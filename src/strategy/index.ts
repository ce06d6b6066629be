/**
 * strategy: the strategy API (`defineStrategy`, the registry, the callback and context types the
 * engine drives), parameter schemas the optimizer reads, and the templates
 * (`strategies.imbalance`, `strategies.bidAskBounce`, `strategies.marketMaker`,
 * `strategies.skewedMarketMaker`; see docs/strategies.md).
 */
export * from "./params.js";
export { defineStrategy, registry, StrategyRegistry, type StrategyDefinition, type StrategyFactory, type ConfiguredStrategy } from "./api.js";
export type { Context, BookView, TradeView, OrderUpdate, OrderEvent, FillEvent, OrderOptions, StrategyHandlers, StrategyLike } from "./api.js";
export { OrderBookImbalance, BidAskBounce, MarketMaker, SkewedMarketMaker } from "./templates/index.js";
import { registry, type StrategyFactory } from "./api.js";
import { OrderBookImbalance, BidAskBounce, MarketMaker, SkewedMarketMaker } from "./templates/index.js";

/** The templates by short name, plus registry lookups: `strategies.get("imbalance")`. */
export const strategies = {
  imbalance: OrderBookImbalance,
  bidAskBounce: BidAskBounce,
  marketMaker: MarketMaker,
  skewedMarketMaker: SkewedMarketMaker,
  /** A registered strategy by name or alias (case-insensitive), with a "did you mean" error otherwise. */
  get: (name: string): StrategyFactory => registry.get(name),
  has: (name: string): boolean => registry.has(name),
  names: (): string[] => registry.names(),
  list: (): { name: string; description: string; params: string[] }[] => registry.list(),
};
