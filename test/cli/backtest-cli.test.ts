/**
 * `strategy-lab backtest` and `strategy-lab new strategy`. Ground truth for the backtest command:
 * the same run done in-process through the library; for the scaffold: the TypeScript compiler
 * (the files type-check under strict settings), a backtest of the scaffolded strategy, and the
 * notebook runner (the notebook executes without an error output).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { generateTicks } from "../../src/data/index.js";
import { backtest } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { CLI, ROOT, TEST_OUTPUT } from "../helpers/paths.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("strategy-lab backtest", () => {
  it("gives the same summary as the same backtest run in-process", () => {
    const r = cli("backtest", "--strategy", "imbalance", "--data", "generated", "--events", "30000", "--seed", "3", "--params", '{"threshold":0.4}', "--latency", "50us", "--queue", "prob", "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { summary: { pnl: number; trades: number; fees: number; events: number }; settings: { latency: string; queue: string } };
    const direct = backtest(generateTicks({ events: 30_000, seed: 3, mode: "l2" }), strategies.imbalance({ threshold: 0.4 }), { latencyNs: 50_000, queue: "prob", seed: 3 });
    expect(out.summary.trades).toBe(direct.summary.trades);
    expect(out.summary.pnl).toBe(direct.summary.pnl);
    expect(out.summary.events).toBe(30_000);
    expect(out.settings).toMatchObject({ latency: "constant(50000, 50000)", queue: "prob(n=3)" });
  });

  it("backtests LOBSTER order by order with --format lobster-l3, and warns on the raw messages with the fix", () => {
    const zip = "data/lobster/LOBSTER_SampleFile_GOOG_2012-06-21_5.zip";
    type Out = { summary: { trades: number; events: number }; warnings: string[]; books: { crossedGroups: number }[] };
    const reconciled = cli("backtest", "--strategy", "marketMaker", "--data", zip, "--format", "lobster-l3", "--json");
    expect(reconciled.code).toBe(0);
    const ok = JSON.parse(reconciled.stdout) as Out;
    expect(ok.warnings).toEqual([]);
    expect(ok.books[0]!.crossedGroups).toBe(0);
    expect(ok.summary.trades).toBeGreaterThan(0);
    const raw = cli("backtest", "--strategy", "marketMaker", "--data", zip, "--format", "lobster", "--json");
    expect(raw.code).toBe(0);
    const rawOut = JSON.parse(raw.stdout) as Out;
    expect(rawOut.books[0]!.crossedGroups).toBeGreaterThan(1000);
    expect(rawOut.warnings.join(" ")).toMatch(/crossed.*--format lobster-l3/);
  });

  it("writes the report input with --out", () => {
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const file = join(TEST_OUTPUT, "eng-cli-run.json");
    const r = cli("backtest", "--strategy", "marketMaker", "--data", "generated", "--events", "20000", "--out", file, "--quiet");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^BacktestResult marketMaker\(/);
    const json = JSON.parse(readFileSync(file, "utf8")) as { equity: { ts: string[]; equity: number[] }; fills: { ts: string[]; price: number[] }; mid: { ts: string[]; mid: number[] } };
    expect(json.equity.ts.length).toBe(json.equity.equity.length);
    expect(json.equity.ts.every((t) => /^\d{19}$/.test(t))).toBe(true);
    expect(json.fills.ts.length).toBe(json.fills.price.length);
    // The mid series holds every grid sample plus the exact markout instants, in time order.
    const midTs = new Set(json.mid.ts);
    expect(json.equity.ts.every((t) => midTs.has(t))).toBe(true);
    expect(json.mid.ts.length).toBeGreaterThan(json.equity.ts.length);
    expect(json.mid.ts.every((t, j) => j === 0 || BigInt(t) >= BigInt(json.mid.ts[j - 1]!))).toBe(true);
    // Regular samples only: every inner step is the 1 s interval (the first and last are the run's ends).
    const steps = json.equity.ts.slice(1).map((t, j) => BigInt(t) - BigInt(json.equity.ts[j]!));
    expect(steps.slice(1, -1).every((d) => d === 1_000_000_000n)).toBe(true);
    // ... which `strategy-lab report` turns into a tear sheet. The run had no initial cash, so its
    // equity is PnL starting at 0: the sheet gives the PnL figures and says why return metrics
    // are missing, naming the option that adds them; with --capital it has them.
    const html = join(TEST_OUTPUT, "eng-cli-report.html");
    const pnlOnly = cli("report", file, "--out", html);
    expect(pnlOnly.code, pnlOnly.stderr).toBe(0);
    expect(readFileSync(html, "utf8")).toContain("no initial cash, so equity is PnL and has no returns; pass { capital }");
    const report = cli("report", file, "--out", html, "--capital", "100000");
    expect(report.code, report.stderr).toBe(0);
    expect(readFileSync(html, "utf8")).toMatch(/<html/i);
    expect(readFileSync(html, "utf8")).not.toContain("no initial cash, so equity is PnL");
  });

  it("reads a partitioned catalog folder", async () => {
    const { writeCatalog } = await import("../../src/data/index.js");
    const root = join(TEST_OUTPUT, "eng-cli-catalog");
    rmSync(root, { recursive: true, force: true });
    const ticks = generateTicks({ events: 20_000, seed: 9, mode: "l2" });
    await writeCatalog(root, ticks);
    const r = cli("backtest", "--strategy", "imbalance", "--data", root, "--symbol", "SYN", "--latency", "20us", "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { summary: { pnl: number; trades: number; events: number } };
    const direct = backtest(ticks, strategies.imbalance(), { latencyNs: 20_000, seed: 1 });
    expect(out.summary.events).toBe(20_000);
    expect(out.summary.trades).toBe(direct.summary.trades);
    expect(out.summary.pnl).toBeCloseTo(direct.summary.pnl, 9);
  });

  it("rejects an unknown strategy with a did-you-mean hint, on one line", () => {
    const r = cli("backtest", "--strategy", "imbalanse", "--data", "generated");
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error UNKNOWN_STRATEGY: no strategy named "imbalanse" \(hint: did you mean "imbalance"\?.*\)$/);
    const bad = cli("backtest", "--strategy", "imbalance", "--data", "generated", "--params", '{"treshold":0.3}');
    expect(bad.stderr.trim()).toMatch(/^error UNKNOWN_PARAM: .*did you mean "threshold"/);
  });
});

describe("strategy-lab new strategy", () => {
  const dir = join(TEST_OUTPUT, "eng-scaffold-test");

  it("scaffolds a strategy that type-checks, backtests, and a notebook that runs", async () => {
    rmSync(dir, { recursive: true, force: true });
    const r = cli("new", "strategy", "MeanRevert", "--dir", dir, "--json");
    expect(r.code).toBe(0);
    const made = JSON.parse(r.stdout) as { name: string; registryName: string; files: string[] };
    expect(made.registryName).toBe("meanRevert");
    expect(made.files.map((f) => f.slice(dir.length + 1))).toEqual(["mean-revert.ts", "mean-revert.test.ts", "mean-revert.ipynb"]);
    // A second run refuses to overwrite.
    expect(cli("new", "strategy", "MeanRevert", "--dir", dir).stderr).toMatch(/^error FILE_EXISTS/);

    // 1. Type-check both files as a user's ESM project would (strict, NodeNext).
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    const program = ts.createProgram([join(dir, "mean-revert.ts"), join(dir, "mean-revert.test.ts")], {
      strict: true,
      noUncheckedIndexedAccess: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diagnostics).toEqual([]);

    // 2. The strategy runs through the package, and trades.
    const mod = (await import(pathToFileURL(join(dir, "mean-revert.ts")).href)) as { MeanRevert: (p?: object) => { name: string } };
    const lab = (await import("strategy-lab")) as unknown as typeof import("../../src/index.js");
    const run = lab.backtest(lab.data.generateTicks({ events: 30_000, seed: 1, mode: "l2" }), mod.MeanRevert({ maxPosition: 3 }) as never, { latencyNs: 50_000 });
    expect(run.summary.strategy).toBe("meanRevert");
    expect(run.summary.orders).toBeGreaterThan(0);
    for (const lots of run.equity.position ?? []) expect(Math.abs(lots)).toBeLessThanOrEqual(3);

    // 3. The notebook executes on the kernel without an error output.
    const nb = JSON.parse(readFileSync(join(dir, "mean-revert.ipynb"), "utf8")) as { cells: { cell_type: string; source: string[]; outputs?: unknown[] }[]; metadata: { kernelspec: { name: string } } };
    expect(nb.metadata.kernelspec.name).toBe("strategy-lab");
    expect(nb.cells.filter((c) => c.cell_type === "code").every((c) => c.outputs?.length === 0)).toBe(true);
    const executed = cli("notebooks", "run", join(dir, "mean-revert.ipynb"), "--json");
    expect(executed.code, executed.stderr).toBe(0);
    expect((JSON.parse(executed.stdout) as { ok: boolean }[])[0]!.ok).toBe(true);
  });
});
