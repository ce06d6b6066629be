/**
 * Seeded fuzz suite over every bundled sample format: each damaged file (test/fuzz/corpus.ts)
 * must end in a LabError (one line: code, file, where, hint) or in a batch whose reports count
 * the defect; never an uncaught exception, a hang, silent acceptance, or memory far beyond the
 * file's size. Cases run in a worker thread that the test stops if one case runs too long. A
 * subset goes through the CLI: non-zero exit with one line, no stack trace.
 *
 * The observed outcome per format and defect class is written to
 * test-output/fuzz-outcomes.md; docs/data.md ("Damaged files") carries the table.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCases, type FuzzCase } from "./corpus.js";
import { CLI, ROOT, TEST_OUTPUT } from "../helpers/paths.js";

interface Outcome {
  kind: "batch" | "error" | "crash" | "hang";
  rows?: number;
  readIssues?: Record<string, number>;
  issues?: Record<string, number>;
  code?: string;
  line?: string;
  context?: Record<string, unknown>;
  message?: string;
  stack?: string;
  arrayBuffersGrowth?: number;
  heapGrowth?: number;
  ms?: number;
}

/** Longest a single case may take, even on a loaded machine; a hang is far beyond it. */
const CASE_LIMIT_MS = 60_000;
const SEED = 20261207;

/** Runs cases in a worker; a case still running after CASE_LIMIT_MS is a hang (the worker is stopped and the rest resumes in a new one). */
async function runCases(cases: readonly FuzzCase[]): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  let remaining = [...cases];
  while (remaining.length > 0) {
    const batch = remaining;
    await new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL("./run-cases.mjs", import.meta.url), { workerData: { dist: pathToFileURL(join(ROOT, "dist", "index.js")).href, cases: batch } });
      let current: string | undefined;
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (current !== undefined) outcomes.set(current, { kind: "hang" });
          void worker.terminate();
        }, CASE_LIMIT_MS);
      };
      worker.on("message", (m: { type: string; id?: string; outcome?: Outcome }) => {
        if (m.type === "start") {
          current = m.id;
          arm();
        } else if (m.type === "done") {
          outcomes.set(m.id!, m.outcome!);
          current = undefined;
        } else if (m.type === "end") {
          clearTimeout(timer);
          void worker.terminate();
        }
      });
      worker.on("error", (error) => {
        clearTimeout(timer);
        if (current !== undefined) outcomes.set(current, { kind: "crash", message: String(error), stack: (error as Error).stack ?? "" });
        resolve();
      });
      worker.on("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      worker.on("messageerror", reject);
    });
    remaining = remaining.filter((c) => !outcomes.has(c.id));
  }
  return outcomes;
}

