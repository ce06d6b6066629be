/**
 * LOBSTER's orderbook file is checked against its messages when both are read: a level a message
 * adds, cancels or executes at must be listed where the file shows that part of the book.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { readLobster, readReportOf, validate } from "../../src/venues/data-aliases.js";
import { ROOT } from "../helpers/paths.js";

const zip = unzipSync(readFileSync(join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip")));
const part = (p: string): string => Buffer.from(zip[Object.keys(zip).find((n) => n.includes(`_${p}_`))!]!).toString("utf8");

describe("LOBSTER orderbook vs messages", () => {
  it("the real sample's two files agree on every row", () => {
    const data = readLobster({ messages: join(ROOT, "data", "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip") });
    expect(readReportOf(data.batch)!.issues.filter((i) => i.class === "book-mismatch")).toEqual([]);
  });

  it("an orderbook row whose price disagrees with the message before it is reported with its row; validate shows it", () => {
    const messages = part("message").split("\n").slice(0, 3000);
    const book = part("orderbook").split("\n").slice(0, 3000);
    // The first Add on the bid side at the best bid: its orderbook row must list that price.
    const r = messages.findIndex((l, i) => {
      const f = l.split(",");
      return i > 10 && f[1] === "1" && f[5] === "1" && book[i]!.split(",")[2] === f[4];
    });
    expect(r).toBeGreaterThan(0);
    const f = book[r]!.split(",");
    f[2] = String(Number(f[2]) + 100); // best bid one cent higher than the message put it
    book[r] = f.join(",");
    const dir = mkdtempSync(join(tmpdir(), "slab-lobbook-"));
    const m = join(dir, "GOOG_2012-06-21_34200000_57600000_message_5.csv");
    const o = join(dir, "GOOG_2012-06-21_34200000_57600000_orderbook_5.csv");
    writeFileSync(m, messages.join("\n") + "\n");
    writeFileSync(o, book.join("\n") + "\n");
    const data = readLobster({ messages: m, orderbook: o });
    // Every message that reads the damaged row at that bid: the Add (row after it) and the cancels
    // and visible executions right after it (row before them).
    const price = messages[r]!.split(",")[4];
    let expected = 1;
    for (let j = r + 1; j < messages.length; j++) {
      const g = messages[j]!.split(",");
      if (!["2", "3", "4"].includes(g[1]!) || g[5] !== "1" || g[4] !== price) break;
      expected++;
      break; // only the message right after r reads row r as "before"
    }
    const issue = readReportOf(data.batch)!.issues.find((i) => i.class === "book-mismatch");
    expect(issue).toMatchObject({ count: expected, severity: "error", policy: "warn" });
    expect(issue!.samples.map((x) => x.row)).toEqual(expected === 1 ? [r] : [r, r + 1]);
    for (const x of issue!.samples) expect(x.value).toBe(`bid ${Number(price) / 100} not in orderbook row ${r + 1}`);
    const report = validate(data.batch);
    expect(report.issues.find((i) => i.class === "book-mismatch")?.count).toBe(expected);
    expect(report.ok).toBe(false);
    expect(report.rejected).toBe(false);
  });
});
