import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { instrument, LabError } from "../../src/core/index.js";
import { fromArrow, generateTicks, readFile, readReportOf, readTable, toArrow, validate, writeTable, type TickBatch } from "../../src/venues/data-aliases.js";
import { CLI } from "../helpers/paths.js";
import { hashBatch, caughtAsync as failure } from "../helpers/checks.js";

const dir = mkdtempSync(join(tmpdir(), "table-robust-"));
const gen = generateTicks({ events: 3000, seed: 5, mode: "l2" });
const spec = gen.instruments[0]!;
const csv = join(dir, "t.csv");
const pq = join(dir, "t.parquet");
const arrowFile = join(dir, "t.arrow");
let text = "";
let lines: string[] = [];

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The CSV with line `n` (1-based, header = 1) changed by `edit`. */
function withLine(name: string, n: number, edit: (line: string) => string): string {
  const copy = [...lines];
  copy[n - 1] = edit(copy[n - 1]!);
  return file(name, copy.join("\n"));
}

const setField = (k: number, value: string) => (line: string): string => line.split(",").map((f, i) => (i === k ? value : f)).join(",");

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  await writeTable(gen, csv);
  await writeTable(gen, pq);
  await writeTable(gen, arrowFile);
  text = readFileSync(csv, "utf8");
  lines = text.split("\n");
});

// Columns of the normalized CSV: exchTs,localTs,kind,side,price,qty,orderId,flags,seq,aux,symbol
const PRICE = 4;
const QTY = 5;

