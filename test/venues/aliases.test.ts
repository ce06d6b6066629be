import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as lab from "../../src/index.js";
import { ROOT } from "../helpers/paths.js";

// Every venue name lab.data and lab.book exported before the venues had their own folders, with
// its home under lab.venues: the old name must be the very same function (or object) as the new.
const DATA: Record<string, string> = {
  readTardisCsv: "tardis.read",
  tardisDataType: "tardis.dataType",
  readHftbacktest: "hftbacktest.read",
  parseHftbacktest: "hftbacktest.parse",
  writeHftbacktest: "hftbacktest.write",
  splitByExchangeOrder: "hftbacktest.splitByExchangeOrder",
  hftbacktestRecords: "hftbacktest.records",
  parseNpy: "hftbacktest.parseNpy",
  npyImage: "hftbacktest.npyImage",
  HFT_EVENT: "hftbacktest.EVENT",
  HFT_FLAG: "hftbacktest.FLAG",
  DbnFlag: "databento.Flag",
  DbnRType: "databento.RType",
  DBN_RTYPE_NAMES: "databento.RTYPE_NAMES",
  DBN_SCHEMAS: "databento.SCHEMAS",
  DBN_STYPES: "databento.STYPES",
  DBN_PRICE_SCALE: "databento.PRICE_SCALE",
  DBN_UNDEF_PRICE: "databento.UNDEF_PRICE",
  DBN_UNDEF_SIZE: "databento.UNDEF_SIZE",
  DBN_UNDEF_TIMESTAMP: "databento.UNDEF_TIMESTAMP",
  DbnStreamDecoder: "databento.StreamDecoder",
  decodeDbn: "databento.decode",
  readDbnFile: "databento.decodeFile",
  partialDbn: "databento.partial",
  isZstd: "databento.isZstd",
  fixedToDecimal: "databento.fixedToDecimal",
  describeDbn: "databento.describe",
  readDbn: "databento.read",
  readDbnBytes: "databento.readBytes",
  dbnToTickBatch: "databento.toTickBatch",
  DBN_FLAG_TO_EVENT_FLAG: "databento.FLAG_TO_EVENT_FLAG",
  readLobster: "lobster.read",
  timeZoneOffsetMinutes: "lobster.timeZoneOffsetMinutes",
  readBinanceRaw: "binance.read",
  parseBinanceRaw: "binance.parse",
  binanceToTickBatch: "binance.toTickBatch",
  binanceBtcUsdt: "binance.btcUsdt",
  BinanceMessage: "binance.Message",
  readBinanceDepthCsv: "binance.readDepthCsv",
};
const BOOK: Record<string, string> = {
  DatabentoMboBook: "databento.MboBook",
  checkMboBook: "databento.verify",
  lobsterL2Batch: "lobster.l2Batch",
  lobsterStartBook: "lobster.startBook",
  lobsterL3Batch: "lobster.l3Batch",
  verifyLobster: "lobster.verify",
  syncBinanceDepth: "binance.sync",
  binanceSyncedBatch: "binance.syncedBatch",
  BinanceDepthSync: "binance.DepthSync",
};

function home(path: string): unknown {
  const [venue, name] = path.split(".") as [string, string];
  return (lab.venues as unknown as Record<string, Record<string, unknown>>)[venue]![name];
}

describe("the venue names lab.data and lab.book had", () => {
  for (const [layer, names] of [["data", DATA], ["book", BOOK]] as const) {
    const ns = lab[layer] as unknown as Record<string, unknown>;
    for (const [old, now] of Object.entries(names)) {
      it(`lab.${layer}.${old} is lab.venues.${now}`, () => {
        expect(home(now)).toBeDefined();
        expect(ns[old]).toBe(home(now));
      });
    }
  }

  it("each alias is documented as deprecated, naming its new home", () => {
    for (const [file, names] of [["data-aliases.ts", DATA], ["book-aliases.ts", BOOK]] as const) {
      const text = readFileSync(join(ROOT, "src", "venues", file), "utf8");
      const documented = new Map([...text.matchAll(/\/\*\* @deprecated use lab\.venues\.(\w+\.\w+) \*\/\nexport const (\w+) = (\w+\.\w+);/g)].map((m) => [m[2]!, [m[1]!, m[3]!]]));
      for (const [old, now] of Object.entries(names)) expect(documented.get(old), `${file}: ${old}`).toEqual([now, now]);
      expect([...documented.keys()].sort()).toEqual(Object.keys(names).sort());
    }
  });

  it("no venue name is left in the venue-free layers' own faces", async () => {
    const data = (await import("../../src/data/index.js")) as Record<string, unknown>;
    const book = (await import("../../src/book/index.js")) as Record<string, unknown>;
    expect(Object.keys(DATA).filter((n) => n in data)).toEqual([]);
    expect(Object.keys(BOOK).filter((n) => n in book)).toEqual([]);
  });
});
