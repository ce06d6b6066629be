import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { readLobster, EventKind, EventFlag, validate } from "../../src/venues/data-aliases.js";
import { formatNs, LabError } from "../../src/core/index.js";
import { SHARED_DATA, TEST_OUTPUT } from "../helpers/paths.js";

const dir = join(SHARED_DATA, "lobster-goog-2012-06-21");
const zip10 = join(dir, "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip");

describe("LOBSTER reader", () => {
  const data = readLobster({ messages: zip10 });

  it("reads every row with the type counts stated in SOURCE.md", () => {
    expect(data.batch.length).toBe(147_916);
    expect(data.counts).toEqual({ add: 71_258, partialCancel: 19, delete: 64_961, execute: 7_765, hiddenExecute: 3_913, cross: 0, halt: 0 });
    expect(data.orderbook!.rows).toBe(147_916);
    expect(data.orderbook!.levels).toBe(10);
    expect(data.symbol).toBe("GOOG");
    expect(data.date).toBe("2012-06-21");
  });

  it("maps the first rows exactly (time padded to ns, New York to UTC, price x10000 to ticks)", () => {
    const b = data.batch;
    // 34200.015105074 s after New York midnight on 2012-06-21 (EDT, UTC-4) = 13:30:00.015105074Z.
    expect(formatNs(b.exchTs[0]!)).toBe("2012-06-21T13:30:00.015105074Z");
    expect(b.localTs[0]).toBe(b.exchTs[0]);
    // "34200.05990197" has 8 decimals: padded, not scaled by a float.
    expect(formatNs(b.exchTs[1]!)).toBe("2012-06-21T13:30:00.059901970Z");
    expect([b.kind[0], b.side[0], b.priceTicks[0], b.qtyLots[0], b.orderId[0], b.aux[0]]).toEqual([EventKind.Execute, 1, 57_940, 4, 15_818_974, 4]);
    // Row 3: hidden execution, order id 0 -> NaN, flagged Hidden.
    expect([b.kind[2], b.flags[2]! & EventFlag.Hidden, b.priceTicks[2], b.orderId[2]]).toEqual([EventKind.Execute, EventFlag.Hidden, 57_951, NaN]);
    const ob = data.orderbook!;
    // Orderbook row 0: ask 580.23 x 100, bid 579.40 x 496, ask2 580.43 x 100, bid2 578.70 x 400.
    expect([ob.askPrice[0], ob.askSize[0], ob.bidPrice[0], ob.bidSize[0], ob.askPrice[1], ob.bidPrice[1]]).toEqual([58_023, 100, 57_940, 496, 58_043, 57_870]);
  });

  it("keeps midpoint hidden executions exact and flagged instead of rounding them onto the grid", () => {
    const b = data.batch;
    let offGrid = 0;
    for (let i = 0; i < b.length; i++) {
      if (b.flags[i]! & EventFlag.OffGrid) {
        offGrid++;
        expect(b.flags[i]! & EventFlag.Hidden).toBe(EventFlag.Hidden);
        expect(Number.isInteger(b.priceTicks[i]! * 2)).toBe(true); // half ticks: 577.775 -> 57777.5
      }
    }
    expect(offGrid).toBe(50);
  });

  it("names file, row and column for bad input", () => {
    const files = unzipSync(readFileSync(zip10), { filter: (f) => f.name.includes("_message_") });
    const text = Buffer.from(Object.values(files)[0]!).toString("latin1").split("\n").slice(0, 100);
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const write = (name: string, lines: string[]) => {
      const file = join(TEST_OUTPUT, name);
      writeFileSync(file, lines.join("\n"));
      return file;
    };
    const badPrice = [...text];
    badPrice[41] = badPrice[41]!.replace(/,(\d+),(-?1)$/, ",57x9400,$2");
    const f1 = write("GOOG_2012-06-21_34200000_57600000_message_10.csv", badPrice);
    expect(() => readLobster({ messages: f1 })).toThrow(expect.objectContaining({ code: "BAD_VALUE", context: expect.objectContaining({ file: f1, row: 42, column: "price" }) }));
    const backwards = [...text];
    backwards[10] = backwards[10]!.replace(/^\d+\.\d+/, "34199.5");
    const f2 = write("GOOG_2012-06-21_34200000_57600000_message_10b.csv", backwards);
    // A time going backwards is kept as read; validate() reports it (exch-ts-order at batch row 10).
    const kept = readLobster({ messages: f2, date: "2012-06-21" });
    expect(kept.batch.length).toBe(100);
    expect(validate(kept.batch, { onReject: "report" }).issues.find((x) => x.class === "exch-ts-order")).toMatchObject({ count: 1, samples: [expect.objectContaining({ row: 10 })] });
    const noDate = write("messages.csv", text);
    expect(() => readLobster({ messages: noDate })).toThrow(LabError);
    expect(readLobster({ messages: noDate, date: "2012-06-21", orderbook: false }).batch.length).toBe(100);
  });
});
