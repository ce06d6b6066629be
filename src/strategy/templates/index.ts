/** Strategy templates, registered by name: "imbalance", "bidAskBounce", "marketMaker". */
export { OrderBookImbalance } from "./order-book-imbalance.js";
export { BidAskBounce } from "./bid-ask-bounce.js";
export { MarketMaker } from "./market-maker.js";
