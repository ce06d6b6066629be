/**
 * Round trips: every file `generate` and the writers produce reads back equal through every path
 * that accepts it: the API and the CLI, with the format given or guessed, with the instrument
 * given or read from the file, and through a catalog (`ingest`, then `readCatalog`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { generateTicks, readCatalog, readFile, type TickBatch } from "../../src/venues/data-aliases.js";
import "../../src/venues/index.js";
import { CLI, ROOT } from "../helpers/paths.js";
import { batchDifference as difference } from "../helpers/checks.js";

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT });

describe.each(["l2", "l3"] as const)("round trips of generated %s data", (mode) => {
  let dir: string;
  const original = (): TickBatch => generateTicks({ events: 3000, seed: 9, mode });
  const spec = instrument({ symbol: "SYN", venue: "SIM", tickSize: "0.01", lotSize: "1" });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `slab-rt-${mode}-`));
    for (const ext of ["csv", "parquet", "arrow"]) {
      const r = cli("generate", "--events", "3000", "--seed", "9", "--mode", mode, "--out", join(dir, `t.${ext}`), "--quiet");
      expect(r.status, r.stderr).toBe(0);
    }
  }, 300_000);

  it.each(["csv", "parquet", "arrow"])("%s reads back equal through the API, format given or guessed, instrument given or not", async (ext) => {
    const path = join(dir, `t.${ext}`);
    for (const options of [{}, { format: ext }, { instrument: spec }, { format: ext, instrument: spec }]) {
      const batch = await readFile(path, options);
      expect(difference(batch, original()), `${ext} ${JSON.stringify(Object.keys(options))}`).toBeNull();
      expect(batch.instruments.map((s) => [s.symbol, s.venue, String(s.tickSize), String(s.lotSize)])).toEqual([["SYN", "SIM", "0.01", "1"]]);
    }
  });

  it.each(["csv", "parquet", "arrow"])("%s validates clean through the CLI, with --format or without, with the instrument options or without", (ext) => {
    const path = join(dir, `t.${ext}`);
    for (const extra of [[], ["--format", ext], ["--symbol", "SYN", "--venue", "SIM", "--tick-size", "0.01", "--lot-size", "1"], ["--format", ext, "--tick-size", "0.01"]]) {
      const r = cli("validate", path, "--json", "--quiet", ...extra);
      expect(r.status, `${ext} ${extra.join(" ")}: ${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout) as { rejected: boolean; cleanRows: number; readerQuarantinedRows: number; issues: { class: string; severity: string }[] };
      expect(report.rejected).toBe(false);
      expect(report.cleanRows).toBe(3000);
      expect(report.readerQuarantinedRows).toBe(0);
      expect(report.issues.filter((i) => i.severity === "error")).toEqual([]);
    }
  });

  it("ingest into a catalog and read it back: equal rows and instrument", async () => {
    const catalog = join(dir, "catalog");
    for (const ext of ["csv", "parquet"]) {
      const r = cli("ingest", join(dir, `t.${ext}`), "--out", catalog, "--replace", "--quiet");
      expect(r.status, r.stderr).toBe(0);
      const back = await readCatalog(catalog);
      expect(difference(back, original()), ext).toBeNull();
      expect(back.instruments.map((s) => [s.symbol, s.venue, String(s.tickSize)])).toEqual([["SYN", "SIM", "0.01"]]);
    }
  });
});
