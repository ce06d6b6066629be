/** The shared source reading: cut gzip/zstd streams keep every byte decoded before the cut; a damaged zstd header cannot size an allocation; filesystem faults are coded. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { decompress } from "fzstd";
import { describe, expect, it } from "vitest";
import { checkReadableFile, decodeSource } from "../../src/data/index.js";
import { ROOT } from "../helpers/paths.js";

const gz = readFileSync(join(ROOT, "data", "binance", "spot_btcusdt_20240808.gz"));
const zst = readFileSync(join(ROOT, "data", "databento", "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst"));

describe("decodeSource", () => {
  it("a gzip cut in the middle: CORRUPT_GZIP naming the option, or with keepPrefix a prefix of the intact bytes", () => {
    const whole = gunzipSync(gz);
    const cut = gz.subarray(0, gz.length >> 1);
    expect(() => decodeSource(cut, "capture.gz")).toThrow(expect.objectContaining({ code: "CORRUPT_GZIP", hint: expect.stringContaining('onBadRows: "quarantine"') }));
    const kept = decodeSource(cut, "capture.gz", { keepPrefix: true });
    expect(kept.cut).toMatchObject({ compression: "gzip", checksumOnly: false, decodedBytes: kept.bytes.length });
    expect(kept.bytes.length).toBeGreaterThan(whole.length / 3);
    expect(Buffer.compare(Buffer.from(kept.bytes), whole.subarray(0, kept.bytes.length))).toBe(0);
  });

  it("a zstd stream cut in the middle keeps a prefix of the intact bytes", () => {
    const whole = decompress(zst);
    const kept = decodeSource(zst.subarray(0, zst.length >> 1), "mbo.dbn.zst", { keepPrefix: true });
    expect(kept.cut?.compression).toBe("zstd");
    expect(kept.bytes.length).toBeGreaterThan(0);
    expect(Buffer.compare(Buffer.from(kept.bytes), Buffer.from(whole.subarray(0, kept.bytes.length)))).toBe(0);
  });

  it("a zstd header declaring a 2 GB window is refused before anything is allocated", () => {
    const damaged = new Uint8Array(zst);
    damaged[4] = 0x00; // not single-segment: the window descriptor decides
    damaged[5] = 0xa8; // exponent 21 -> 2^31 bytes
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeSource(damaged, "mbo.dbn.zst", { keepPrefix: true })).toThrow(expect.objectContaining({ code: "CORRUPT_ZSTD" }));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  it("a directory and a missing file are named as such, with where relative paths start", () => {
    const dir = mkdtempSync(join(tmpdir(), "slab-src-"));
    expect(() => checkReadableFile(dir)).toThrow(expect.objectContaining({ code: "IS_A_DIRECTORY" }));
    expect(() => checkReadableFile("no/such/file.csv")).toThrow(expect.objectContaining({ code: "FILE_NOT_FOUND", message: `file not found: no/such/file.csv (relative paths resolve from ${process.cwd()})` }));
  });
});
