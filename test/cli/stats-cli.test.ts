import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT, TEST_OUTPUT } from "../helpers/paths.js";
import { generateTicks } from "../../src/data/index.js";
import { backtest } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";

const DIR = join(TEST_OUTPUT, "stats-cli");
mkdirSync(DIR, { recursive: true });

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(...args: string[]): Record<string, unknown> {
  const r = cli(...args);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function expectOneLineError(result: ReturnType<typeof cli>, code: string): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: .+\\(hint: .+\\)$`));
}

// empyrical's test series `mixed_returns` without its leading NaN (empyrical drops NaN in these
// statistics): [1, 10, −4, 2, 3, 2, 1, −10] %.
const MIXED = [0.01, 0.1, -0.04, 0.02, 0.03, 0.02, 0.01, -0.1];

describe("strategy-lab stats", () => {
  const file = join(DIR, "mixed.txt");
  writeFileSync(file, MIXED.join("\n") + "\n");

  it("prints one JSON object with every key, matching empyrical's expectations and hand calculations", () => {
    const out = json("stats", file, "--json");
    for (const key of ["totalReturn", "annualReturn", "annualVolatility", "sharpe", "sortino", "calmar", "maxDrawdown", "omega", "tailRatio", "valueAtRisk", "conditionalValueAtRisk", "skewness", "kurtosis", "probabilisticSharpe", "deflatedSharpe", "minTrackRecordLength", "sharpeStandardError"]) {
      expect(out).toHaveProperty(key);
    }
    // empyrical/tests/test_stats.py: sharpe_ratio(mixed_returns) = 1.7238613961706866,
    // annual_volatility = 0.9136465399704637, sortino_ratio = 2.605531251673693, max_drawdown = −0.1
    expect(out.sharpe as number).toBeCloseTo(1.7238613961706866, 8);
    expect(out.annualVolatility as number).toBeCloseTo(0.9136465399704637, 8);
    expect(out.sortino as number).toBeCloseTo(2.605531251673693, 8);
    // empyrical's −0.1 as a depth ≥ 0
    expect(out.maxDrawdown as number).toBeCloseTo(0.1, 12);
    // Π(1 + r) − 1 = 0.03893109170048037; annual (252/8 periods) = 1.0389311^31.5 − 1 = 2.330292797300439
    expect(out.totalReturn as number).toBeCloseTo(0.03893109170048037, 12);
    expect(out.annualReturn as number).toBeCloseTo(2.330292797300439, 9);
    // numpy.percentile(x, 5) = −0.079 (linear interpolation between −0.1 and −0.04)
    expect(out.valueAtRisk as number).toBeCloseTo(-0.079, 12);
    // scipy.stats.kurtosis(x, fisher=False) = 3.119534731656992 (raw), skew = −0.3650572690177865
    expect(out.kurtosis as number).toBeCloseTo(3.119534731656992, 10);
    expect(out.skewness as number).toBeCloseTo(-0.3650572690177865, 10);
    // PSR = Φ(SR·√7/√(1 − γ3·SR + (γ4 − 1)/4·SR²)) with SR = 0.10859306069076731 -> 0.6106203604025079
    expect(out.probabilisticSharpe as number).toBeCloseTo(0.6106203604025079, 10);
    // MinTRL = 1 + (…)·(1.6448536/SR)² = 240.95893309098037 periods
    expect(out.minTrackRecordLength as number).toBeCloseTo(240.95893309098037, 7);
    // Lo iid SE √((1 + SR²/2)/8), annualized × √252 = 5.62900800604116
    expect(out.sharpeStandardError as number).toBeCloseTo(5.62900800604116, 9);
    // no trial count -> DSR is null (NaN) with a reason
    expect(out.deflatedSharpe).toBeNull();
    expect((out.reasons as Record<string, string>).deflatedSharpe).toMatch(/trials/);
  });

  it("deflates with --trials and --trial-sharpe-variance and reads CSV with a return column and JSON", () => {
    const csv = join(DIR, "mixed.csv");
    writeFileSync(csv, "ts,return\n" + MIXED.map((r, i) => `${i},${r}`).join("\n") + "\n");
    const jsonFile = join(DIR, "mixed.json");
    writeFileSync(jsonFile, JSON.stringify({ returns: MIXED }));
    const a = json("stats", csv, "--json", "--trials", "10", "--trial-sharpe-variance", "0.01");
    const b = json("stats", jsonFile, "--json", "--trials", "10", "--trial-sharpe-variance", "0.01");
    expect(a).toEqual(b);
    // SR0 = 0.1·(0.4228·Φ⁻¹(0.9) + 0.5772·Φ⁻¹(1 − 1/(10e))) = 0.15743… > SR, so DSR < 0.5 < PSR
    expect(a.deflatedSharpe as number).toBeLessThan(0.5);
    expect(a.deflatedSharpe as number).toBeLessThan(a.probabilisticSharpe as number);
  });

  it("prints a readable table without --json", () => {
    const r = cli("stats", file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^8 returns, 252 periods per year/);
    expect(r.stdout).toMatch(/Deflated Sharpe\s+n\/a\s+\(.*trials/);
  });

  it("reports bad input as one line with row and column", () => {
    const bad = join(DIR, "bad.csv");
    writeFileSync(bad, "return\n0.01\n0.0x2\n");
    const r = cli("stats", bad, "--json");
    expectOneLineError(r, "BAD_NUMBER");
    expect(r.stderr).toMatch(/row 3, column return/);
    expectOneLineError(cli("stats", join(DIR, "missing.csv")), "FILE_NOT_FOUND");
    expectOneLineError(cli("stats", file, "--trials", "5"), "BAD_OPTION");
    expectOneLineError(cli("stats", file, "--periods-per-year", "daily"), "BAD_OPTION");
  });

  it("gives null values with reasons for constant returns instead of failing", () => {
    const flat = join(DIR, "flat.txt");
    writeFileSync(flat, "0.001\n0.001\n0.001\n0.001\n0.001\n");
    const out = json("stats", flat, "--json");
    expect(out.sharpe).toBeNull();
    expect((out.reasons as Record<string, string>).sharpe).toMatch(/constant/);
    expect(out.totalReturn as number).toBeCloseTo(1.001 ** 5 - 1, 14);
  });
});

describe("strategy-lab pbo", () => {
  it("matches the hand enumeration of C(4, 2) splits for 3 trials", () => {
    // Blocks of 2 identical rows, values ×0.001:    B0  B1  B2  B3
    //                                          A:   6   1   2   5
    //                                          B:  −3   4   0  −2
    //                                          C:  −1  −2   2   4
    // For rows [a, a, b, b]: sample sd = |a − b|/√3, so Sharpe = √3·(a + b)/(2|a − b|) ∝ (a + b)/|a − b|.
    // IS | OOS       IS ratios (A, B, C)      best  OOS ratios (A, B, C)   rank  ω    λ
    // {0,1}|{2,3}    1.4, 0.143, −3           A     2.333, −1, 3           2     1/2  0
    // {0,2}|{1,3}    2, −1, 0.333             A     1.5, 0.333, 0.333      3     3/4  ln 3
    // {0,3}|{1,2}    11, −5, 0.6              A     3, 1, 0                3     3/4  ln 3
    // {1,2}|{0,3}    3, 1, 0                  A     11, −5, 0.6            3     3/4  ln 3
    // {1,3}|{0,2}    1.5, 0.333, 0.333        A     2, −1, 0.333           3     3/4  ln 3
    // {2,3}|{0,1}    2.333, −1, 3             C     1.4, 0.143, −3         1     1/4  −ln 3
    // PBO = #{λ ≤ 0}/6 = 2/6
    const blocks = [[6, -3, -1], [1, 4, -2], [2, 0, 2], [5, -2, 4]];
    const rows = blocks.flatMap((b) => [b, b]).map((r) => r.map((v) => v * 0.001).join(","));
    const file = join(DIR, "matrix.csv");
    writeFileSync(file, "A,B,C\n" + rows.join("\n") + "\n");
    const out = json("pbo", file, "--partitions", "4", "--json");
    expect(Object.keys(out).sort()).toEqual(["logits", "pbo"]);
    expect(out.pbo as number).toBeCloseTo(2 / 6, 14);
    const ln3 = Math.log(3);
    const expected = [0, ln3, ln3, ln3, ln3, -ln3];
    (out.logits as number[]).forEach((l, i) => expect(l).toBeCloseTo(expected[i]!, 12));
  });

  it("rejects an odd partition count and a bad cell with one line", () => {
    const file = join(DIR, "matrix2.csv");
    writeFileSync(file, "0.01,0.02\n0.03,x\n0.01,0.0\n0.02,0.01\n");
    expectOneLineError(cli("pbo", file, "--partitions", "2", "--json"), "BAD_NUMBER");
    const ok = join(DIR, "matrix3.csv");
    writeFileSync(ok, "0.01,0.02\n0.03,0.01\n0.01,0.0\n0.02,0.01\n");
    const r = cli("pbo", ok, "--partitions", "3", "--json");
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/partitions/);
  });

  it("prints a null PBO with the reason when the matrix is too short for the partitions", () => {
    const file = join(DIR, "matrix4.csv");
    writeFileSync(file, "0.01,0.02\n0.03,0.01\n0.01,0.0\n0.02,0.01\n");
    const out = json("pbo", file, "--partitions", "8", "--json");
    expect(out.pbo).toBeNull();
    expect(out.logits).toEqual([]);
    expect(out.reason).toMatch(/8 partitions of 4 periods/);
  });
});

describe("strategy-lab report", () => {
  it("writes one self-contained HTML file from a backtest results file", () => {
    // The results file is what `strategy-lab backtest --out` writes: BacktestResult.toJSON().
    const runFile = join(DIR, "run.json");
    const ticks = generateTicks({ events: 20000, seed: 3, mode: "l2" });
    const run = backtest(ticks, strategies.get("marketMaker")({}), { seed: 3, equityIntervalNs: 1e9, initialCash: 100_000 });
    writeFileSync(runFile, JSON.stringify(run.toJSON()));
    const results = JSON.parse(readFileSync(runFile, "utf8")) as { summary: { trades: number }; equity: { ts: string[] } };
    const out = join(DIR, "report.html");
    const r = cli("report", runFile, "--out", out, "--trials", "24", "--trial-sharpe-variance", "0.0001", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    const html = readFileSync(out, "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toMatch(/marketMaker/);
    expect(html).toMatch(/24 trials/);
    const markup = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "");
    expect(markup).not.toMatch(/\s(?:src|href)\s*=\s*["'](?!#|data:)[^"']+["']/i);
    expect(results.equity.ts.length).toBeGreaterThan(2);
  });

  it("explains a results file that is not one", () => {
    const bad = join(DIR, "notrun.json");
    writeFileSync(bad, JSON.stringify({ hello: 1 }));
    expectOneLineError(cli("report", bad, "--out", join(DIR, "x.html")), "BAD_RESULTS");
  });
});
