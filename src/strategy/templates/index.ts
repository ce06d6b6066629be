/** Strategy templates, registered by name: "imbalance", "bidAskBounce", "marketMaker", "skewedMarketMaker". */
export { OrderBookImbalance } from "./order-book-imbalance.js";
export { BidAskBounce } from "./bid-ask-bounce.js";
export { MarketMaker } from "./market-maker.js";
export { SkewedMarketMaker } from "./skewed-market-maker.js";
