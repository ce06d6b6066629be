/**
 * Format detection by content: every bundled sample (and the larger copies under
 * /work/shared/data/real) is told by its bytes, also when renamed with a misleading or no
 * extension; readFile and the CLI read a renamed file as the original; a file nothing matches is
 * UNKNOWN_FORMAT naming what was looked at; missing files name where relative paths resolve from.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { unzipSync, zipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/core/index.js";
import { generateTicks, readDbn, readLobster, toArrow, writeArrowFile, writeCsv, writeParquet } from "../../src/venues/data-aliases.js";
import { detectFormat, guessFormat, readFile } from "../../src/data/formats.js";
import { sniffContent } from "../../src/data/detect.js";
import { zstdWindowBytes } from "../../src/data/source-bytes.js";
import { arrowLibrary } from "../../src/data/arrow.js";
import "../../src/venues/index.js";
import { CLI, ROOT, SHARED_DATA } from "../helpers/paths.js";
import { caught, caughtAsync, batchDifference as difference } from "../helpers/checks.js";

const DATA = join(ROOT, "data");

/** Expected format of every data file per sample folder (SOURCE.md and read-me files are not data). */
const FOLDER_FORMAT: Record<string, string> = {
  binance: "binance-raw",
  "binance-btcusdt-raw-ws-20240808": "binance-raw",
  "binance-futures-depth-csv-samples": "binance-csv",
  databento: "dbn",
  "databento-dbn-test-fixtures": "dbn",
  "databento-glbx-es": "dbn",
  lobster: "lobster",
  "lobster-goog-2012-06-21": "lobster",
  "tardis-csv-samples": "tardis",
};

function samples(root: string): string[] {
  return Object.keys(FOLDER_FORMAT)
    .map((folder) => join(root, folder))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => readdirSync(dir).filter((f) => !/\.(md|txt)$/i.test(f)).sort().map((f) => join(dir, f)));
}

const expected = (file: string): string => FOLDER_FORMAT[basename(join(file, ".."))]!;

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", cwd: ROOT });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slab-detect-"));
});

describe("every bundled sample is told by its content", () => {
  const bundled = samples(DATA);
  const shared = samples(SHARED_DATA);

  it("finds the samples", () => {
    // 2 Binance captures, 2 depth CSVs, 20 DBN files, 2 LOBSTER zips, 5 Tardis CSVs.
    expect(bundled.length).toBe(31);
    expect(shared.length).toBeGreaterThanOrEqual(30);
  });

  it.each(bundled.map((f) => [relative(DATA, f), f]))("data/%s", (_name, file) => {
    const d = detectFormat(file);
    expect(d.format).toBe(expected(file));
    expect(d.by).toBe("content");
    expect(d.compression).toBe(file.endsWith(".gz") ? "gzip" : file.endsWith(".zst") ? "zstd" : "none");
  });

  it("the larger copies in /work/shared/data/real", () => {
    const found = shared.map((f) => [relative(SHARED_DATA, f), detectFormat(f).format, detectFormat(f).by]);
    expect(found).toEqual(shared.map((f) => [relative(SHARED_DATA, f), expected(f), "content"]));
  });

  it("renamed copies with a misleading or no extension", () => {
    const misleading: Record<string, string> = { "binance-raw": ".parquet", "binance-csv": ".arrow", dbn: ".csv", lobster: ".gz", tardis: ".dbn.zst" };
    const got: string[][] = [];
    const want: string[][] = [];
    for (const file of bundled) {
      const format = expected(file);
      for (const name of [`${basename(file)}-renamed`, `data${misleading[format]}`, `${format === "lobster" ? "x" : "y"}_message_10.csv`]) {
        const copy = join(dir, `${format}-${name}`);
        copyFileSync(file, copy);
        const d = detectFormat(copy);
        got.push([basename(file), name, d.format, d.by]);
        want.push([basename(file), name, format, "content"]);
      }
    }
    expect(got).toEqual(want);
  });
});

