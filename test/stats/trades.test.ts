import { describe, expect, it } from "vitest";
import { Liquidity, lastAtOrBefore, markouts, roundTrips, tradeAnalytics, type FillTable, type MidSeries } from "../../src/stats/index.js";

const S = 1_000_000_000n;
const M = Liquidity.Maker;
const T = Liquidity.Taker;

// Seven fills of one instrument (t in seconds):
//   #  t  side  qty  price   fee     liquidity  orderId
//   1  0  buy   2    100     0.02    taker      1
//   2  1  buy   1    101    −0.01    maker      2
//   3  2  sell  2.5  103    −0.025   maker      3
//   4  4  sell  1    102     0.01    taker      4
//   5  5  buy   0.5  101    −0.005   maker      5
//   6  6  buy   1    101     0       maker      6
//   7  7  sell  1    100.5   0       taker      6
const fills: FillTable = {
  ts: BigInt64Array.from([0n, 1n, 2n, 4n, 5n, 6n, 7n].map((t) => t * S)),
  side: Int8Array.from([1, 1, -1, -1, 1, 1, -1]),
  qty: Float64Array.from([2, 1, 2.5, 1, 0.5, 1, 1]),
  price: Float64Array.from([100, 101, 103, 102, 101, 101, 100.5]),
  fee: Float64Array.from([0.02, -0.01, -0.025, 0.01, -0.005, 0, 0]),
  liquidity: Uint8Array.from([T, M, M, T, M, M, T]),
  orderId: Float64Array.from([1, 2, 3, 4, 5, 6, 6]),
};

// Mid rises linearly by 0.1 per second, sampled every 100 ms from 0 s to 16 s.
const mid: MidSeries = {
  ts: BigInt64Array.from({ length: 161 }, (_, k) => BigInt(k) * 100_000_000n),
  mid: Float64Array.from({ length: 161 }, (_, k) => 100 + 0.01 * k),
};

describe("FIFO round trips", () => {
  it("matches the hand calculation", () => {
    // Open lots (qty @ price, fee per unit): A 2@100 (0.01), B 1@101 (−0.01).
    // #3 sells 2.5 (fee/unit −0.01): closes A 2 -> gross (103−100)·2 = 6, fees 0.01·2 − 0.01·2 = 0
    //                                 closes B 0.5 -> gross (103−101)·0.5 = 1, fees −0.005 − 0.005 = −0.01
    // #4 sells 1 (fee/unit 0.01):    closes B 0.5 -> gross (102−101)·0.5 = 0.5, fees −0.005 + 0.005 = 0; opens short C 0.5@102 (0.01)
    // #5 buys 0.5 (fee/unit −0.01):  closes C -> gross (101−102)·0.5·(−1) = 0.5, fees 0.005 − 0.005 = 0
    // #6/#7: long 1@101 closed at 100.5 -> gross −0.5, fees 0
    const rt = roundTrips(fills);
    expect(rt.count).toBe(5);
    expect(Array.from(rt.direction)).toEqual([1, 1, 1, -1, 1]);
    expect(Array.from(rt.qty)).toEqual([2, 0.5, 0.5, 0.5, 1]);
    expect(Array.from(rt.entryPrice)).toEqual([100, 101, 101, 102, 101]);
    expect(Array.from(rt.exitPrice)).toEqual([103, 103, 102, 101, 100.5]);
    [6, 1, 0.5, 0.5, -0.5].forEach((g, i) => expect(rt.grossPnl[i]).toBeCloseTo(g, 12));
    [0, -0.01, 0, 0, 0].forEach((f, i) => expect(rt.fees[i]).toBeCloseTo(f, 12));
    [6, 1.01, 0.5, 0.5, -0.5].forEach((p, i) => expect(rt.netPnl[i]).toBeCloseTo(p, 12));
    expect(Array.from(rt.openTs, (t) => Number(t / S))).toEqual([0, 1, 1, 4, 6]);
    expect(Array.from(rt.closeTs, (t) => Number(t / S))).toEqual([2, 2, 4, 5, 7]);
  });

  it("conserves PnL: Σ net = Σ gross − Σ fill fees once every position is closed", () => {
    const rt = roundTrips(fills);
    const gross = rt.grossPnl.reduce((a, b) => a + b, 0);
    const net = rt.netPnl.reduce((a, b) => a + b, 0);
    const fees = fills.fee.reduce((a, b) => a + b, 0);
    expect(gross).toBeCloseTo(7.5, 12);
    expect(net).toBeCloseTo(gross - fees, 12);
  });

  it("keeps instruments apart", () => {
    const two: FillTable = { ...fills, ts: fills.ts.slice(0, 2), side: Int8Array.from([1, -1]), qty: Float64Array.from([1, 1]), price: Float64Array.from([10, 12]), fee: new Float64Array(2), liquidity: Uint8Array.from([M, M]), instrument: Uint16Array.from([0, 1]), orderId: Float64Array.from([1, 2]) };
    expect(roundTrips(two).count).toBe(0);
  });
});

