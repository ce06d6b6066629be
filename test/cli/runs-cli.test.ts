/**
 * `backtest --store`, `optimize --store`, `strategy-lab runs list/show/compare` and `strategy-lab
 * rerun`: a recorded backtest reruns bit for bit (exit 0, the recorded hash), and a changed option
 * or data file makes it exit 1 naming exactly that. Ground truth: the backtest command's own JSON
 * summary and checksums computed here.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTicks, writeParquet } from "../../src/data/index.js";
import { CLI, ROOT } from "../helpers/paths.js";

const dir = mkdtempSync(join(tmpdir(), "lab-runs-cli-"));
const data = join(dir, "ticks.parquet");
const db = join(dir, "runs.duckdb");

function cli(args: readonly string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  delete clean.STRATEGY_LAB_STORE;
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "", env: { ...clean, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T>(r: { code: number | null; stdout: string; stderr: string }): T {
  expect(r.stderr.replace(/^recorded as run .*\n/m, "")).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface RunJson {
  id: string;
  kind: string;
  state: string;
  trials: number;
  resultHash?: string;
  metrics: Record<string, number | string>;
  manifest: { data: { files?: { path: string; bytes: number; sha256: string }[] }; engine: Record<string, unknown> };
}

const backtestArgs = ["backtest", "--strategy", "imbalance", "--data", data, "--latency", "50us", "--seed", "3", "--params", '{"threshold":0.4}', "--json"];

beforeAll(async () => {
  await writeParquet(generateTicks({ events: 20_000, seed: 1, mode: "l2" }), data);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("strategy-lab runs and rerun", () => {
  let first: string;
  let summary: { pnl: number; trades: number };

  it("backtest --store records the run; STRATEGY_LAB_STORE does the same without the option", () => {
    const a = json<{ runId: string; summary: { pnl: number; trades: number } }>(cli([...backtestArgs, "--store", db]));
    const b = json<{ runId: string }>(cli(backtestArgs, { STRATEGY_LAB_STORE: db }));
    expect(a.runId).toMatch(/^run-/);
    expect(b.runId).not.toBe(a.runId);
    first = a.runId;
    summary = a.summary;
    // Without a store nothing is recorded and no runId is printed.
    expect(json<{ runId?: string }>(cli(backtestArgs)).runId).toBeUndefined();

    const list = json<{ runs: RunJson[]; total: number }>(cli(["runs", "list", "--store", db, "--json", "--order", "asc"]));
    expect(list.total).toBe(2);
    expect(list.runs.map((r) => r.id)).toEqual([a.runId, b.runId]);
    expect(json<{ total: number }>(cli(["runs", "list", "--store", db, "--json", "--kind", "optimize"])).total).toBe(0);
    expect(json<{ total: number }>(cli(["runs", "list", "--store", db, "--json", "--where", `{"trades":{"gt":${summary.trades}}}`])).total).toBe(0);
    expect(json<{ total: number }>(cli(["runs", "list", "--store", db, "--json", "--where", `{"trades":{"gte":${summary.trades}}}`])).total).toBe(2);
    const text = cli(["runs", "list", "--store", db]);
    expect(text.stdout).toContain("RunList: 2 of 2 runs");
  });

  it("runs show gives the manifest with the data file's checksum, and the summary's metrics", () => {
    const { run } = json<{ run: RunJson }>(cli(["runs", "show", first, "--store", db, "--json"]));
    const bytes = readFileSync(data);
    expect(run.manifest.data.files).toEqual([{ path: data, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") }]);
    expect(run.manifest.engine.latencyNs).toBe(50_000);
    expect(run.metrics.pnl).toBe(summary.pnl);
    expect(run.metrics.trades).toBe(summary.trades);
    expect(run.resultHash).toMatch(/^[0-9a-f]{64}$/);
    const missing = cli(["runs", "show", "run-missing", "--store", db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error RUN_NOT_FOUND");
  });

  it("runs compare says two identical runs are identical", () => {
    const ids = json<{ runs: RunJson[] }>(cli(["runs", "list", "--store", db, "--json", "--order", "asc"])).runs.map((r) => r.id);
    const c = json<{ identical: boolean; metrics: { name: string; diff: number | string }[]; differences: unknown[] }>(cli(["runs", "compare", ids[0]!, ids[1]!, "--store", db, "--json"]));
    expect(c.identical).toBe(true);
    expect(c.differences).toEqual([]);
    expect(c.metrics.find((m) => m.name === "pnl")!.diff).toBe(0);
  });

  it("rerun reproduces bit for bit (exit 0), and names a changed option (exit 1)", () => {
    const { run } = json<{ run: RunJson }>(cli(["runs", "show", first, "--store", db, "--json"]));
    const same = cli(["rerun", first, "--store", db]);
    expect(same.stderr).toBe("");
    expect(same.code).toBe(0);
    expect(same.stdout.split("\n")[0]).toBe(`reproduced bit for bit (result hash ${run.resultHash})`);

    const changed = cli(["rerun", first, "--store", db, "--option", "latencyNs=100000"]);
    expect(changed.code).toBe(1);
    const lines = changed.stdout.trim().split("\n");
    expect(lines).toContain("option latencyNs: 50000 → 100000");
    expect(lines.some((l) => l.startsWith(`result hash: ${run.resultHash} → `))).toBe(true);
    expect(lines.some((l) => l.startsWith("data file"))).toBe(false);
  });

  it("rerun names a data file whose content changed (exit 1)", async () => {
    const before = createHash("sha256").update(readFileSync(data)).digest("hex");
    const beforeBytes = readFileSync(data).length;
    await writeParquet(generateTicks({ events: 20_000, seed: 2, mode: "l2" }), data);
    const after = createHash("sha256").update(readFileSync(data)).digest("hex");
    expect(after).not.toBe(before);
    const r = cli(["rerun", first, "--store", db]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^not reproduced: \d+ differences?$/);
    expect(lines).toContain(`data file ${data}: sha256 ${before.slice(0, 16)}… (${beforeBytes} bytes) → sha256 ${after.slice(0, 16)}… (${readFileSync(data).length} bytes)`);
    expect(lines[lines.length - 1]).toMatch(/^result hash: [0-9a-f]{64} → [0-9a-f]{64}$/);
  });

  it("optimize --store records the sweep as a run with its trial count", () => {
    const r = cli(["optimize", "--strategy", "imbalance", "--data", "generated", "--events", "20000", "--space", '{"threshold":[0.2,0.4]}', "--store", db, "--workers", "0", "--json", "-q"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { runId: string; trialCount: number };
    const list = json<{ runs: RunJson[] }>(cli(["runs", "list", "--store", db, "--json", "--kind", "optimize"]));
    expect(list.runs.map((x) => [x.id, x.trials, x.state])).toEqual([[result.runId, 2, "finished"]]);
    const rerunOpt = cli(["rerun", result.runId, "--store", db]);
    expect(rerunOpt.code).toBe(2);
    expect(rerunOpt.stderr).toContain("error RERUN_UNAVAILABLE");
  });
});