describe("normalized tables, compressed text, zips", () => {
  const spec = instrument({ symbol: "SYN", venue: "SIM", tickSize: "0.01", lotSize: "1" });
  const batch = generateTicks({ events: 500, seed: 3, mode: "l2", instrument: spec });

  it("Parquet, Arrow file and stream, normalized CSV (plain, gzip) without extension read back equal", async () => {
    const parquet = join(dir, "ticks-parquet");
    const arrow = join(dir, "ticks-arrow.csv");
    const stream = join(dir, "ticks-stream");
    const csv = join(dir, "ticks.csv");
    await writeParquet(batch, `${parquet}.parquet`);
    copyFileSync(`${parquet}.parquet`, parquet);
    await writeArrowFile(batch, join(dir, "t.arrow"));
    copyFileSync(join(dir, "t.arrow"), arrow);
    // The same table in the stream format (written by the build of apache-arrow the lab reads with).
    writeFileSync(stream, arrowLibrary().tableToIPC(toArrow(batch), "stream"));
    await writeCsv(batch, csv);
    const gz = join(dir, "ticks-csv-gz");
    writeFileSync(gz, gzipSync(readFileSync(csv)));
    const found = [parquet, arrow, stream, csv, gz].map((f) => [detectFormat(f).format, detectFormat(f).compression]);
    expect(found).toEqual([["parquet", "none"], ["arrow", "none"], ["arrow", "none"], ["csv", "none"], ["csv", "gzip"]]);
    expect(detectFormat(parquet).reason).toBe('starts with "PAR1"');
    expect(detectFormat(stream).reason).toBe("starts with 0xFFFFFFFF (Arrow IPC stream)");
    for (const f of [parquet, arrow, stream, gz]) expect(difference(await readFile(f, { instrument: spec }), batch), f).toBeNull();
  });

  it("a gzipped Parquet file is WRONG_FORMAT naming the decompression", async () => {
    await writeParquet(batch, join(dir, "p.parquet"));
    const gz = join(dir, "p.parquet.gz");
    writeFileSync(gz, gzipSync(readFileSync(join(dir, "p.parquet"))));
    const e = caught(() => detectFormat(gz));
    expect(e.code).toBe("WRONG_FORMAT");
    expect(e.message).toBe(`${gz} is gzip-compressed parquet (starts with "PAR1"); the parquet reader reads uncompressed files`);
    expect(e.hint).toBe(`decompress it first (gunzip -k ${gz}) and read the result`);
  });

  it("a LOBSTER message CSV out of its zip, renamed, is told by its rows", () => {
    const zip = unzipSync(readFileSync(join(DATA, "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip")), { filter: (f) => f.name.includes("_message_") });
    const [name, bytes] = Object.entries(zip)[0]!;
    const proper = join(dir, name);
    writeFileSync(proper, bytes);
    const renamed = join(dir, "goog-messages.dat");
    writeFileSync(renamed, bytes);
    const d = detectFormat(renamed);
    expect([d.format, d.by, d.reason]).toEqual(["lobster", "content", "LOBSTER message rows (34200.015105074,4,15818974,4,5794000,1)"]);
    // Read from the renamed copy, the date LOBSTER keeps in the file name is missing: the reader says so.
    return caughtAsync(() => readFile(renamed)).then((e) => {
      expect(e.code).toBe("NO_DATE");
      expect(readLobster({ messages: proper, orderbook: false }).batch.length).toBe(readLobster({ messages: join(DATA, "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip"), orderbook: false }).batch.length);
    });
  });

  it("a zip that is not LOBSTER's names its members", () => {
    const zip = join(dir, "other.zip");
    writeFileSync(zip, zipSync({ "a.csv": new TextEncoder().encode("x,y\n1,2\n"), "b.txt": new Uint8Array([104, 105]) }));
    const e = caught(() => detectFormat(zip));
    expect(e.code).toBe("UNKNOWN_FORMAT");
    expect(e.message).toContain(": a zip archive holding a.csv, b.txt; only LOBSTER zips are read as they are, so unzip it and read a member, and its name gives none;");
  });

  it("sniffContent decides from bytes alone", () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(sniffContent(text("1723161253937085768 {\"stream\":\"btcusdt@depth@100ms\"}\n"))?.format).toBe("binance-raw");
    expect(sniffContent(text("\ufeffexchTs,localTs,kind,side,price,qty\n1,2,Trade,1,1.5,1\n"))?.format).toBe("csv");
    expect(sniffContent(text("ts_event;px;size\n1;2;3\n"))?.format).toBe("csv");
    expect(sniffContent(text("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"))?.format).toBe("tardis");
    expect(sniffContent(text("34200.0123,1,5,10,1000000,-1\n34200.5,3,5,10,1000000,-1\n"))?.format).toBe("lobster");
    // Seven fields, or a type out of 1..7: not LOBSTER messages.
    expect(sniffContent(text("34200.0123,1,5,10,1000000,-1,0\n"))).toBeUndefined();
    expect(sniffContent(text("34200.0123,9,5,10,1000000,-1\n"))).toBeUndefined();
    expect(sniffContent(text("a,b,c\n1,2,3\n"))).toBeUndefined();
    expect(sniffContent(new Uint8Array([0x44, 0x42, 0x4e, 0x02, 0, 0, 0, 0]))).toEqual({ format: "dbn", reason: 'starts with "DBN" version 2' });
  });
});

