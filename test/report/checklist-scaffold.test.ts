/**
 * The new-strategy path end to end: `strategy-lab new strategy` writes a strategy and a notebook;
 * the strategy backtests through the package, its report has the research checklist section, and
 * the notebook, executed on the kernel, shows the tear sheet and the checklist. Ground truth: the
 * checklist recomputed from the in-process run (fills, parameters, input check), and the executed
 * notebook's outputs.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, TEST_OUTPUT } from "../helpers/paths.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface NotebookOutput {
  output_type: string;
  data?: Record<string, string | string[]>;
  text?: string | string[];
}

describe("a scaffolded strategy: backtest, report, checklist", () => {
  const dir = join(TEST_OUTPUT, "checklist-scaffold");
  const html = join(TEST_OUTPUT, "checklist-scaffold-html");

  it("backtests, reports with the checklist, and its notebook shows both", async () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(html, { recursive: true, force: true });
    const made = cli("new", "strategy", "QuoteFade", "--dir", dir, "--json");
    expect(made.code, made.stderr).toBe(0);
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');

    // The strategy through the package, on seeded synthetic data.
    const mod = (await import(pathToFileURL(join(dir, "quote-fade.ts")).href)) as { QuoteFade: (p?: object) => { name: string } };
    const lab = (await import("strategy-lab")) as unknown as typeof import("../../src/index.js");
    const ticks = lab.data.generateTicks({ events: 30_000, seed: 1, mode: "l2" });
    const run = lab.backtest(ticks, mod.QuoteFade({ threshold: 0.3 }) as never, { latencyNs: 50_000, seed: 1 });
    expect(run.summary.strategy).toBe("quoteFade");

    const checklist = run.checklist();
    const params = Object.keys(run.summary.params).length;
    const fills = run.fills.ts.length;
    expect(checklist.item("trades-per-parameter")!.figures).toEqual({ trades: fills, freeParameters: params, tradesPerParameter: fills / params });
    expect(checklist.item("data-validated")!.figures.rowsChecked).toBe(30_000);
    expect(checklist.item("out-of-sample")!.status).toBe("warn");
    expect(checklist.item("fees-latency")!.figures.latency).toBe("constant(50000, 50000)");
    const sheet = run.report({ bootstrap: { resamples: 20 } });
    expect(sheet.html({ inlinePlotly: false })).toContain("Research checklist");
    expect(JSON.parse(JSON.stringify(sheet.toJSON().checklist))).toEqual(JSON.parse(JSON.stringify(checklist)));

    // The notebook on the kernel: the report and the checklist are cell outputs.
    const executed = cli("notebooks", "run", join(dir, "quote-fade.ipynb"), "--html", html, "--json");
    expect(executed.code, executed.stderr).toBe(0);
    expect((JSON.parse(executed.stdout) as { ok: boolean }[])[0]!.ok).toBe(true);
    const nb = JSON.parse(readFileSync(join(html, "quote-fade.ipynb"), "utf8")) as { cells: { cell_type: string; source: string | string[]; outputs?: NotebookOutput[] }[] };
    const outputOf = (source: string): string => {
      const cell = nb.cells.find((c) => (Array.isArray(c.source) ? c.source.join("") : c.source) === source)!;
      return (cell.outputs ?? []).map((o) => [o.data?.["text/html"], o.data?.["text/plain"], o.text].flat().filter((x) => x !== undefined).join("")).join("\n");
    };
    expect(outputOf("run.report()")).toContain("Research checklist");
    const plain = outputOf("run.checklist()");
    expect(plain).toContain("Research checklist");
    expect(plain).toMatch(/research checklist \(backtest\): \d+ pass, \d+ warn, \d+ fail/);
  }, 300_000);
});
