/** `book verify --on-bad-rows`: a capture cut mid-line is refused by default, verified on its complete lines with quarantine. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CLI, ROOT } from "../helpers/paths.js";

describe("strategy-lab book verify --on-bad-rows", () => {
  it("a Binance capture cut inside its last line: TRUNCATED by default; with quarantine the complete lines verify and the cut is listed", () => {
    const lines = gunzipSync(readFileSync(join(ROOT, "data", "binance", "spot_btcusdt_20240808.gz"))).toString("utf8").split("\n").slice(0, 3000);
    const text = lines.join("\n");
    const path = join(mkdtempSync(join(tmpdir(), "slab-verify-")), "spot_cut.txt");
    writeFileSync(path, text.slice(0, text.length - 300));
    const strict = spawnSync(process.execPath, [CLI, "book", "verify", "--format", "binance-raw", path, "--quiet"], { encoding: "utf8", cwd: ROOT });
    expect(strict.status).not.toBe(0);
    expect(strict.stderr.trim().split("\n")).toHaveLength(1);
    expect(strict.stderr).toMatch(/^error TRUNCATED: .*spot_cut\.txt: the capture is cut off at byte/);
    const kept = spawnSync(process.execPath, [CLI, "book", "verify", "--format", "binance-raw", path, "--on-bad-rows", "quarantine", "--json", "--quiet"], { encoding: "utf8", cwd: ROOT });
    expect(kept.status).toBe(0);
    const r = JSON.parse(kept.stdout) as { rows: number; mismatches: number; readIssues: { class: string; count: number }[] };
    const complete = text.slice(0, text.length - 300).split("\n").length - 1;
    expect(r.rows).toBe(complete);
    expect(r.mismatches).toBe(0);
    expect(r.readIssues).toEqual([expect.objectContaining({ class: "truncated", count: 1 })]);
  });
});