describe("normalized CSV", () => {
  it("reads the same with and without a format, and with the instruments its symbol column names", async () => {
    const plain = await readTable(csv);
    const withFormat = await readTable(csv, { format: "csv" });
    const registry = await readFile(csv, { format: "csv" });
    expect(plain.length).toBe(3000);
    expect(hashBatch(withFormat)).toBe(hashBatch(plain));
    expect(hashBatch(registry)).toBe(hashBatch(plain));
    expect(plain.instruments.map((s) => s.symbol)).toEqual(["SYN"]);
    // Ticks on the inferred grid are the same prices as generated.
    for (let i = 0; i < gen.length; i += 97) expect(plain.instruments[0]!.toPrice(plain.priceTicks[i]!)).toBe(spec.toPrice(gen.priceTicks[i]!));
    // The instrument it was written with gives back the generated columns bit for bit.
    expect(hashBatch(await readTable(csv, { format: "csv", instrument: spec }))).toBe(hashBatch(gen));
    // One instrument under another name applies to the whole one-symbol file.
    const renamed = await readTable(csv, { instrument: instrument({ symbol: "UNKNOWN", venue: "UNKNOWN", tickSize: "0.01", lotSize: "1" }) });
    expect(hashBatch(renamed)).toBe(hashBatch(gen));
  });

  it("strategy-lab validate <csv> --format csv accepts the rows it wrote", () => {
    const r = spawnSync(process.execPath, [CLI, "validate", csv, "--format", "csv", "--json", "-q"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { summary: { rows: number }; issues: { class: string }[] };
    expect(report.summary.rows).toBe(3000);
    expect(report.issues.filter((i) => i.class === "type-error")).toEqual([]);
  });

  it("CRLF line ends, a UTF-8 BOM, quoted numbers and a missing final line end read exactly like the plain file", async () => {
    const h = hashBatch(await readTable(csv, { instrument: spec }));
    const quoted = lines.map((l, i) => (i === 0 || l === "" ? l : l.split(",").map((f) => (f === "" ? f : `"${f}"`)).join(","))).join("\n");
    for (const [name, content] of [["crlf.csv", text.replace(/\n/g, "\r\n")], ["bom.csv", "\ufeff" + text], ["quoted.csv", quoted], ["no-final-newline.csv", text.replace(/\n$/, "")]] as const) {
      expect(hashBatch(await readTable(file(name, content), { instrument: spec })), name).toBe(h);
    }
  });

  it("a file cut inside a line: TRUNCATED naming the line by default, every complete line kept with quarantine", async () => {
    const cutAt = text.indexOf("\n", Math.floor(text.length * 0.6)) + 20;
    const cut = file("cut.csv", text.slice(0, cutAt));
    const keptLines = text.slice(0, cutAt).split("\n").length - 2; // complete data lines before the partial one
    const error = await failure(readTable(cut, { instrument: spec }));
    expect(error.code).toBe("TRUNCATED");
    expect(error.message).toContain(`line ${keptLines + 2} is cut off`);
    expect(error.hint).toContain('{ onBadRows: "quarantine" }');
    expect(error.hint).toContain("--on-bad-rows quarantine");
    expect(error.context).toMatchObject({ file: cut, line: keptLines + 2, rowsKept: keptLines });
    const kept = await readTable(cut, { instrument: spec, onBadRows: "quarantine" });
    expect(kept.length).toBe(keptLines);
    expect(hashBatch(kept)).toBe(hashBatch(gen, 0, keptLines));
    const issues = readReportOf(kept)!.issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ class: "truncated", count: 1, samples: [{ row: keptLines, line: keptLines + 2, byteOffset: text.lastIndexOf("\n", cutAt) + 1 }] });
    // validate() carries the cut into its report.
    expect(validate(kept).issues.find((i) => i.class === "truncated")?.count).toBe(1);
  });

  it("a .csv.gz reads like the plain file; a cut one is CORRUPT_GZIP by default and keeps its decoded complete lines with quarantine", async () => {
    const gz = gzipSync(Buffer.from(text));
    const whole = file("t.csv.gz", gz);
    expect(hashBatch(await readTable(whole, { instrument: spec }))).toBe(hashBatch(gen));
    const cut = file("cut.csv.gz", gz.subarray(0, Math.floor(gz.length / 2)));
    const error = await failure(readTable(cut, { instrument: spec }));
    expect(error.code).toBe("CORRUPT_GZIP");
    expect(error.hint).toContain('{ onBadRows: "quarantine" }');
    const kept = await readTable(cut, { instrument: spec, onBadRows: "quarantine" });
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(3000);
    expect(hashBatch(kept)).toBe(hashBatch(gen, 0, kept.length));
    const issue = readReportOf(kept)!.issues.find((i) => i.class === "truncated")!;
    expect(issue.samples[0]!.row).toBe(kept.length);
    expect(issue.message).toContain("gzip stream ends early");
  });

  it.each([
    ["text price", setField(PRICE, "abc"), "BAD_VALUE", "type-error", "abc"],
    ["NaN price", setField(PRICE, "NaN"), "BAD_VALUE", "type-error", "NaN"],
    ["1e400 price", setField(PRICE, "1e400"), "BAD_VALUE", "type-error", "1e400"],
    ["empty price on a LevelSet", setField(PRICE, ""), "MISSING_VALUE", "missing-value", ""],
    ["empty size on a LevelSet", setField(QTY, ""), "MISSING_VALUE", "missing-value", ""],
    ["unknown kind", setField(2, "Foo"), "BAD_VALUE", "type-error", "Foo"],
    ["empty timestamp", setField(0, ""), "MISSING_VALUE", "missing-value", ""],
  ])("%s: a coded error naming row, line, column and raw text; quarantine keeps the 2999 others", async (_name, edit, code, cls, value) => {
    const bad = withLine(`value-${_name.replace(/\W/g, "_")}.csv`, 12, edit);
    const column = cls === "missing-value" && value === "" && _name.includes("timestamp") ? "exchTs" : _name.includes("kind") ? "kind" : _name.includes("size") ? "qty" : "price";
    const error = await failure(readTable(bad, { instrument: spec }));
    expect(error.code).toBe(code);
    expect(error.context).toMatchObject({ file: bad, row: 10, line: 12, column, value, goodRows: 2999, badRows: 1 });
    expect(error.hint).toContain('{ onBadRows: "quarantine" }');
    const kept = await readTable(bad, { instrument: spec, onBadRows: "quarantine" });
    expect(kept.length).toBe(2999);
    const report = readReportOf(kept)!;
    expect(report.issues).toEqual([expect.objectContaining({ class: cls, count: 1, samples: [{ row: 10, line: 12, column, value }] })]);
    expect(report.quarantine!.batch.length).toBe(1);
    expect([...report.quarantine!.sourceRows]).toEqual([10]);
    // The clean rows are the generated rows without row 10.
    expect(hashBatch(kept, 0, 10)).toBe(hashBatch(gen, 0, 10));
    expect(kept.exchTs[10]).toBe(gen.exchTs[11]);
  });

  it("lines with a field missing or extra are bad rows by line (they cannot be rows); blank lines keep line numbers right", async () => {
    const copy = [...lines];
    copy[7] = copy[7]!.split(",").slice(0, 6).join(","); // line 8: 6 of 12 fields
    copy[20] = copy[20] + ",extra"; // line 21: 13 fields
    copy.splice(30, 0, ""); // a blank line 31
    copy[40] = setField(PRICE, "x")(copy[40]!); // line 41
    const bad = file("fields.csv", copy.join("\n"));
    const error = await failure(readTable(bad, { instrument: spec }));
    expect(error.code).toBe("BAD_ROW");
    expect(error.message).toContain("6 fields, the header has 12");
    expect(error.context).toMatchObject({ file: bad, row: 6, line: 8, badRows: 3, goodRows: 2997 });
    const kept = await readTable(bad, { instrument: spec, onBadRows: "quarantine" });
    expect(kept.length).toBe(2997);
    const report = readReportOf(kept)!;
    expect(report.rowsRead).toBe(3000);
    const typeErrors = report.issues.find((i) => i.class === "type-error")!;
    expect(typeErrors.count).toBe(3);
    expect(typeErrors.samples.map((s) => [s.line, s.column, s.value])).toEqual([
      [41, "price", "x"],
      [8, "aux", "6 fields, the header has 12"],
      [21, "(line)", "13 fields, the header has 12"],
    ]);
    expect([...report.quarantine!.sourceRows]).toEqual([39]);
  });

  it("a quoted value that never closes: the line and every line it swallowed are counted", async () => {
    const bad = withLine("unclosed.csv", 11, (l) => l.replace(",SYN", ',"SYN'));
    const error = await failure(readTable(bad, { instrument: spec }));
    expect(error.code).toBe("BAD_ROW");
    expect(error.context).toMatchObject({ line: 11, column: "symbol", goodRows: 9, badRows: 2991 });
    const kept = await readTable(bad, { instrument: spec, onBadRows: "quarantine" });
    expect(kept.length).toBe(9);
    expect(readReportOf(kept)!.issues[0]).toMatchObject({ class: "type-error", count: 2991 });
  });

  it("off-tick prices are OFF_GRID; negative sizes are read and reported by validate()", async () => {
    const offTick = withLine("off-tick.csv", 5, setField(PRICE, "100.005"));
    expect((await failure(readTable(offTick, { instrument: spec }))).context).toMatchObject({ row: 3, line: 5, column: "price", value: "100.005" });
    const negative = withLine("negative.csv", 5, setField(QTY, "-3"));
    const batch = await readTable(negative, { instrument: spec });
    expect(batch.length).toBe(3000);
    expect(validate(batch).issues.find((i) => i.class === "bad-size")).toMatchObject({ count: 1, samples: [{ row: 3 }] });
  });

  it("a CSV above 200k rows keeps its row order (the reader's SQL has no joins)", async () => {
    const big = generateTicks({ events: 200_000, seed: 7, mode: "l2" });
    const path = join(dir, "big.csv");
    await writeTable(big, path);
    const back = await readTable(path, { instrument: big.instruments[0]! });
    expect(hashBatch(back)).toBe(hashBatch(big));
  });
});

