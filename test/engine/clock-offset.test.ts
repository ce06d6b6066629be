/**
 * The collector's clock offset (src/data/clock-offset.ts, backtest option clockOffsetNs): on the
 * real Binance capture, whose receive clock runs about 1.27 s behind the exchange's, the estimate
 * equals the largest exchange − receive difference computed here with BigInts; "auto" leaves no
 * row raised to zero feed latency; a given offset runs exactly like data whose receive times were
 * shifted by hand; without it the run warns.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { EventFlag, estimateClockOffset, generateTicks, readFile, readReportOf, shiftLocalTimes, tickBatch, TICK_COLUMN_NAMES, validate, type TickBatch, type TickColumns } from "../../src/venues/data-aliases.js";
import { backtest, latency, type BacktestOptions } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { caught } from "../helpers/checks.js";
import { CLI, ROOT } from "../helpers/paths.js";

const tmp = mkdtempSync(join(tmpdir(), "clock-offset-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const capture = join(tmp, "capture.txt");
writeFileSync(capture, gunzipSync(readFileSync(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"))).toString("utf8").split("\n").slice(0, 6000).join("\n") + "\n");

/** max(exch − local) and the rows with local < exch, with BigInts (the independent computation). */
function lead(batch: TickBatch): { max: bigint; behind: number } {
  let max = 0n;
  let behind = 0;
  for (let i = 0; i < batch.length; i++) {
    if ((batch.flags[i]! & EventFlag.BadTimestamp) !== 0) continue;
    const d = batch.exchTs[i]! - batch.localTs[i]!;
    if (d > 0n) behind++;
    if (d > max) max = d;
  }
  return { max, behind };
}

const run = (batch: TickBatch | TickBatch[], options: BacktestOptions = {}) => backtest(batch, strategies.imbalance({ threshold: 0.3, size: 1 }), { latencyNs: 20_000, ...options });

