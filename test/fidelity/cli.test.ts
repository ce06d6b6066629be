/**
 * The reproduction from a shell: `strategy-lab backtest --strategy skewedMarketMaker --compat
 * hftbacktest --fills-csv` on hftbacktest's event file writes the reference fills CSV byte for byte
 * and prints the reference's equity as the run's pnl.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, SHARED_DATA, TEST_OUTPUT } from "../helpers/paths.js";

const REF = join(SHARED_DATA, "..", "reference", "hftbacktest-1.8.4");

describe("strategy-lab backtest --compat hftbacktest", () => {
  it("reproduces mm_squareprob_fills.csv and the summary's equity", () => {
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const csv = join(TEST_OUTPUT, "hftbacktest-fills.csv");
    const args = ["backtest", "--strategy", "skewedMarketMaker", "--data", join(REF, "btcusdt_20240808.npz"), "--symbol", "BTCUSDT", "--tick-size", "0.1", "--lot-size", "0.001", "--compat", "hftbacktest", "--queue", "squareProb", "--latency", "10ms", "--fees", '{"maker":-0.00005,"taker":0.0007}', "--fills-csv", csv, "--check", "off", "--json"];
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { summary: { pnl: number; trades: number; orders: number; fees: number } };
    const ref = JSON.parse(readFileSync(join(REF, "mm_squareprob_summary.json"), "utf8")) as { result: { equity: number; fills: number; orders_sent: number; fee: number } };
    expect([Number(out.summary.pnl.toFixed(4)), out.summary.trades, out.summary.orders, Number(out.summary.fees.toFixed(6))]).toEqual([ref.result.equity, ref.result.fills, ref.result.orders_sent, ref.result.fee]);
    expect(readFileSync(csv, "utf8")).toBe(readFileSync(join(REF, "mm_squareprob_fills.csv"), "utf8"));
  }, 120_000);

  it("from the raw capture through our own reader (--exchange-time transaction --clock-offset auto): every reference fill matched", () => {
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const csv = join(TEST_OUTPUT, "raw-capture-fills.csv");
    const capture = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");
    const args = ["backtest", "--strategy", "skewedMarketMaker", "--data", capture, "--format", "binance-raw", "--symbol", "BTCUSDT", "--venue", "BINANCE-FUTURES", "--tick-size", "0.1", "--lot-size", "0.001", "--exchange-time", "transaction", "--clock-offset", "auto", "--compat", "hftbacktest", "--queue", "squareProb", "--latency", "10ms", "--fees", '{"maker":-0.00005,"taker":0.0007}', "--fills-csv", csv, "--check", "off", "--json"];
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const rows = (file: string): string[][] => readFileSync(file, "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
    const ref = rows(join(REF, "mm_squareprob_fills.csv"));
    const ours = rows(csv);
    // The criterion: a reference fill is matched by one of ours on the same side and price tick
    // within 5 ms of exchange time.
    const used = new Uint8Array(ours.length);
    let matched = 0;
    for (const [, ts, , side, tick] of ref) {
      const j = ours.findIndex((o, k) => used[k] === 0 && o[3] === side && o[4] === tick && Math.abs(Number(BigInt(o[1]!) - BigInt(ts!))) <= 5_000_000);
      if (j >= 0) {
        used[j] = 1;
        matched++;
      }
    }
    expect(ref.length).toBe(329);
    expect(matched / ref.length).toBeGreaterThanOrEqual(0.9);
    // In fact fill for fill: same order ids, sides, ticks and sizes; the times differ by the two
    // offset estimates (ours from every line read, the converter's its own) and the reference's
    // float64 rounding, well under a microsecond.
    expect(ours.map((o) => o.slice(2))).toEqual(ref.map((o) => o.slice(2)));
    for (let i = 0; i < ref.length; i++) {
      expect(Math.abs(Number(BigInt(ours[i]![0]!) - BigInt(ref[i]![0]!)))).toBeLessThan(1_000);
      expect(Math.abs(Number(BigInt(ours[i]![1]!) - BigInt(ref[i]![1]!)))).toBeLessThan(1_000);
    }
  }, 300_000);

  it("refuses another engine name", () => {
    const r = spawnSync(process.execPath, [CLI, "backtest", "--strategy", "skewedMarketMaker", "--data", "generated", "--events", "1000", "--compat", "zipline", "--json"], { encoding: "utf8", cwd: ROOT, input: "" });
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain("--compat must be hftbacktest");
  });
});