describe("trade analytics", () => {
  const report = tradeAnalytics(fills, mid, { orders: 10 });
  const s = report.summary;

  it("counts, maker/taker shares, fees and rebates, fill ratio, turnover", () => {
    expect(s.fills).toBe(7);
    expect(s.buys).toBe(4);
    expect(s.sells).toBe(3);
    expect(s.volume).toBeCloseTo(9, 12); // 2 + 1 + 2.5 + 1 + 0.5 + 1 + 1
    expect(s.notional).toBeCloseTo(912.5, 10); // 200 + 101 + 257.5 + 102 + 50.5 + 101 + 100.5
    expect(s.makerFills).toBe(4);
    expect(s.makerShare).toBeCloseTo(5 / 9, 14); // maker qty 1 + 2.5 + 0.5 + 1
    expect(s.fees).toBeCloseTo(-0.01, 14);
    expect(s.feesPaid).toBeCloseTo(0.03, 14);
    expect(s.rebates).toBeCloseTo(0.04, 14);
    expect(s.makerFees).toBeCloseTo(-0.04, 14);
    expect(s.takerFees).toBeCloseTo(0.03, 14);
    expect(s.fillRatio).toBeCloseTo(6 / 10, 14); // 6 distinct order ids filled out of 10 sent
    expect(s.notionalPerDay).toBeCloseTo(912.5 / (7 / 86400), 6);
  });

  it("round-trip summary: win rate, profit factor, average win/loss and holding time", () => {
    const rt = s.roundTrips;
    expect(rt.count).toBe(5);
    expect(rt.winRate).toBeCloseTo(4 / 5, 14);
    expect(rt.netPnl).toBeCloseTo(7.51, 12);
    expect(rt.profitFactor).toBeCloseTo(8.01 / 0.5, 10);
    expect(rt.averageWin).toBeCloseTo(8.01 / 4, 12);
    expect(rt.averageLoss).toBeCloseTo(-0.5, 12);
    // holding 2 s, 1 s, 3 s, 1 s, 1 s
    expect(rt.averageHoldingNs).toBe(1.6e9);
    expect(rt.averageHoldingMs).toBeCloseTo(1600, 9);
    expect(rt.openQty).toBe(0);
  });

  it("inventory: extremes, time-weighted mean |position| and time flat", () => {
    // position after each fill: 2, 3, 0.5, −0.5, 0, 1, 0 at t = 0, 1, 2, 4, 5, 6, 7 s
    // |pos|·dt: 2·1 + 3·1 + 0.5·2 + 0.5·1 + 0·1 + 1·1 = 7.5 over 7 s; flat during [5, 6)
    const inv = s.inventory;
    expect(inv.maxLong).toBe(3);
    expect(inv.maxShort).toBe(-0.5);
    expect(inv.meanAbsolute).toBeCloseTo(7.5 / 7, 14);
    expect(inv.flatShare).toBeCloseTo(1 / 7, 14);
    expect(inv.final).toBe(0);
  });

  it("markouts: side-signed mid move in bp at 100 ms, 1 s and 10 s", () => {
    // mid(t) = 100 + 0.1·t; a move over h seconds is 0.1·h, in bp of mid(t): s·0.1·h·1e4/(100 + 0.1·t)
    const t = [0, 1, 2, 4, 5, 6, 7];
    const side = [1, 1, -1, -1, 1, 1, -1];
    const m = report.markouts!;
    expect(m.horizonsNs).toEqual([100_000_000, 1_000_000_000, 10_000_000_000]);
    expect(m.horizonsMs).toEqual([100, 1000, 10000]);
    // 10 s after the last fill (17 s) is past the last mid (16 s): 6 fills at 10 s
    expect(Array.from(m.counts)).toEqual([7, 7, 6]);
    const expected = (h: number, keep: (i: number) => boolean): number => {
      const v = t.map((ti, i) => (side[i]! * 0.1 * h * 1e4) / (100 + 0.1 * ti)).filter((_, i) => keep(i) && (h < 10 || t[i]! + h <= 16));
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    [0.1, 1, 10].forEach((h, k) => {
      expect(m.all[k]).toBeCloseTo(expected(h, () => true), 8);
      expect(m.buy[k]).toBeCloseTo(expected(h, (i) => side[i] === 1), 8);
      expect(m.sell[k]).toBeCloseTo(expected(h, (i) => side[i] === -1), 8);
    });
    // 1 s: buys +1000/100, +1000/100.1, +1000/100.5, +1000/100.6; sells −1000/100.2, −1000/100.4, −1000/100.7
    expect(m.buy[1]).toBeCloseTo((1000 / 100 + 1000 / 100.1 + 1000 / 100.5 + 1000 / 100.6) / 4, 8);
    // per fill: fill 1 (buy at 0 s) at 1 s: (mid(1 s) − mid(0))/mid(0)·1e4 = 0.1/100·1e4 = 10 bp
    expect(m.perFill[1]).toBeCloseTo(10, 8);
  });

  it("adverse selection: maker fills' 1 s markout, sign flipped", () => {
    // maker fills #2 buy t=1, #3 sell t=2, #5 buy t=5, #6 buy t=6: +1000/100.1, −1000/100.2, +1000/100.5, +1000/100.6
    const makers = [1000 / 100.1, -1000 / 100.2, 1000 / 100.5, 1000 / 100.6];
    expect(s.adverseSelectionBp).toBeCloseTo(-makers.reduce((a, b) => a + b, 0) / 4, 8);
    expect(s.adverseShare).toBeCloseTo(1 / 4, 14);
  });

  it("states why figures are missing without a mid series or an order count", () => {
    const bare = tradeAnalytics(fills);
    expect(bare.markouts).toBeUndefined();
    expect(bare.summary.fillRatio).toBeNaN();
    expect(bare.reasons.fillRatio).toMatch(/order count/);
    expect(bare.summary.adverseSelectionBp).toBeNaN();
    expect(bare.reasons.adverseSelectionBp).toMatch(/mid/);
    const none = tradeAnalytics({ ts: new BigInt64Array(0), side: new Int8Array(0), qty: new Float64Array(0), price: new Float64Array(0), fee: new Float64Array(0), liquidity: new Uint8Array(0) });
    expect(none.summary.fills).toBe(0);
    expect(none.summary.makerShare).toBeNaN();
    expect(none.summary.roundTrips.winRate).toBeNaN();
    expect(none.reasons.fills).toBe("no fills");
  });

  it("leaves out fills before the first mid", () => {
    const late: MidSeries = { ts: mid.ts.map((x) => x + 3n * S), mid: mid.mid };
    const m = markouts(fills, late, [1000]);
    // fills at 0, 1, 2 s come before the first mid at 3 s
    expect(m.count).toBe(4);
  });
});

describe("lastAtOrBefore", () => {
  it("binary-searches the last timestamp not after t", () => {
    const ts = BigInt64Array.from([10n, 20n, 20n, 30n]);
    expect(lastAtOrBefore(ts, 5n)).toBe(-1);
    expect(lastAtOrBefore(ts, 10n)).toBe(0);
    expect(lastAtOrBefore(ts, 25n)).toBe(2);
    expect(lastAtOrBefore(ts, 99n)).toBe(3);
  });
});
