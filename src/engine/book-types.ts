/**
 * The slice of the book API the engine drives. Both `L2Book` and `L3Book` satisfy it; the exchange
 * additionally asks an `L3Book` about individual orders (priority, price, size).
 */
import type { BookLevelsView } from "../book/index.js";
import type { TickBatch } from "../data/index.js";

/** The book layer's level questions, plus applying a row and the size at one price. */
export interface SimBook extends BookLevelsView {
  apply(batch: TickBatch, i: number): void;
  qtyAt(side: 1 | -1, priceTicks: number): number;
}

export interface SimL3Book extends SimBook {
  orderPriority(orderId: number): number;
  orderPrice(orderId: number): number;
  orderSide(orderId: number): number;
  orderQty(orderId: number): number;
}
