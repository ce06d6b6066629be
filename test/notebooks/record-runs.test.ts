/**
 * Notebooks run headless with a run store configured (what `npm start` does) record every backtest:
 * the runner waits for the background recordings before it shuts the kernel down, and leaves no
 * trace of that in the saved notebook.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, TEST_OUTPUT } from "../helpers/paths.js";

describe("notebooks run with STRATEGY_LAB_STORE", () => {
  it("every backtest of the notebook is recorded, finished, even the ones of its last cell", () => {
    // inside the project, so the kernel resolves "strategy-lab"
    const dir = join(TEST_OUTPUT, "record-runs");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const cell = (source: string): object => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source });
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "strategy-lab", display_name: "Strategy Lab (TypeScript)", language: "typescript" } },
      cells: [
        cell('import * as lab from "strategy-lab";\nconst t = lab.data.generateTicks({ events: 30000, seed: 1, mode: "l2" });'),
        cell('const a = lab.backtest(t, lab.strategies.imbalance({ threshold: 0.3 }), { latencyNs: 1000 });\n"one"'),
        // the last cell starts four recordings and ends at once
        cell("for (const threshold of [0.35, 0.4, 0.45, 0.5]) lab.backtest(t, lab.strategies.imbalance({ threshold }), { latencyNs: 1000 });\n\"four\""),
      ],
    };
    const path = join(dir, "record.ipynb");
    writeFileSync(path, JSON.stringify(nb));
    const store = join(dir, "runs.duckdb");
    const run = spawnSync(process.execPath, [CLI, "notebooks", "run", path, "--html", join(dir, "out")], { cwd: ROOT, encoding: "utf8", env: { ...process.env, STRATEGY_LAB_STORE: store } });
    expect(run.status, run.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, "out", "record.ipynb"), "utf8")) as { cells: { source: string | string[] }[] };
    expect(saved.cells.length).toBe(3);
    const list = JSON.parse(spawnSync(process.execPath, [CLI, "runs", "list", "--store", store, "--json"], { cwd: ROOT, encoding: "utf8" }).stdout) as { runs: { state: string; params: { threshold: number } }[] };
    expect(list.runs.map((r) => [r.state, r.params.threshold]).sort()).toEqual([0.3, 0.35, 0.4, 0.45, 0.5].map((t) => ["finished", t]));
  });
});