describe("clock offset", () => {
  it("is estimated exactly on a real capture, and validate reports it", async () => {
    const batch = await readFile(capture, { format: "binance-raw" });
    const truth = lead(batch);
    expect(truth.behind).toBe(batch.length); // every row "arrives" before it was sent
    const est = estimateClockOffset(batch);
    expect(BigInt(est.maxNs)).toBe(truth.max);
    expect(est.maxNs).toBeGreaterThan(1.2e9);
    expect(est.maxNs).toBeLessThan(1.35e9);
    expect(est.rowsBehind).toEqual([truth.behind]);
    const summary = validate(batch).summary;
    expect(summary.clockOffsetNs).toBe(est.maxNs);
    expect(summary.byInstrument[0]!.clockOffsetNs).toBe(est.maxNs);
  });

  it('"auto" leaves no row at zero feed latency; without it the run says how many rows were raised', async () => {
    const batch = await readFile(capture, { format: "binance-raw" });
    const plain = run(batch);
    expect(plain.diagnostics.feedTimestampsRaised).toBe(batch.length);
    expect(plain.diagnostics.clockOffsetNs).toEqual([0]);
    expect(plain.diagnostics.warnings[0]).toBe(`${batch.length.toLocaleString("en-US")} of ${batch.length.toLocaleString("en-US")} rows (100.0 %) were received before their exchange time and seen with zero feed latency: the capture's clock runs behind the exchange's; clockOffsetNs: "auto" (CLI --clock-offset auto) estimates the offset and adds it to receive times`);
    const auto = run(batch, { clockOffsetNs: "auto" });
    expect(auto.diagnostics.feedTimestampsRaised).toBe(0);
    expect(auto.diagnostics.clockOffsetNs).toEqual([Number(lead(batch).max)]);
    expect(auto.diagnostics.warnings).toEqual([]);
    expect(auto.settings.feedLatency).toBe(`data, receive clock +${(Number(lead(batch).max) / 1e6).toFixed(3)} ms`);
  });

  it("a given offset runs exactly like receive times shifted by hand, and the reader option shifts them", async () => {
    const batch = await readFile(capture, { format: "binance-raw" });
    const offset = 1_300_000_000;
    const cols = {} as Record<string, unknown>;
    for (const name of TICK_COLUMN_NAMES) cols[name] = name === "localTs" ? batch.localTs.map((t) => t + BigInt(offset)) : batch[name];
    const byHand = tickBatch(cols as unknown as TickColumns, batch.instruments, batch.source);
    const a = run(batch, { clockOffsetNs: offset });
    const b = run(byHand);
    expect(a.fills.ts.length).toBeGreaterThan(10);
    expect(Array.from(a.fills.ts)).toEqual(Array.from(b.fills.ts));
    expect(Array.from(a.fills.price)).toEqual(Array.from(b.fills.price));
    expect(Array.from(a.equity.equity)).toEqual(Array.from(b.equity.equity));
    expect(a.diagnostics.feedTimestampsRaised).toBe(b.diagnostics.feedTimestampsRaised);
    // the reader option: the same receive times, the read report kept
    const read = await readFile(capture, { format: "binance-raw", clockOffsetNs: offset });
    expect(read.localTs).toEqual(byHand.localTs);
    expect(readReportOf(read)).toEqual(readReportOf(batch));
    const auto = await readFile(capture, { format: "binance-raw", clockOffsetNs: "auto" });
    expect(lead(auto)).toEqual({ max: 0n, behind: 0 });
    expect(shiftLocalTimes(batch, [0])).toBe(batch);
  });

  it("is estimated per instrument, and checked", () => {
    const a = generateTicks({ events: 3000, seed: 3, mode: "l2" });
    const lagged = shiftLocalTimes(a, [-5_000_000]); // a receive clock 5 ms behind on top of the generated latency
    const other = generateTicks({ events: 3000, seed: 4, mode: "l2", instrument: { ...a.instruments[0]!, symbol: "OTHER" } as never });
    const truth = lead(lagged);
    const r = run([lagged, other], { clockOffsetNs: "auto" });
    expect(r.diagnostics.clockOffsetNs).toEqual([Number(truth.max), 0]);
    expect(r.diagnostics.feedTimestampsRaised).toBe(0);
    expect(caught(() => run(a, { clockOffsetNs: [1, 2] })).message).toBe("backtest option clockOffsetNs: 2 values for 1 instruments");
    expect(caught(() => run(a, { clockOffsetNs: 1.5 })).code).toBe("BAD_OPTION");
    expect(caught(() => run(a, { clockOffsetNs: "later" as never })).code).toBe("BAD_OPTION");
    expect(caught(() => run(a, { clockOffsetNs: 1000, feedLatencyNs: latency.feedConstant(10_000) })).message).toContain('applies to receive times from the data (feedLatencyNs: "data")');
  });

  it("the CLI: validate states the estimate, backtest --clock-offset auto runs without the warning", () => {
    const text = spawnSync(process.execPath, [CLI, "validate", capture, "--format", "binance-raw", "-q"], { encoding: "utf8" });
    expect(text.stdout).toMatch(/receive clock behind the exchange's by up to 1\.\d{6} s \(estimated clock offset; --clock-offset auto adds it to receive times\)/);
    const plain = JSON.parse(spawnSync(process.execPath, [CLI, "backtest", "--data", capture, "--format", "binance-raw", "--strategy", "imbalance", "--json"], { encoding: "utf8" }).stdout);
    expect(plain.warnings[0]).toMatch(/^([\d,]+) of \1 rows \(100\.0 %\) were received before their exchange time and seen with zero feed latency/);
    const auto = JSON.parse(spawnSync(process.execPath, [CLI, "backtest", "--data", capture, "--format", "binance-raw", "--strategy", "imbalance", "--json", "--clock-offset", "auto"], { encoding: "utf8" }).stdout);
    expect(auto.warnings).toEqual([]);
    expect(auto.settings.feedLatency).toMatch(/^data, receive clock \+1\d{3}\.\d{3} ms$/);
  });
});
