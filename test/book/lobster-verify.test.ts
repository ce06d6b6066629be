import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { readLobster } from "../../src/venues/data-aliases.js";
import { verifyLobster } from "../../src/venues/book-aliases.js";
import { SHARED_DATA } from "../helpers/paths.js";

const dir = join(SHARED_DATA, "lobster-goog-2012-06-21");

describe("L2 reconstruction against LOBSTER's reference order book (GOOG 2012-06-21)", () => {
  const ten = readLobster({ messages: join(dir, "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip") });

  it.each([10, 5])("levels 1..L-1 match on every one of the 147,915 rows at L = %i", (L) => {
    const report = verifyLobster(ten, { levels: L });
    expect(report.rows).toBe(147_915);
    expect(report.mismatches).toBe(0);
    expect(report.firstMismatch).toBeNull();
    // Every row compares L-1 levels on both sides, plus level L whenever it was already in view.
    expect(report.compared).toBeGreaterThanOrEqual(147_915 * 2 * (L - 1));
    expect(report.compared + report.notComparable).toBe(147_915 * 2 * L);
    expect(report.notComparable).toBeGreaterThan(0);
  });

  it("a wrong message is caught (the check can fail)", () => {
    const data = readLobster({ messages: join(dir, "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip") });
    // Make the first full delete at the best bid remove one share too few.
    const b = data.batch;
    const ob = data.orderbook!;
    let row = -1;
    for (let i = 1; i < b.length && row < 0; i++) if (b.aux[i] === 3 && b.side[i] === 1 && b.priceTicks[i] === ob.bidPrice[(i - 1) * 10]) row = i;
    (b.qtyLots as Float64Array)[row] = b.qtyLots[row]! - 1;
    const report = verifyLobster(data);
    expect(report.mismatches).toBeGreaterThan(0);
    expect(report.firstMismatch!.row).toBe(row);
    expect(report.firstMismatch!.side).toBe("bid");
  });

  it("takes file paths too: the level-5 file, all 112,672 rows after the first, zero mismatches", () => {
    const five = join(dir, "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip");
    const fromFiles = verifyLobster({ messages: five, levels: 5 });
    expect(fromFiles).toEqual(verifyLobster(readLobster({ messages: five }), { levels: 5 }));
    expect([fromFiles.rows, fromFiles.mismatches, fromFiles.compared + fromFiles.notComparable]).toEqual([112_672, 0, 112_672 * 2 * 5]);
  });
});
