/**
 * L3 book views: the FIFO queue at one price level (each order with its queue position, size,
 * size ahead and priority) and a compact ladder of the top levels with their order counts.
 * Pure functions returning HTML strings; `showL3Level` / `showL3Ladder` display them in a notebook.
 */
import type { L3Book } from "../../book/index.js";
import type { InstrumentSpec } from "../../core/index.js";
import { displayHtml } from "../display.js";
import { formatPriceTicks } from "../format.js";
import { escapeHtml, panel, tableHtml } from "../html.js";

export interface L3ViewOptions {
  /** Prices shown as decimals with this spec (otherwise as ticks). */
  instrument?: InstrumentSpec;
  /** Order id to highlight (e.g. your own order). */
  highlight?: number;
  /** Most orders listed. @default 50 */
  limit?: number;
}

function priceText(ticks: number, spec: InstrumentSpec | undefined): string {
  if (Number.isNaN(ticks)) return "–";
  return spec ? formatPriceTicks(ticks, spec) : String(ticks);
}

/** The queue at one level: position, order id, size, size ahead, priority (highlighted order marked). */
export function l3LevelHtml(book: L3Book, side: 1 | -1, priceTicks: number, options: L3ViewOptions = {}): string {
  const orders = book.ordersAt(side, priceTicks);
  const caption = `${side === 1 ? "Bid" : "Ask"} ${priceText(priceTicks, options.instrument)}: ${orders.length} orders, ${book.qtyAt(side, priceTicks)} lots`;
  if (orders.length === 0) return `<div class="note">${escapeHtml(caption)}</div>`;
  const mark = (id: number) => (id === options.highlight ? `▶ ${id}` : String(id));
  return tableHtml(
    {
      position: orders.map((o) => o.queuePosition),
      order: orders.map((o) => mark(o.orderId)),
      qty: orders.map((o) => o.qtyLots),
      ahead: orders.map((o) => o.queueAhead),
      priority: orders.map((o) => o.priority),
    },
    { caption, limit: options.limit ?? 50 },
  );
}

/** Top `levels` per side: price, total size, order count, and the first order sizes in queue order. */
export function l3LadderHtml(book: L3Book, levels = 5, options: L3ViewOptions = {}): string {
  const rows: { side: string; price: string; qty: number; orders: number; queue: string }[] = [];
  const queue = (side: 1 | -1, p: number) => {
    const o = book.ordersAt(side, p);
    const shown = o.slice(0, 8).map((x) => (x.orderId === options.highlight ? `[${x.qtyLots}]` : String(x.qtyLots)));
    return shown.join(" ") + (o.length > 8 ? ` … +${o.length - 8}` : "");
  };
  for (let k = Math.min(levels, book.levelCount(-1)) - 1; k >= 0; k--) {
    const p = book.priceAt(-1, k);
    rows.push({ side: "ask", price: priceText(p, options.instrument), qty: book.qtyAtLevel(-1, k), orders: book.ordersAtCount(-1, p), queue: queue(-1, p) });
  }
  for (let k = 0; k < Math.min(levels, book.levelCount(1)); k++) {
    const p = book.priceAt(1, k);
    rows.push({ side: "bid", price: priceText(p, options.instrument), qty: book.qtyAtLevel(1, k), orders: book.ordersAtCount(1, p), queue: queue(1, p) });
  }
  return tableHtml(
    { side: rows.map((r) => r.side), price: rows.map((r) => r.price), qty: rows.map((r) => r.qty), orders: rows.map((r) => r.orders), "queue (sizes, front first)": rows.map((r) => r.queue) },
    { caption: `L3 book: ${book.orderCount()} orders, ${book.levelCount(1)} bid / ${book.levelCount(-1)} ask levels`, limit: 2 * levels },
  );
}

export function showL3Level(book: L3Book, side: 1 | -1, priceTicks: number, options: L3ViewOptions = {}): void {
  displayHtml(panel(l3LevelHtml(book, side, priceTicks, options)));
}

export function showL3Ladder(book: L3Book, levels = 5, options: L3ViewOptions = {}): void {
  displayHtml(panel(l3LadderHtml(book, levels, options)));
}