function issueTotal(o: Outcome): Record<string, number> {
  const out: Record<string, number> = { ...(o.issues ?? {}) };
  for (const [k, v] of Object.entries(o.readIssues ?? {})) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** Why `o` is not an allowed outcome for `c` (undefined when it is). */
function violation(c: FuzzCase, o: Outcome, baseline: Outcome | undefined): string | undefined {
  if (o.kind === "crash") return `crashed: ${o.message}\n${o.stack}`;
  if (o.kind === "hang") return `still running after ${CASE_LIMIT_MS / 1000} s`;
  const memoryLimit = 256 * 2 ** 20 + 64 * c.bytes;
  if ((o.arrayBuffersGrowth ?? 0) > memoryLimit) return `array buffers grew by ${o.arrayBuffersGrowth} bytes for a ${c.bytes}-byte file`;
  if (o.kind === "error") {
    if (o.line!.includes("\n")) return `error is not one line: ${o.line}`;
    if (!/^error [A-Z][A-Z0-9_]+: /.test(o.line!)) return `error line has no code: ${o.line}`;
    if (o.code === "INTERNAL") return `internal error: ${o.line}`;
    if (!o.line!.includes(basename(c.path)) && o.context?.file === undefined) return `error does not name the file: ${o.line}`;
    if (c.expect === "same") return `expected the file to read as the intact one, got ${o.line}`;
    return undefined;
  }
  // A batch.
  if (c.expect === "error") return `expected a LabError, got a batch of ${o.rows} rows (issues ${JSON.stringify(issueTotal(o))})`;
  if (c.expect === "any") return undefined;
  const base = baseline && baseline.kind === "batch" ? baseline : undefined;
  const now = issueTotal(o);
  const before = base ? issueTotal(base) : {};
  if (c.expect === "same") {
    if (!base) return "intact sample did not read";
    if (o.rows !== base.rows) return `expected ${base.rows} rows as the intact file, got ${o.rows}`;
    if (JSON.stringify(now) !== JSON.stringify(before)) return `expected the intact file's issues ${JSON.stringify(before)}, got ${JSON.stringify(now)}`;
    return undefined;
  }
  if (c.expect === "truncated") {
    if (!now.truncated) return `a cut file read without a truncated issue: ${o.rows} rows, issues ${JSON.stringify(now)}`;
    if (base && o.rows! > base.rows!) return `a cut file gave more rows (${o.rows}) than the intact one (${base.rows})`;
    return undefined;
  }
  // "reported": some class counted more often than in the intact sample.
  const more = Object.keys(now).some((k) => now[k]! > (before[k] ?? 0));
  if (!more) return `the defect was not reported: ${o.rows} rows (intact ${base?.rows}), issues ${JSON.stringify(now)} (intact ${JSON.stringify(before)})`;
  return undefined;
}

describe("reader fuzz suite (seeded)", () => {
  let dir: string;
  let cases: FuzzCase[];
  let intact: FuzzCase[];
  let outcomes: Map<string, Outcome>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "slab-fuzz-"));
    ({ cases, intact } = await buildCases(dir, SEED));
    outcomes = await runCases([...intact, ...cases]);
  }, 600_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every intact sample reads under both policies", () => {
    for (const c of intact) expect(outcomes.get(c.id), c.id).toMatchObject({ kind: "batch" });
  });

  it("every damaged file ends in a LabError or a reported issue: no crash, no hang, no silent acceptance, bounded memory", () => {
    const failures: string[] = [];
    const table = new Map<string, Map<string, Set<string>>>();
    for (const c of cases) {
      const o = outcomes.get(c.id)!;
      const baseline = outcomes.get(`${c.sample} / intact / ${c.policy}`);
      const why = violation(c, o, baseline);
      if (why) failures.push(`${c.id}: ${why}`);
      const row = table.get(c.defectClass) ?? new Map<string, Set<string>>();
      table.set(c.defectClass, row);
      const cell = row.get(c.sample) ?? new Set<string>();
      row.set(c.sample, cell);
      const issues = o.kind === "batch" ? Object.keys(issueTotal(o)).filter((k) => (issueTotal(o)[k] ?? 0) > (baseline?.kind === "batch" ? issueTotal(baseline)[k] ?? 0 : 0)) : [];
      cell.add(`${c.policy === "reject" ? "R" : "Q"}:${o.kind === "error" ? o.code : o.kind === "batch" ? (issues.length ? issues.join("+") : "read") : o.kind}`);
    }
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const samples = [...new Set(cases.map((c) => c.sample))];
    const lines = [`| defect | ${samples.join(" | ")} |`, `| --- | ${samples.map(() => "---").join(" | ")} |`];
    for (const [cls, row] of table) lines.push(`| ${cls} | ${samples.map((s) => [...(row.get(s) ?? [])].join(", ") || "–").join(" | ")} |`);
    writeFileSync(join(TEST_OUTPUT, "fuzz-outcomes.md"), lines.join("\n") + "\n");
    const bySample = new Map<string, number>();
    for (const c of cases) bySample.set(c.sample, (bySample.get(c.sample) ?? 0) + (outcomes.get(c.id)?.ms ?? 0));
    writeFileSync(join(TEST_OUTPUT, "fuzz-timing.json"), JSON.stringify(Object.fromEntries(bySample), null, 1));
    expect(failures, failures.join("\n\n")).toEqual([]);
    expect(cases.length).toBeGreaterThan(300);
  });

  it("the same damaged files through the CLI exit non-zero with one line and no stack trace", async () => {
    // One case per defect class (the sample varying), rejected by default: the CLI's own path.
    const seen = new Set<string>();
    const picked = cases.filter((c) => {
      const key = c.defectClass;
      if (c.policy !== "reject" || seen.has(key)) return false;
      const o = outcomes.get(c.id)!;
      if (o.kind !== "error") return false;
      seen.add(key);
      return true;
    });
    const failures: string[] = [];
    const run = (c: FuzzCase): Promise<void> =>
      new Promise((resolve) => {
        const args = [CLI, "ingest", c.path, "--format", c.format, "--out", join(dir, "catalog-never-written"), "--quiet"];
        if (c.instrument) args.push("--symbol", c.instrument.symbol, "--venue", c.instrument.venue, "--tick-size", c.instrument.tickSize);
        const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (status) => {
          const lines = stderr.trim().split("\n");
          if (status === 0) failures.push(`${c.id}: CLI exited 0`);
          else if (lines.length !== 1 || !/^error [A-Z][A-Z0-9_]+: .+\(hint: .+\)$/.test(lines[0]!) || lines[0]!.startsWith("error INTERNAL")) failures.push(`${c.id}: CLI stderr is not one coded line with a hint:\n${stderr}`);
          resolve();
        });
      });
    // Two at a time: each is a whole Node process.
    for (let i = 0; i < picked.length; i += 2) await Promise.all(picked.slice(i, i + 2).map(run));
    expect(failures, failures.join("\n")).toEqual([]);
    expect(picked.length).toBeGreaterThan(12);
  }, 600_000);
});