describe("files that are not what they claim", () => {
  it("empty files, binary junk, another format, a directory and a missing file are coded errors", async () => {
    for (const ext of ["csv", "parquet", "arrow"]) {
      expect((await failure(readTable(file(`empty.${ext}`, "")))).code).toBe("EMPTY_FILE");
      const junk = file(`junk.${ext}`, Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
      expect(["BAD_FILE", "BAD_PARQUET"]).toContain((await failure(readTable(junk))).code);
    }
    expect(await failure(readTable(pq, { format: "csv" }))).toMatchObject({ code: "WRONG_FORMAT", message: expect.stringContaining("is a Parquet file") });
    expect(await failure(readTable(arrowFile, { format: "csv" }))).toMatchObject({ code: "WRONG_FORMAT", message: expect.stringContaining("Arrow IPC") });
    expect(await failure(readTable(csv, { format: "parquet" }))).toMatchObject({ code: "WRONG_FORMAT", hint: expect.stringContaining("--format csv") });
    expect(await failure(readTable(csv, { format: "arrow" }))).toMatchObject({ code: "WRONG_FORMAT" });
    expect(await failure(readTable(dir, { format: "csv" }))).toMatchObject({ code: "IS_A_DIRECTORY", context: { file: dir } });
    expect(await failure(readTable(join(dir, "nope.parquet")))).toMatchObject({ code: "FILE_NOT_FOUND" });
  });
});

describe("Parquet", () => {
  it("cut anywhere or with flipped bytes: a coded error naming the file, or the same rows; never another exception", async () => {
    const original = readFileSync(pq);
    const codes = new Set<string>();
    for (let k = 1; k <= 12; k++) {
      const cut = file("cut.parquet", original.subarray(0, Math.floor((original.length * k) / 13)));
      const error = await failure(readTable(cut));
      expect(error.code).toBe("BAD_PARQUET");
      expect(error.message).toContain(cut);
      expect(error.message).toContain("truncated");
    }
    for (let k = 0; k < 12; k++) {
      const damaged = Buffer.from(original);
      const at = Math.floor(((k + 0.5) / 12) * damaged.length);
      damaged[at] = damaged[at]! ^ 0x5a;
      damaged[at + 1] = damaged[at + 1]! ^ 0xff;
      const path = file("flip.parquet", damaged);
      const result = await readTable(path).then(
        (b) => `rows ${b.length}`,
        (e: unknown) => {
          expect(e).toBeInstanceOf(LabError);
          expect((e as LabError).message).toContain(path);
          return (e as LabError).code;
        },
      );
      codes.add(result);
    }
    for (const c of codes) expect(["rows 3000", "BAD_PARQUET", "BAD_VALUE", "SCHEMA_MISMATCH"]).toContain(c);
    expect(statSync(pq).size).toBe(original.length);
  });

  it("a table with unrelated columns, or priceTicks stored as text, is named by column with what was expected", async () => {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const unrelated = join(dir, "unrelated.parquet");
    const textPrice = join(dir, "text-price.parquet");
    const kind99 = join(dir, "kind99.parquet");
    const meta = JSON.stringify({ version: 1, instruments: [spec.toJSON()] }).replace(/'/g, "''");
    await c.run(`COPY (SELECT 1 AS a, 'x' AS b) TO '${unrelated}' (FORMAT parquet)`);
    await c.run(`COPY (SELECT * REPLACE (CAST(priceTicks AS VARCHAR) AS priceTicks) FROM read_parquet('${pq}')) TO '${textPrice}' (FORMAT parquet, KV_METADATA {strategy_lab: '${meta}'})`);
    await c.run(`COPY (SELECT * REPLACE (CASE WHEN seq = 5 THEN 99 ELSE kind END::UTINYINT AS kind) FROM read_parquet('${pq}')) TO '${kind99}' (FORMAT parquet, KV_METADATA {strategy_lab: '${meta}'})`);
    c.closeSync();
    expect(await failure(readTable(unrelated))).toMatchObject({ code: "MISSING_COLUMN", context: { column: "exchTs" }, message: expect.stringMatching(/looked for exchTs, exch_ts, timestamp.*columns are a, b/) });
    expect(await failure(readTable(textPrice))).toMatchObject({ code: "SCHEMA_MISMATCH", context: { column: "priceTicks", found: "VARCHAR", expected: "DOUBLE" } });
    // A normalized row with an unknown kind code is a bad row like any other.
    const seq5 = [...gen.seq].filter((s) => s === 5).length;
    const firstSeq5 = [...gen.seq].indexOf(5);
    expect(await failure(readTable(kind99))).toMatchObject({ code: "BAD_VALUE", context: { row: firstSeq5, column: "kind", value: "99", badRows: seq5 } });
    const kept = await readTable(kind99, { onBadRows: "quarantine" });
    expect(kept.length).toBe(3000 - seq5);
    expect(readReportOf(kept)!.quarantine!.batch.length).toBe(seq5);
  });
});

describe("Arrow IPC", () => {
  const arrow = createRequire(import.meta.url)("apache-arrow") as typeof import("apache-arrow");

  it("cut anywhere or with flipped bytes: a coded error, or the same rows; never another exception", async () => {
    const original = readFileSync(arrowFile);
    for (let k = 1; k <= 12; k++) {
      const cut = file("cut.arrow", original.subarray(0, Math.floor((original.length * k) / 13)));
      expect(await failure(readTable(cut))).toMatchObject({ code: "BAD_FILE", message: expect.stringContaining(cut) });
    }
    for (let k = 0; k < 24; k++) {
      const damaged = Buffer.from(original);
      const at = Math.floor(((k + 0.5) / 24) * damaged.length);
      damaged[at] = damaged[at]! ^ 0xff;
      const path = file("flip.arrow", damaged);
      const outcome = await readTable(path, { onBadRows: "quarantine" }).then(
        (b) => b.length,
        (e: unknown) => {
          expect(e).toBeInstanceOf(LabError);
          return (e as LabError).code;
        },
      );
      // Bytes changed inside column data read as other values (Arrow keeps no checksums); what
      // makes a row impossible (an unknown kind, an infinite price) is set aside, never thrown raw.
      if (typeof outcome === "number") expect(outcome).toBeLessThanOrEqual(3000);
      else expect(["BAD_FILE", "SCHEMA_MISMATCH"]).toContain(outcome);
    }
  });

  it("an IPC stream reads whole; cut between two record batches it is BAD_FILE (no end-of-stream marker)", async () => {
    const table = toArrow(gen);
    const batch = table.batches[0]!;
    const two = new arrow.Table([batch.slice(0, 1500), batch.slice(1500)]);
    const one = new arrow.Table([batch.slice(0, 1500)]);
    const twoBytes = arrow.tableToIPC(two, "stream");
    const oneBytes = arrow.tableToIPC(one, "stream");
    const boundary = oneBytes.length - 8; // everything up to the first batch's end, without the marker
    expect(Buffer.from(twoBytes.subarray(0, boundary)).equals(Buffer.from(oneBytes.subarray(0, boundary)))).toBe(true);
    expect(hashBatch(await readTable(file("two.arrows", twoBytes)))).toBe(hashBatch(gen));
    const cut = file("cut.arrows", twoBytes.subarray(0, boundary));
    expect(await failure(readTable(cut))).toMatchObject({ code: "BAD_FILE", message: expect.stringContaining("end-of-stream marker") });
  });

  it("a record batch claiming more rows than it holds is BAD_FILE before anything is sized by the claim", async () => {
    const original = readFileSync(arrowFile);
    const pattern = Buffer.alloc(8);
    pattern.writeBigInt64LE(3000n);
    const at = original.indexOf(pattern); // the record batch header's length field
    for (const claim of [3001n, 1n << 29n, 1n << 40n]) {
      const damaged = Buffer.from(original);
      damaged.writeBigInt64LE(claim, at);
      const error = await failure(readTable(file("claims.arrow", damaged)));
      expect(error.code).toBe("BAD_FILE");
      expect(error.message).toMatch(/claims [\d,]+ rows/);
    }
  });

  it("normalized columns of the wrong type are SCHEMA_MISMATCH, an unknown kind is a bad row", () => {
    const table = toArrow(gen);
    const columns: Record<string, import("apache-arrow").Vector> = {};
    for (const f of table.schema.fields) columns[f.name] = table.getChild(f.name)!;
    columns["priceTicks"] = arrow.vectorFromArray(Array.from(gen.priceTicks, String), new arrow.Utf8());
    const textPrice = new arrow.Table(columns);
    const withMeta = new arrow.Table(new arrow.Schema(textPrice.schema.fields, table.schema.metadata), textPrice.batches);
    expect(() => fromArrow(withMeta)).toThrow(expect.objectContaining({ code: "SCHEMA_MISMATCH", context: expect.objectContaining({ column: "priceTicks", found: "Utf8", expected: "Float64" }) }));
    const kinds = gen.kind.slice();
    kinds[17] = 99;
    const bad = toArrow({ ...gen, kind: kinds } as TickBatch);
    expect(() => fromArrow(bad)).toThrow(expect.objectContaining({ code: "BAD_VALUE", context: expect.objectContaining({ row: 17, column: "kind", value: "99" }) }));
    expect(fromArrow(bad, { onBadRows: "quarantine" }).length).toBe(2999);
  });

  it("mapped values: text and infinite numbers are bad rows, a NaN number where a size is needed is missing", () => {
    const n = 5;
    const table = arrow.tableFromArrays({
      ts: BigInt64Array.from({ length: n }, (_, i) => 1_700_000_000_000_000_000n + BigInt(i)),
      price: ["100.01", "abc", "100.02", "1e400", "100.03"],
      qty: Float64Array.from([1, 2, NaN, 3, Infinity]),
    });
    const options = { columns: { exchTs: "ts", price: "price", qty: "qty" }, instrument: instrument({ symbol: "X", venue: "V", tickSize: "0.01" }), file: "mapped" } as const;
    expect(() => fromArrow(table, options)).toThrow(expect.objectContaining({ code: "BAD_VALUE", context: expect.objectContaining({ row: 1, column: "price", value: "abc" }) }));
    const kept = fromArrow(table, { ...options, onBadRows: "quarantine" });
    expect([...kept.priceTicks]).toEqual([10001]);
    const issues = readReportOf(kept)!.issues.map((i) => [i.class, i.count]);
    expect(issues).toEqual([
      ["type-error", 3],
      ["missing-value", 1],
    ]);
  });
});