describe("files nothing matches", () => {
  it("binary data: UNKNOWN_FORMAT with the size, first bytes as hex and every format", () => {
    const file = join(dir, "blob.bin");
    writeFileSync(file, new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x10, 0x20, 0x7f]));
    const e = caught(() => detectFormat(file));
    expect(e.code).toBe("UNKNOWN_FORMAT");
    expect(e.message).toBe(`cannot tell the format of ${file}: binary data of no known kind, and its name gives none; 8 bytes, first bytes: hex 00 01 02 fe ff 10 20 7f`);
    for (const f of ["parquet", "arrow", "dbn", "lobster", "binance-raw", "tardis", "binance-csv", "csv"]) expect(e.hint).toContain(`${f} (`);
    expect(e.hint).toMatch(/^pass the format \(\{ format: "\.\.\." \} \/ --format \.\.\.\); formats told by content: parquet \(starts with "PAR1"\);/);
    expect(e.context).toMatchObject({ file, size: 8, compression: "none", head: "000102feff10207f" });
  });

  it("text and gzipped text: the first bytes as text, after decompression", async () => {
    const file = join(dir, "notes");
    writeFileSync(file, "hello world\nsecond line\n");
    expect(caught(() => detectFormat(file)).message).toBe(`cannot tell the format of ${file}: text without a header this lab knows, and its name gives none; 24 bytes, first bytes: "hello world\\nsecond line\\n"`);
    const gz = join(dir, "notes-gz");
    writeFileSync(gz, gzipSync("hello world, this is not market data at all\n"));
    const e = caught(() => detectFormat(gz));
    expect(e.message).toContain(`first bytes after gzip decompression: "hello world, this is not market "...`);
    // readFile says the same.
    expect((await caughtAsync(() => readFile(gz))).message).toBe(e.message);
  });

  it("a gzip stream damaged at its start says so", () => {
    const file = join(dir, "broken-gz");
    writeFileSync(file, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(64, 0xff)]));
    const e = caught(() => detectFormat(file));
    expect(e.code).toBe("UNKNOWN_FORMAT");
    expect(e.message).toMatch(/: its gzip stream does not decode \(.+\), and its name gives none; 74 bytes, first bytes after gzip decompression: \(none\)$/);
  });

  it("a LOBSTER orderbook file alone is pointed to its message file", () => {
    const file = join(dir, "book-rows");
    writeFileSync(file, "5859400,200,5853300,18,5859800,200,5853000,150\n5859400,200,5853300,18,5859800,200,5853000,150\n");
    expect(caught(() => detectFormat(file)).message).toContain("like a LOBSTER orderbook file, which is read together with its message file");
  });

  it("an empty file with no telling name is EMPTY_FILE; with one, its reader says it", async () => {
    writeFileSync(join(dir, "empty"), "");
    expect(caught(() => detectFormat(join(dir, "empty"))).code).toBe("EMPTY_FILE");
    writeFileSync(join(dir, "empty.parquet"), "");
    expect(detectFormat(join(dir, "empty.parquet"))).toMatchObject({ format: "parquet", by: "name" });
    expect((await caughtAsync(() => readFile(join(dir, "empty.parquet")))).code).toBe("EMPTY_FILE");
  });

  it("a damaged start falls back to the name, and the reader names the damage", async () => {
    const spec = instrument({ symbol: "SYN", venue: "SIM", tickSize: "0.01", lotSize: "1" });
    const file = join(dir, "damaged.parquet");
    await writeParquet(generateTicks({ events: 100, seed: 1, mode: "l2", instrument: spec }), file);
    const bytes = readFileSync(file);
    bytes.fill(0, 0, 4);
    writeFileSync(file, bytes);
    expect(detectFormat(file)).toMatchObject({ format: "parquet", by: "name" });
    expect((await caughtAsync(() => readFile(file))).code).toBe("BAD_PARQUET");
  });

  it("guessFormat of a path not written yet goes by its name", () => {
    expect(guessFormat(join(dir, "not-yet.parquet"))).toBe("parquet");
    expect(guessFormat(join(dir, "not-yet"))).toBeUndefined();
  });
});

