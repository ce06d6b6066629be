import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { TEST_OUTPUT, CLI, ROOT } from "../helpers/paths.js";

// A notebook inside the project (so `strategy-lab` resolves by name) whose second cell fails.
const dir = join(TEST_OUTPUT, "runner");
const notebook = join(dir, "failing-second-cell.ipynb");

function codeCell(source: string, id: string) {
  return { cell_type: "code", id, metadata: {}, execution_count: null, outputs: [], source };
}

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    notebook,
    JSON.stringify({
      cells: [
        codeCell('import * as lab from "strategy-lab";\nconsole.log("first cell ran");', "a"),
        codeCell('const es = lab.instrument({ symbol: "ES", venue: "CME", tickSize: "0.25" });\nes.toTicks("5537.30");', "b"),
        codeCell('console.log("third cell ran", lab.formatNs(0n));', "c"),
      ],
      metadata: { kernelspec: { name: "strategy-lab", display_name: "Strategy Lab (TypeScript)", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
});

describe("notebook runner", () => {
  it("names the failing cell, its source and error, and still runs the next cell", () => {
    const r = spawnSync(process.execPath, [CLI, "notebooks", "run", notebook, "--html", join(dir, "html"), "-q"], { encoding: "utf8", cwd: ROOT });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("failing-second-cell.ipynb: cell 2 failed");
    expect(r.stderr).toContain('es.toTicks("5537.30");');
    expect(r.stderr).toMatch(/5537\.30 is not a multiple of tick size 0\.25/);
    expect(r.stderr).not.toContain("cell 3 failed");
    expect(r.stderr).toMatch(/^error NOTEBOOK_FAILED: /m);
    const executed = JSON.parse(readFileSync(join(dir, "html", "failing-second-cell.ipynb"), "utf8")) as { cells: { outputs: { text?: string | string[] }[] }[] };
    const thirdOutput = executed.cells[2]!.outputs.map((o) => [o.text ?? ""].flat().join("")).join("");
    expect(thirdOutput).toContain("third cell ran 1970-01-01T00:00:00.000000000Z");
  });
});
