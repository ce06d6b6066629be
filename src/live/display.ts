/**
 * A paper session shown in a notebook, updated in place (one output, rewritten at most every
 * `everyMs`): its state and figures, the feed's book ladder and the latest trades. Outside a
 * notebook the same updates go to the report layer's text fallback.
 */
import { EventKind, type TickBatch } from "../data/index.js";
import { newDisplaySlot } from "../report/index.js";
import type { BinanceFeed } from "./feed.js";
import type { PaperSession } from "./paper.js";

export interface SessionDisplayOptions {
  /** Least time between two updates. @default 500 */
  everyMs?: number;
  /** Book levels per side. @default 5 */
  levels?: number;
  /** Latest trades listed. @default 8 */
  trades?: number;
}

export interface SessionDisplay {
  /** Updates the output now. */
  refresh(): void;
  /** Stops updating (the output keeps its last state). */
  stop(): void;
  /** Updates drawn so far. */
  readonly updates: number;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function table(caption: string, head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (v: string | number): string => esc(typeof v === "number" ? (Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: 6 }) : "–") : v);
  return `<table><caption>${esc(caption)}</caption><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

/** Shows `session` (running on `feed`) in place until it ends or `stop()` is called. */
export function showSession(session: PaperSession, feed: BinanceFeed, options: SessionDisplayOptions = {}): SessionDisplay {
  const everyMs = options.everyMs ?? 500;
  const levels = options.levels ?? 5;
  const keep = options.trades ?? 8;
  const spec = feed.instrument;
  const slot = newDisplaySlot();
  // Latest trades, newest last: price and size in ticks and lots, aggressor side.
  const trades: { price: number; qty: number; side: number; local: bigint }[] = [];
  const offRows = feed.onRows((rows: TickBatch) => {
    // The piece's last `keep` trades, found from its end: a piece may hold thousands of rows.
    let from = rows.length;
    for (let found = 0; from > 0 && found < keep; ) if (rows.kind[--from] === EventKind.Trade) found++;
    for (let i = from; i < rows.length; i++) {
      if (rows.kind[i] !== EventKind.Trade) continue;
      trades.push({ price: rows.priceTicks[i]!, qty: rows.qtyLots[i]!, side: rows.side[i]!, local: rows.localTs[i]! });
      if (trades.length > keep) trades.shift();
    }
  });
  let updates = 0;
  let stopped = false;
  const draw = (): void => {
    const s = session.status();
    const f = s.feed;
    const figures = table("paper session", ["state", "rows", "held", "position (lots)", "equity", "messages", "gaps", "resyncs", "malformed", "lag p50 / p99 (ms)", "in sync"], [
      [s.state, s.rowsDelivered, s.rowsQueued, s.position, Number(s.equity.toFixed(4)), f.messages, f.gaps, f.resyncs, f.malformed, `${f.lagMs.p50.toFixed(1)} / ${f.lagMs.p99.toFixed(1)}`, f.inSync ? "yes" : "no"],
    ]);
    const book = feed.book;
    const ladder: (string | number)[][] = [];
    for (let k = 0; k < levels; k++) {
      const bid = book.priceAt(1, k);
      const ask = book.priceAt(-1, k);
      ladder.push([
        Number.isNaN(bid) ? "" : spec.sizeString(book.qtyAtLevel(1, k)),
        Number.isNaN(bid) ? "" : spec.priceString(bid),
        Number.isNaN(ask) ? "" : spec.priceString(ask),
        Number.isNaN(ask) ? "" : spec.sizeString(book.qtyAtLevel(-1, k)),
      ]);
    }
    const bookHtml = table("book", ["bid size", "bid", "ask", "ask size"], ladder);
    const tradeHtml = table("latest trades", ["side", "price", "size"], [...trades].reverse().map((t) => [t.side > 0 ? "buy" : t.side < 0 ? "sell" : "?", spec.priceString(t.price), spec.sizeString(t.qty)]));
    slot.update(`<div class="slab-live">${figures}${bookHtml}${tradeHtml}</div>`);
    updates++;
  };
  const timer = setInterval(() => {
    if (stopped) return;
    draw();
    const state = session.status().state;
    if (state === "finished" || state === "failed") stop();
  }, everyMs);
  timer.unref();
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    offRows();
    draw();
  };
  // The last state is drawn when the run ends, whatever the timer's phase.
  session.result.then(stop, stop);
  draw();
  return {
    refresh: () => {
      if (!stopped) draw();
    },
    stop,
    get updates() {
      return updates;
    },
  };
}