describe("readFile and the CLI read renamed files as the originals", () => {
  it("the Binance raw capture renamed without extension", async () => {
    const original = join(DATA, "binance", "spot_btcusdt_20240808.gz");
    const copy = join(dir, "capture");
    copyFileSync(original, copy);
    expect(difference(await readFile(copy), await readFile(original, { format: "binance-raw" }))).toBeNull();
  });

  it("a LOBSTER zip renamed .csv, a Tardis file renamed .parquet, a Binance depth CSV and a DBN file renamed", async () => {
    const es = instrument({ symbol: "ESH1", venue: "GLBX", tickSize: "0.25", lotSize: "1" });
    const cases: [string, string, Parameters<typeof readFile>[1]][] = [
      [join(DATA, "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip"), "goog.csv", { format: "lobster" }],
      [join(DATA, "tardis-csv-samples", "deribit_incremental_book_L2_BTC-PERPETUAL.csv"), "deribit.parquet", { format: "tardis" }],
      [join(DATA, "binance-futures-depth-csv-samples", "btcusdt-depth-update.csv"), "depth", { format: "binance-csv" }],
      [join(DATA, "databento", "test_data.mbo.v3.dbn.zst"), "mbo.csv", { format: "dbn", instrument: es }],
    ];
    for (const [original, name, options] of cases) {
      const copy = join(dir, name);
      copyFileSync(original, copy);
      const { format: _format, ...rest } = options!;
      expect(difference(await readFile(copy, rest), await readFile(original, options)), name).toBeNull();
    }
    expect(readDbn(join(dir, "mbo.csv"), { instrument: es }).length).toBeGreaterThan(0);
  });

  it("strategy-lab validate without --format reads a renamed Tardis file; an unknown file is one UNKNOWN_FORMAT line", async () => {
    const copy = join(dir, "bitmex-trades.parquet");
    copyFileSync(join(DATA, "tardis-csv-samples", "bitmex_trades_XBTUSD.csv"), copy);
    const ok = cli("validate", copy, "--json", "-q");
    expect(ok.status, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { summary: { rows: number } }).summary.rows).toBe((await readFile(copy)).length);
    const blob = join(dir, "blob2");
    writeFileSync(blob, new Uint8Array([9, 9, 0, 0, 1]));
    const bad = cli("validate", blob, "-q");
    expect(bad.status).not.toBe(0);
    const lines = bad.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`error UNKNOWN_FORMAT: ${caught(() => detectFormat(blob)).message} (hint: ${caught(() => detectFormat(blob)).hint})`);
  });
});

describe("a missing file names where relative paths resolve from", () => {
  const note = ` (relative paths resolve from ${process.cwd()})`;
  const missing = join("no", "such", "folder", "ticks.gz");

  it("readFile, readLobster, readDbn", async () => {
    const errors = [await caughtAsync(() => readFile(missing)), caught(() => readLobster({ messages: missing })), caught(() => readDbn(missing))];
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ["FILE_NOT_FOUND", `file not found: ${missing}${note}`],
      ["FILE_NOT_FOUND", `LOBSTER message file not found: ${missing}${note}`],
      ["FILE_NOT_FOUND", `DBN file not found: ${missing}${note}`],
    ]);
    // An absolute path needs no note.
    expect((await caughtAsync(() => readFile(join(dir, "absent.csv")))).message).toBe(`file not found: ${join(dir, "absent.csv")}`);
  });

  it("the CLI names its working directory", () => {
    const r = spawnSync(process.execPath, [CLI, "validate", missing, "-q"], { encoding: "utf8", cwd: dir });
    expect(r.stderr.trim()).toBe(`error FILE_NOT_FOUND: file not found: ${missing} (relative paths resolve from ${dir}) (hint: check the path and the current directory)`);
    const b = spawnSync(process.execPath, [CLI, "backtest", "--strategy", "imbalance", "--data", missing, "-q"], { encoding: "utf8", cwd: dir });
    expect(b.stderr).toContain(`not found: ${missing} (relative paths resolve from ${dir})`);
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});

describe("what a look decodes is bounded", () => {
  it("a zstd header declaring a huge window is not decoded; the name may still tell", () => {
    // Single-segment frame with an 8-byte content size of 2^40: the decoder would allocate that.
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(zstdWindowBytes(header)).toBe(2 ** 40);
    const file = join(dir, "huge-window");
    writeFileSync(file, header);
    const e = caught(() => detectFormat(file));
    expect(e.code).toBe("UNKNOWN_FORMAT");
    expect(e.message).toContain("its zstd stream does not decode (its first frame declares a 1,099,511,627,776-byte window, more than a look decodes)");
    writeFileSync(join(dir, "huge-window.dbn.zst"), header);
    expect(detectFormat(join(dir, "huge-window.dbn.zst"))).toMatchObject({ format: "dbn", by: "name", compression: "zstd" });
  });

  it("the real zstd samples declare windows a look decodes", () => {
    const zst = samples(DATA).filter((f) => f.endsWith(".zst"));
    expect(zst.length).toBe(14);
    for (const f of zst) {
      const w = zstdWindowBytes(readFileSync(f).subarray(0, 18));
      expect(w, f).toBeGreaterThan(0);
      expect(w, f).toBeLessThanOrEqual(256 * 1024 * 1024);
    }
  });
});
