/**
 * `strategy-lab backtest --check warn|strict|off` on a damaged file: a normalized Parquet written
 * from generated data with one negative price and two duplicated rows injected (the reader keeps
 * them: they parse), and the same data undamaged.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventKind, TICK_COLUMN_NAMES, generateTicks, tickBatch, writeParquet, type TickColumns } from "../../src/data/index.js";
import { CLI, ROOT } from "../helpers/paths.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), "backtest-check-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const clean = join(tmp, "clean.parquet");
const damaged = join(tmp, "damaged.parquet");
const base = generateTicks({ events: 3000, seed: 4, mode: "l2" });
const levelAt = (from: number): number => {
  for (let i = from; i < base.length; i++) if (base.kind[i] === EventKind.LevelSet) return i;
  throw new Error("no level row");
};
const negRow = levelAt(1000);
const dupA = levelAt(1500);
const dupB = levelAt(2000);
let negTicks = 0;

beforeAll(async () => {
  await writeParquet(base, clean);
  const cols = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) cols[name] = base[name].slice();
  const c = cols as unknown as TickColumns;
  negTicks = -c.priceTicks[negRow]!;
  c.priceTicks[negRow] = negTicks;
  for (const row of [dupA, dupB]) for (const name of TICK_COLUMN_NAMES) (c[name] as unknown as unknown[])[row + 1] = (c[name] as unknown as unknown[])[row];
  await writeParquet(tickBatch(c, base.instruments, "damaged"), damaged);
});

const args = (file: string, ...more: string[]) => ["backtest", "--strategy", "imbalance", "--data", file, "--params", '{"threshold":0.3}', "-q", ...more];

describe("strategy-lab backtest --check", () => {
  it("warn (the default): runs, exits 0, and prints one warning: line naming the counts and classes", () => {
    const r = cli(...args(damaged));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual([
      `warning: input 3 issues in 3,000 rows: 2 duplicate (rows ${dupA + 1}, ${dupB + 1}), 1 non-positive-price (row ${negRow}); \`strategy-lab validate ${damaged}\` for the full report, --check strict to refuse such input`,
    ]);
    expect(r.stdout).toContain(`  input: 3 issues in 3,000 rows: 2 duplicate (rows ${dupA + 1}, ${dupB + 1}), 1 non-positive-price (row ${negRow}); lab.data.validate(batch) for the full report`);
  });

  it("--json includes the check's counts and first rows", () => {
    const r = cli(...args(damaged, "--json"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    const out = JSON.parse(r.stdout) as { inputCheck: { mode: string; rowsChecked: number; total: number; counts: Record<string, number>; issues: { class: string; samples: { row: number; column: string; value?: string }[] }[] } };
    expect(out.inputCheck.mode).toBe("warn");
    expect(out.inputCheck.rowsChecked).toBe(3000);
    expect(out.inputCheck.total).toBe(3);
    expect(out.inputCheck.counts).toEqual({ duplicate: 2, "non-positive-price": 1 });
    expect(out.inputCheck.issues.map((x) => [x.class, x.samples])).toEqual([
      [
        "duplicate",
        [
          { row: dupA + 1, column: "exchTs", value: `same as row ${dupA}` },
          { row: dupB + 1, column: "exchTs", value: `same as row ${dupB}` },
        ],
      ],
      ["non-positive-price", [{ row: negRow, column: "priceTicks", value: String(negTicks) }]],
    ]);
  });

  it("strict: exits non-zero with one error line naming the code, file, row, column and value", () => {
    const r = cli(...args(damaged, "--check", "strict"));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error DATA_NON_POSITIVE_PRICE: /);
    expect(lines[0]).toContain(`: row ${negRow}, column priceTicks: zero or negative price (${negTicks}); the input check found duplicate 2, non-positive-price 1 in 3,000 rows (hint: lab.data.validate(batch) reports every issue`);
    expect(lines[0]).toContain(damaged);
  });

  it("off: no check, no warning, no inputCheck in --json", () => {
    const r = cli(...args(damaged, "--check", "off", "--json"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect("inputCheck" in (JSON.parse(r.stdout) as object)).toBe(false);
  });

  it("a clean file: no warning, zero issues in --json", () => {
    const r = cli(...args(clean, "--json"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect((JSON.parse(r.stdout) as { inputCheck: { total: number } }).inputCheck.total).toBe(0);
  });

  it("an unknown mode is a one-line BAD_OPTION error", () => {
    const r = cli(...args(clean, "--check", "loud"));
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe('error BAD_OPTION: --check must be warn, strict or off, got "loud" (hint: warn reports issues in the input and runs, strict refuses damaged input, off skips the check)');
  });
});
