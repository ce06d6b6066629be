/**
 * The optimizer's backtest options are the engine's: a key the engine does not know (the old
 * `maxLevels`) is a compile error in a notebook cell or script, not a run-time UNKNOWN_OPTION, and
 * a model object (which cannot cross to a worker) is refused by the type too. Checked with the
 * TypeScript compiler against the published declarations (dist/), as a notebook cell sees them.
 */
import { describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";

function diagnostics(source: string): string[] {
  const dir = join(TEST_OUTPUT, "sweep-options-types");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "cell.ts");
  writeFileSync(file, source);
  const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, types: [] });
  return ts.getPreEmitDiagnostics(program).map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

describe("sweep backtest options derive from BacktestOptions", () => {
  it("accepts the engine's JSON-able options and rejects unknown keys and model objects at compile time", () => {
    const dist = JSON.stringify(join(ROOT, "dist", "index.js"));
    const ok = diagnostics(`import type { OptimizeOptions } from ${dist};\ntype StrategyBacktestOptions = NonNullable<OptimizeOptions["backtest"]>;\nexport const o: StrategyBacktestOptions = { latencyNs: 50_000, feedLatencyNs: "data", queue: "prob", fees: { maker: -0.0001, taker: 0.0003 }, equityIntervalNs: 1e9, initialCash: 1e5, risk: { maxPosition: 5 }, book: "l2", check: "warn", markoutHorizonsMs: [100] };\n`);
    expect(ok).toEqual([]);
    const misspelt = diagnostics(`import type { OptimizeOptions } from ${dist};\ntype StrategyBacktestOptions = NonNullable<OptimizeOptions["backtest"]>;\nexport const o: StrategyBacktestOptions = { maxLevels: 5 };\n`);
    expect(misspelt).toHaveLength(1);
    expect(misspelt[0]).toMatch(/^TS2353: Object literal may only specify known properties, and 'maxLevels' does not exist in type/);
    const model = diagnostics(`import * as lab from ${dist};\nimport type { OptimizeOptions } from ${dist};\ntype StrategyBacktestOptions = NonNullable<OptimizeOptions["backtest"]>;\nexport const o: StrategyBacktestOptions = { latencyNs: lab.latency.constant({ entryNs: 1000 }) };\n`);
    expect(model, model.join("\n")).toHaveLength(1);
    expect(model[0]).toMatch(/^TS2322: Type .LatencyModel. is not assignable to type .number./);
  }, 120_000);
});
