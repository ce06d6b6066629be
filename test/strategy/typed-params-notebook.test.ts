/**
 * Typed strategy parameters on the notebook kernel: `defineStrategy` reads its schema as written,
 * so in a cell `create(p)` sees `p.threshold` as a number and `p.mode` as the union of its choices,
 * and a misspelt parameter is a compile error of that cell (tslab type-checks cells against the
 * package's declarations) while the next cells still run.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TEST_OUTPUT } from "../helpers/paths.js";
import { runNotebooks } from "../../dist/cli/notebook-runner.js";

const dir = join(TEST_OUTPUT, "typed-params-notebook");

function codeCell(source: string, id: string) {
  return { cell_type: "code", id, metadata: {}, execution_count: null, outputs: [], source };
}

const schema = `[{ name: "threshold", type: "number", default: 0.3 }, { name: "mode", type: "choice", default: "taker", choices: ["taker", "maker"] }]`;

describe("typed strategy parameters in a notebook cell", () => {
  it("a misspelt parameter does not compile; the right one is a number, a choice its union", { timeout: 600_000 }, async () => {
    mkdirSync(dir, { recursive: true });
    const notebook = join(dir, "typed-params.ipynb");
    writeFileSync(
      notebook,
      JSON.stringify({
        cells: [
          codeCell(`import * as lab from "strategy-lab";`, "a"),
          codeCell(`const Misspelt = lab.defineStrategy({ name: "misspelt", register: false, params: ${schema}, create: (p) => ({ onBook(ctx, book) { if (book.imbalance() > p.treshold) ctx.buy(1); } }) });`, "b"),
          // p.threshold + 1 needs a number and p.mode === "maker" a "taker" | "maker": both compile;
          // comparing p.mode with a value outside its choices would not.
          codeCell(`const Typed = lab.defineStrategy({ name: "typed", register: false, params: ${schema}, create: (p) => { const t: number = p.threshold + 1; const m: "taker" | "maker" = p.mode; return { onStart() { console.log(JSON.stringify({ t, m })); } }; } });\nlab.backtest(lab.data.generateTicks({ events: 2000, seed: 1, mode: "l2" }), Typed({ threshold: 0.5, mode: "maker" }));`, "c"),
          codeCell(`const Wrong = lab.defineStrategy({ name: "wrong", register: false, params: ${schema}, create: (p) => ({ onStart() { if (p.mode === "makr") console.log("never"); } }) });`, "d"),
        ],
        metadata: { kernelspec: { name: "strategy-lab", display_name: "Strategy Lab (TypeScript)", language: "typescript" } },
        nbformat: 4,
        nbformat_minor: 5,
      }),
    );
    const [result] = await runNotebooks([notebook], { htmlDir: join(dir, "html") });
    expect(result!.failures.map((f) => f.cell)).toEqual([2, 4]);
    expect(result!.failures[0]!.error).toMatch(/Property 'treshold' does not exist/);
    expect(result!.failures[1]!.error).toMatch(/"makr"/);
    const executed = JSON.parse(readFileSync(join(dir, "html", "typed-params.ipynb"), "utf8")) as { cells: { outputs: { text?: string | string[] }[] }[] };
    const printed = executed.cells[2]!.outputs.map((o) => [o.text ?? ""].flat().join("")).join("");
    expect(JSON.parse(printed.trim().split("\n")[0]!)).toEqual({ t: 1.5, m: "maker" });
  });
});
