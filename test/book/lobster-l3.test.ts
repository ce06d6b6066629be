/**
 * LOBSTER as a reconciled L3 stream, checked against LOBSTER's own orderbook file (data/lobster,
 * GOOG 2012-06-21, 10 levels): a plain L3Book replaying the stream must hold every listed level of
 * every orderbook row after each message, and never meet an id it does not hold. The engine on the
 * stream must never see a crossed book, where the raw message replay crosses for most of the day.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { L3Book, lobsterL3Batch } from "../../src/venues/book-aliases.js";
import { isLabError } from "../../src/core/index.js";
import { EventFlag, EventKind, readLobster } from "../../src/venues/data-aliases.js";
import { backtest } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";

const ZIP = fileURLToPath(new URL("../../data/lobster/LOBSTER_SampleFile_GOOG_2012-06-21_10.zip", import.meta.url));

describe("LOBSTER as a reconciled L3 stream", () => {
  const data = readLobster({ messages: ZIP });
  const result = lobsterL3Batch(data);
  const { batch, messageEnd } = result;

  it("equals every orderbook row on all listed levels after each message, with only ids it added", () => {
    const ob = data.orderbook!;
    const W = ob.levels;
    const book = new L3Book({ onUnknownId: "throw" });
    let row = 0;
    let compared = 0;
    const mismatches: string[] = [];
    for (let i = 0; i < data.batch.length; i++) {
      for (; row < messageEnd[i]!; row++) book.apply(batch, row);
      expect((batch.flags[messageEnd[i]! - 1]! & EventFlag.Last) !== 0).toBe(true);
      for (const side of [1, -1] as const) {
        const prices = side === 1 ? ob.bidPrice : ob.askPrice;
        const sizes = side === 1 ? ob.bidSize : ob.askSize;
        for (let k = 0; k < W; k++) {
          const p = prices[i * W + k]!;
          if (Number.isNaN(p)) break;
          compared++;
          if (book.priceAt(side, k) !== p || book.qtyAtLevel(side, k) !== sizes[i * W + k]) {
            if (mismatches.length < 5) mismatches.push(`message ${i + 1} side ${side} level ${k + 1}: ${book.priceAt(side, k)} x ${book.qtyAtLevel(side, k)}, orderbook ${p} x ${sizes[i * W + k]}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(2_900_000);
    expect(book.stats.unknownIdEvents).toBe(0);
    expect(book.stats.negativeQtyEvents).toBe(0);
    expect(book.stats.invalidEvents).toBe(0);
  });

  it("keeps the messages' own rows and says what it had to add or remove", () => {
    // Every add message passes through with its id; the 3,363 events on orders resting before the
    // file starts (docs/l3-book.md) are among the unknown-id messages served from anonymous size.
    let adds = 0;
    for (let r = 0; r < batch.length; r++) if (batch.kind[r] === EventKind.Add && batch.aux[r] === 1) adds++;
    expect(adds).toBe(data.counts.add);
    expect(result.unknownIdMessages).toBeGreaterThanOrEqual(3_363);
    expect(result.forcedRemovals).toBeGreaterThan(0);
    expect(result.firstForcedRemoval).toBeGreaterThan(0);
    // Before the first forced removal, the stream's rows for each message are the message itself
    // plus reconciliation adds of anonymous size only (no order the file added was touched).
    for (let r = messageEnd[0]!; r < messageEnd[result.firstForcedRemoval - 1]!; r++) {
      if (batch.aux[r] === -2) expect(batch.orderId[r]!).toBeLessThan(0);
    }
    expect(result.batch.source).toContain("reconciled to 10 levels");
    // The figures docs/book.md states for this file.
    expect(batch.length).toBe(157_112);
    expect(result.unknownIdMessages).toBe(3_472);
    expect(result.firstForcedRemoval + 1).toBe(1_160);
  });

  it("gives the engine a book that never crosses, where the raw message replay does", () => {
    const strategy = strategies.get("imbalance")({});
    const reconciled = backtest(batch, strategy, { latencyNs: 50_000 });
    const raw = backtest(data.batch, strategy, { latencyNs: 50_000, venueRules: "lobster" });
    expect(reconciled.diagnostics.books[0]!.crossedGroups).toBe(0);
    expect(reconciled.diagnostics.books[0]!.unknownIdEvents).toBe(0);
    expect(raw.diagnostics.books[0]!.crossedGroups).toBeGreaterThan(10_000);
    expect(reconciled.summary.trades).toBeGreaterThan(0);
  });

  it("rejects a level count the orderbook does not have, and data without an orderbook", () => {
    const bad = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        return isLabError(error) ? error.code : "not a LabError";
      }
      return "no error";
    };
    expect(bad(() => lobsterL3Batch(data, { levels: 11 }))).toBe("BAD_OPTION");
    expect(bad(() => lobsterL3Batch({ ...data, orderbook: undefined }))).toBe("NO_ORDERBOOK");
  });
});
