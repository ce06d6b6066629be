import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { CLI, ROOT, SHARED_DATA } from "../helpers/paths.js";

const capture = join(SHARED_DATA, "binance-btcusdt-raw-ws-20240808", "spot_btcusdt_20240808.gz");

describe("strategy-lab book verify --format binance-raw", () => {
  it("prints the bookTicker comparison as JSON: 564 of 564 equal on the spot capture", () => {
    const r = spawnSync(process.execPath, [CLI, "book", "verify", "--format", "binance-raw", capture, "--json", "--quiet"], { encoding: "utf8", cwd: ROOT });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ rows: 41_249, compared: 564, mismatches: 0, firstMismatch: null, notComparable: 28_040 - 564, equal: 564, market: "spot", gaps: [], resyncs: 0 });
  });

  it("asks for the capture when it is missing", () => {
    const r = spawnSync(process.execPath, [CLI, "book", "verify", "--format", "binance-raw"], { encoding: "utf8", cwd: ROOT });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^error MISSING_OPTION: book verify --format binance-raw needs <capture.gz> \(hint: /);
  });
});
