import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readCatalog, readParquet } from "../../src/data/index.js";
import { CLI, ROOT, TEST_OUTPUT } from "../helpers/paths.js";

const dir = join(TEST_OUTPUT, "data-cli");
mkdirSync(dir, { recursive: true });

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT, input: "" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("data commands", () => {
  it("generate writes the requested events; validate reports them clean as JSON", async () => {
    const out = join(dir, "gen.parquet");
    const g = cli("generate", "--events", "20000", "--seed", "5", "--mode", "l3", "--out", out, "--json");
    expect(g.code).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ events: 20000, seed: 5, mode: "l3" });
    expect((await readParquet(out)).length).toBe(20000);
    const v = cli("validate", out, "--json", "--html", join(dir, "gen.html"));
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.summary.rows).toBe(20000);
    expect(report.issues).toEqual([]);
    expect(readFileSync(join(dir, "gen.html"), "utf8")).toContain("No issues found.");
  });

  it("ingest puts a Tardis CSV into a catalog; a bad row is one error line naming the line and column", async () => {
    const catalog = join(dir, "catalog");
    rmSync(catalog, { recursive: true, force: true });
    const r = cli("ingest", "data/tardis-csv-samples/huobi-dm-swap_quotes_BTC-USD.csv", "--format", "tardis", "--out", catalog, "--symbol", "BTC-USD", "--venue", "huobi", "--tick-size", "0.1", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rowsRead: 20, rowsWritten: 20, partitions: ["venue=huobi/symbol=BTC-USD/date=2020-05-01"] });
    expect((await readCatalog(catalog, { symbols: ["BTC-USD"] })).length).toBe(20);

    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "ts,price,qty\n1,1.5,1\n2,x,1\n");
    const e = cli("ingest", bad, "--out", catalog, "--time-unit", "s", "--tick-size", "0.5", "-q");
    expect(e.code).not.toBe(0);
    expect(e.stderr.trim().split("\n")).toHaveLength(1);
    expect(e.stderr).toMatch(/^error BAD_VALUE: .*bad\.csv: row 1 \(line 3\), column "price": price is not a number \("x"\).*\(hint: .+\)/);
    expect(existsSync(join(catalog, "venue=UNKNOWN"))).toBe(false);
  });

  it("unknown formats get a did-you-mean hint", () => {
    const r = cli("validate", "data/tardis-csv-samples/bitmex_trades_XBTUSD.csv", "--format", "tardsi");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^error UNKNOWN_FORMAT: unknown format "tardsi" \(hint: did you mean "tardis"\?/);
  });
});
