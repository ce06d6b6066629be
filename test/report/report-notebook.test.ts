/**
 * `run.report()` from a notebook cell on the Strategy Lab kernel: the cell type-checks (tslab
 * compiles cells against the published declarations, so `report` must be on BacktestResult's
 * type), the sheet renders as the cell's value, and the figures the notebook prints are the run's
 * Sharpe ratio recomputed here from the same backtest.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";
import { formatFailures, runNotebooks } from "../../dist/cli/notebook-runner.js";
import { readLobster } from "../../src/venues/data-aliases.js";
import { backtest } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";

const dir = join(TEST_OUTPUT, "report-notebook");
const notebook = join(dir, "run-report.ipynb");
const ZIP = join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip");
const OPTIONS = { latencyNs: 100_000, equityIntervalNs: 10_000_000_000, initialCash: 1_000_000 };

function codeCell(source: string, id: string) {
  return { cell_type: "code", id, metadata: {}, execution_count: null, outputs: [], source };
}

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    notebook,
    JSON.stringify({
      cells: [
        codeCell(`import * as lab from "strategy-lab";\nconst data = lab.data.readLobster({ messages: ${JSON.stringify(ZIP)} }).batch;\nconst run = lab.backtest(data, lab.strategies.marketMaker({ minHalfSpreadTicks: 2 }), ${JSON.stringify(OPTIONS)});`, "a"),
        codeCell("run.report({ bootstrap: { resamples: 50 } })", "b"),
        codeCell("const sheet = run.report({ bootstrap: { resamples: 50 } });\nconsole.log(JSON.stringify({ sheetSharpe: sheet.metrics.values.sharpe, summarySharpe: run.summary.sharpe, perDay: sheet.perPeriod.sharpePerDay, convention: sheet.convention }));", "c"),
      ],
      metadata: { kernelspec: { name: "strategy-lab", display_name: "Strategy Lab (TypeScript)", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
});

describe("run.report() in a notebook", () => {
  it("renders the tear sheet and prints the run's one Sharpe ratio", { timeout: 600_000 }, async () => {
    const [result] = await runNotebooks([notebook], { htmlDir: join(dir, "html") });
    if (!result!.ok) expect.fail(formatFailures(result!));
    const executed = JSON.parse(readFileSync(join(dir, "html", "run-report.ipynb"), "utf8")) as { cells: { outputs: { text?: string | string[]; data?: Record<string, string | string[]> }[] }[] };
    const text = (k: number, mime?: string): string => executed.cells[k]!.outputs.map((o) => [mime ? (o.data?.[mime] ?? "") : (o.text ?? "")].flat().join("")).join("");
    const html = text(1, "text/html");
    expect(html).toContain("slab-tearsheet");
    expect(html).toContain("annualized by √(252 sessions × 6.5 h of 10 s periods) = √589,680");
    const printed = JSON.parse(text(2).trim()) as { sheetSharpe: number; summarySharpe: number; perDay: number; convention: string };
    // The same backtest here, and its Sharpe ratio by hand from the engine's grid samples.
    const run = backtest(readLobster({ messages: ZIP }).batch, strategies.marketMaker({ minHalfSpreadTicks: 2 }), OPTIONS);
    const fill = run.equitySampleFill;
    const grid = Array.from(run.equity.equity).filter((_, j) => fill[j] === -1);
    const d = grid.slice(1).map((v, k) => v - grid[k]!);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1));
    expect(printed.sheetSharpe).toBe(printed.summarySharpe);
    expect(printed.sheetSharpe).toBeCloseTo((mean / sd) * Math.sqrt(589_680), 9);
    expect(printed.perDay).toBeCloseTo((mean / sd) * Math.sqrt(2_340), 10);
    expect(printed.convention).toBe(run.summary.sharpeConvention);
  });

  it("README's quick start (data → backtest → report → optimize, six lines) runs in a notebook", { timeout: 600_000 }, async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = /In any notebook in this project, data → backtest → report → optimize:\n\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const lines = block![1]!.trim().split("\n");
    expect(lines.length).toBeLessThanOrEqual(6);
    // The README's paths are relative to notebooks/; this notebook lives elsewhere.
    const code = lines.join("\n").replace('"../data/', JSON.stringify(join(ROOT, "data") + "/").slice(0, -1));
    const quick = join(dir, "quick-start.ipynb");
    writeFileSync(quick, JSON.stringify({
      cells: [codeCell(code.replace(/\nsweep\.report\(\);.*$/, ""), "q1"), codeCell("sweep.report()", "q2"), codeCell("console.log(JSON.stringify({ trials: sweep.trials.length, dsrTrials: sweep.report().inference.trials?.count, sharpe: run.report().metrics.values.sharpe, summary: run.summary.sharpe }));", "q3")],
      metadata: { kernelspec: { name: "strategy-lab", display_name: "Strategy Lab (TypeScript)", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    }));
    const [result] = await runNotebooks([quick], { htmlDir: join(dir, "html") });
    if (!result!.ok) expect.fail(formatFailures(result!));
    const executed = JSON.parse(readFileSync(join(dir, "html", "quick-start.ipynb"), "utf8")) as { cells: { outputs: { text?: string | string[]; data?: Record<string, string | string[]> }[] }[] };
    const out = (k: number, mime?: string): string => executed.cells[k]!.outputs.map((o) => [mime ? (o.data?.[mime] ?? "") : (o.text ?? "")].flat().join("")).join("");
    expect(out(1, "text/html")).toContain("Deflated Sharpe");
    const printed = JSON.parse(out(2).trim()) as { trials: number; dsrTrials: number; sharpe: number; summary: number };
    expect(printed).toMatchObject({ trials: 3, dsrTrials: 3 });
    expect(printed.sharpe).toBe(printed.summary);
  });
});
