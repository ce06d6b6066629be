/**
 * L3Book in LOBSTER mode on the real GOOG 2012-06-21 message file: orders resting before 09:30
 * never get an add message, so their cancels/executions are unknown ids. They must be counted
 * and reported (first row, id), never thrown unless asked. Ground truth: the shared data set's
 * SOURCE.md (3,362 such events in message_10, found by an independent replay).
 * The message CSV is parsed minimally here so this test does not depend on the LOBSTER reader.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { L3Book } from "../../src/book/index.js";
import { instrument, isLabError } from "../../src/core/index.js";
import { EventKind, TickBatchBuilder, type TickBatch } from "../../src/data/index.js";

const ZIP = fileURLToPath(new URL("../../../shared/data/real/lobster-goog-2012-06-21/LOBSTER_SampleFile_GOOG_2012-06-21_10.zip", import.meta.url));
const GOOG = instrument({ symbol: "GOOG", venue: "XNAS", tickSize: "0.01" });
const KIND: Record<string, number> = { "1": EventKind.Add, "2": EventKind.Reduce, "3": EventKind.Delete, "4": EventKind.Execute, "5": EventKind.Trade, "6": EventKind.Trade, "7": EventKind.Halt };

function loadMessages(): TickBatch {
  const files = unzipSync(new Uint8Array(readFileSync(ZIP)), { filter: (f) => f.name.includes("_message_") });
  const text = new TextDecoder().decode(Object.values(files)[0]!);
  const b = new TickBatchBuilder(150_000);
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const [time, type, id, size, price, dir] = line.split(",");
    const [sec, frac = ""] = time!.split(".");
    const ns = BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, "0"));
    // price is dollars x 10000; one tick (0.01) = 100 units.
    b.push(ns, ns, KIND[type!]!, Number(dir), Number(price) / 100, Number(size), Number(id));
  }
  return b.build([GOOG], "GOOG message_10");
}

describe("L3Book on LOBSTER GOOG message_10", () => {
  const batch = loadMessages();

  it("counts the 3,362 events on orders entered before the file starts, and keeps going", () => {
    expect(batch.length).toBe(147_916);
    const book = new L3Book({ venueRules: "lobster" });
    const byKind: Record<number, number> = {};
    for (let i = 0; i < batch.length; i++) {
      const before = book.stats.unknownIdEvents;
      book.apply(batch, i);
      if (book.stats.unknownIdEvents > before) byKind[batch.kind[i]!] = (byKind[batch.kind[i]!] ?? 0) + 1;
    }
    // SOURCE.md: 3,362 deletes (type 3) and executions (type 4) of never-added ids; a byte scan
    // finds one more unknown-id event, a partial cancel (type 2), which the book also reports.
    expect(byKind[EventKind.Delete]! + byKind[EventKind.Execute]!).toBe(3_362);
    expect(byKind[EventKind.Reduce]).toBe(1);
    expect(book.stats.unknownIdEvents).toBe(3_363);
    // The first unknown row is the file's first message: an execution of a pre-open order.
    expect(book.stats.firstUnknownIdRow).toBe(0);
    expect(book.stats.firstUnknownId).toBe(15_818_974);
    expect(book.stats.negativeQtyEvents).toBe(0);
    expect(book.orderCount()).toBeGreaterThan(0);
  });

  it("throws a LabError naming the row and source only when asked to", () => {
    const book = new L3Book({ venueRules: "lobster", onUnknownId: "throw" });
    let error: unknown;
    try {
      book.applyRange(batch);
    } catch (e) {
      error = e;
    }
    expect(isLabError(error)).toBe(true);
    expect((error as Error).message).toBe("order id 15818974 is not in the book at row 0 of GOOG message_10");
  });
});
