import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { EventFlag, EventKind, readBinanceDepthCsv, readFile, readTardisCsv } from "../../src/venues/data-aliases.js";
import { ROOT } from "../helpers/paths.js";

const tardis = (f: string): string => join(ROOT, "data", "tardis-csv-samples", f);
const binance = (f: string): string => join(ROOT, "data", "binance-futures-depth-csv-samples", f);
const count = (a: ArrayLike<number>, v: number): number => Array.prototype.filter.call(a, (x: number) => x === v).length;

// Counts and first rows below are those stated in the samples' SOURCE.md files.
describe("Tardis CSV", () => {
  it("incremental_book_L2 (Deribit): 15 ask rows of the initial snapshot, after one Clear", async () => {
    const b = await readTardisCsv(tardis("deribit_incremental_book_L2_BTC-PERPETUAL.csv"), { instrument: instrument({ symbol: "BTC-PERPETUAL", venue: "deribit", tickSize: "0.5", lotSize: "10" }) });
    expect(b.length).toBe(16);
    expect(count(b.kind, EventKind.LevelSet)).toBe(15);
    expect(b.kind[0]).toBe(EventKind.Clear);
    expect(count(b.side, -1)).toBe(15);
    for (let i = 0; i < b.length; i++) expect(b.flags[i]! & EventFlag.Snapshot).toBe(EventFlag.Snapshot);
    // first data row: ...,1585699200245000,1585699200355684,true,ask,6421.5,18640
    expect(b.exchTs[1]).toBe(1585699200245000000n);
    expect(b.localTs[1]).toBe(1585699200355684000n);
    expect(b.priceTicks[1]).toBe(12843); // 6421.5 / 0.5
    expect(b.qtyLots[1]).toBe(1864); // 18640 / 10
    expect(b.instruments[0]!.priceString(b.priceTicks[1]!)).toBe("6421.5");
    expect(b.flags[15]! & EventFlag.Last).toBe(EventFlag.Last);
  });

  it("book_snapshot_5 / _25 (Binance futures): 10 rows each = Clear + 2N levels per row", async () => {
    const b5 = await readTardisCsv(tardis("binance-futures_book_snapshot_5_BTCUSDT.csv"));
    expect(b5.length).toBe(10 * 11);
    const b25 = await readTardisCsv(tardis("binance-futures_book_snapshot_25_BTCUSDT.csv"));
    expect(b25.length).toBe(10 * 51);
    expect(count(b25.kind, EventKind.Clear)).toBe(10);
    expect(count(b25.flags.map((f) => f & EventFlag.Last), EventFlag.Last)).toBe(10);
    // first row: asks[0] 11657.08 x 1.714, bids[0] 11657.07 x 10.896 (inferred tick 0.01, lot 0.001)
    expect(b5.instruments[0]!.tickSize).toBe("0.01");
    expect(b5.instruments[0]!.lotSize).toBe("0.001");
    expect([b5.side[1], b5.priceTicks[1], b5.qtyLots[1]]).toEqual([1, 1165707, 10896]);
    expect([b5.side[6], b5.priceTicks[6], b5.qtyLots[6]]).toEqual([-1, 1165708, 1714]);
    expect(b5.exchTs[0]).toBe(1598918403696000000n);
  });

  it("trades (BitMEX): 10 sells at 8531.5, UUID ids cannot be numbers", async () => {
    const b = await readTardisCsv(tardis("bitmex_trades_XBTUSD.csv"));
    expect(b.length).toBe(10);
    expect(count(b.kind, EventKind.Trade)).toBe(10);
    expect([b.side[0], b.instruments[0]!.priceString(b.priceTicks[0]!), b.qtyLots[0]]).toEqual([-1, "8531.5", 2152]);
    expect(Number.isNaN(b.aux[0]!)).toBe(true);
  });

  it("quotes (Huobi): 10 rows = 20 Bbo rows, bid then ask", async () => {
    const b = await readTardisCsv(tardis("huobi-dm-swap_quotes_BTC-USD.csv"));
    expect(b.length).toBe(20);
    // first row: ask_amount 5494, ask_price 8629.3, bid_price 8629.2, bid_amount 806
    expect([b.kind[0], b.side[0], b.priceTicks[0], b.qtyLots[0]]).toEqual([EventKind.Bbo, 1, 86292, 806]);
    expect([b.side[1], b.priceTicks[1], b.qtyLots[1]]).toEqual([-1, 86293, 5494]);
    expect(b.flags[1]! & EventFlag.Last).toBe(EventFlag.Last);
    expect(b.flags[0]! & EventFlag.Last).toBe(0);
  });

  it("the registry reads Tardis by name", async () => {
    const b = await readFile(tardis("bitmex_trades_XBTUSD.csv"), { format: "tardis" });
    expect(b.length).toBe(10);
    await expect(readFile(tardis("bitmex_trades_XBTUSD.csv"), { format: "tardsi" })).rejects.toMatchObject({ code: "UNKNOWN_FORMAT", hint: expect.stringContaining('did you mean "tardis"') });
  });
});

describe("Binance historical depth CSV", () => {
  it("snap file: 100 bid rows, a Clear first, one message", async () => {
    const b = await readBinanceDepthCsv(binance("btcusdt-depth-snap.csv"));
    expect(b.length).toBe(101);
    expect(b.kind[0]).toBe(EventKind.Clear);
    expect(count(b.side, 1)).toBe(100);
    // BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770,-1
    expect(b.exchTs[1]).toBe(1667346579146000000n);
    expect(b.seq[1]).toBe(2098021528332);
    expect(Number.isNaN(b.aux[1]!)).toBe(true);
    expect(b.instruments[0]!.priceString(b.priceTicks[1]!)).toBe("20377");
    expect(b.instruments[0]!.sizeString(b.qtyLots[1]!)).toBe("1.77");
    expect(b.flags[1]! & (EventFlag.Snapshot | EventFlag.BadTimestamp)).toBe(EventFlag.Snapshot | EventFlag.BadTimestamp);
  });

  it("update file: 77 ask / 23 bid set rows in one update group (pu -> aux, u -> seq)", async () => {
    const b = await readBinanceDepthCsv(binance("btcusdt-depth-update.csv"), { instrument: instrument({ symbol: "BTCUSDT", venue: "binance", tickSize: "0.1", lotSize: "0.001" }) });
    expect(b.length).toBe(100);
    expect(count(b.side, -1)).toBe(77);
    expect(count(b.side, 1)).toBe(23);
    expect(new Set(b.seq).size).toBe(1);
    expect(b.seq[0]).toBe(2098041696700);
    expect(b.aux[0]).toBe(2098041693400);
    expect(count(b.flags.map((f) => f & EventFlag.Last), EventFlag.Last)).toBe(1);
    expect(b.flags[99]! & EventFlag.Last).toBe(EventFlag.Last);
    // BTCUSDT,1667347199939,...,a,set,20472.80,0.000,2098041693400 -> a delete at 204728 ticks
    expect([b.priceTicks[0], b.qtyLots[0]]).toEqual([204728, 0]);
  });
});
