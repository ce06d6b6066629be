/**
 * `strategy-lab book verify --format lobster` on the bundled LOBSTER GOOG 2012-06-21 files.
 * Ground truth: data/lobster/SOURCE.md (row counts per level file; price-level replay reproduces
 * levels 1..L-1 of every orderbook row). Rows compared = messages after the first (row 0 is the
 * starting state): 112,672 for the level-5 file.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT } from "../helpers/paths.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const zip = (level: number) => join("data", "lobster", `LOBSTER_SampleFile_GOOG_2012-06-21_${level}.zip`);

describe("strategy-lab book verify", () => {
  // L = 10 is checked through the library in test/book/lobster-verify.test.ts; one CLI run is enough here.
  for (const [level, rows] of [[5, 112_672]] as const) {
    it(`--format lobster at L = ${level}: zero mismatches on levels 1..${level - 1} of all ${rows} rows`, () => {
      const r = cli("book", "verify", "--format", "lobster", "--messages", zip(level), "--levels", String(level), "--json", "--quiet");
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(out)).toEqual(expect.arrayContaining(["rows", "compared", "mismatches", "firstMismatch", "notComparable"]));
      expect(out.rows).toBe(rows);
      expect(out.mismatches).toBe(0);
      expect(out.firstMismatch).toBeNull();
      // Every row compares levels 1..L-1 on both sides; level L too unless it just came into view.
      expect(out.compared).toBe(rows * 2 * level - (out.notComparable as number));
      expect(out.notComparable as number).toBeGreaterThan(0);
    });
  }

  it("rejects an unknown format with a did-you-mean hint and a missing --messages with a one-line error", () => {
    const unknown = cli("book", "verify", "--format", "lobstr", "--messages", zip(5));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim()).toMatch(/^error UNKNOWN_FORMAT: .*did you mean "lobster"/);
    const missing = cli("book", "verify", "--format", "lobster");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim()).toMatch(/^error MISSING_OPTION: book verify --format lobster needs --messages \(hint: .+\)$/);
  });

  it("the book group keeps the other modules' subcommands (one group, registered once)", () => {
    const help = cli("book", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/verify/);
    expect(help.stdout).toMatch(/check-mbo/);
  });
});
