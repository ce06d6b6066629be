/**
 * The slice of the book API the engine drives. Both `L2Book` and `L3Book` satisfy it; the exchange
 * additionally asks an `L3Book` about individual orders (priority, price, size).
 */
import type { TickBatch } from "../data/index.js";

export interface SimBook {
  apply(batch: TickBatch, i: number): void;
  bestBid(): number;
  bestAsk(): number;
  bestBidQty(): number;
  bestAskQty(): number;
  qtyAt(side: 1 | -1, priceTicks: number): number;
  levelCount(side: 1 | -1): number;
  priceAt(side: 1 | -1, k: number): number;
  qtyAtLevel(side: 1 | -1, k: number): number;
}

export interface SimL3Book extends SimBook {
  orderPriority(orderId: number): number;
  orderPrice(orderId: number): number;
  orderSide(orderId: number): number;
  orderQty(orderId: number): number;
}
