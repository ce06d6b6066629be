/**
 * The live path's fast reader against the binance-raw reader: on the bundled captures and on
 * lines bent every way a venue or a fault could bend them, it either gives exactly the reader's
 * columns (bit for bit) or declines, and a feed's pieces give the same rows either way.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { binance } from "../../src/venues/index.js";
import { FastBinanceLines, LiveRows, type ReceivedLine } from "../../src/live/index.js";
import { TICK_COLUMN_NAMES, type TickBatch } from "../../src/data/index.js";
import { ROOT } from "../helpers/paths.js";

const COLUMNS = ["kind", "line", "localTs", "exchTs", "firstId", "lastId", "prevId", "levelStart", "levelEnd", "levelSide", "levelPrice", "levelQty"] as const;

function captureLines(name: string): string[] {
  return gunzipSync(readFileSync(join(ROOT, "data", "binance", name))).toString("utf8").split("\n").filter((l) => l !== "");
}

/** A stamped frame: the whole line, its receive time read from it. */
function stamped(line: string): ReceivedLine {
  const space = line.indexOf(" ");
  return { bytes: Buffer.from(line, "utf8"), jsonStart: space + 1, ns: BigInt(line.slice(0, space)), whole: true };
}

function expectSameColumns(fast: binance.Capture, slow: binance.Capture): void {
  expect(fast.messages).toBe(slow.messages);
  for (const c of COLUMNS) {
    const a = fast[c] as ArrayLike<number | bigint>;
    const b = slow[c] as ArrayLike<number | bigint>;
    expect(a.length, c).toBe(b.length);
    let firstDiff = -1;
    for (let i = 0; i < a.length && firstDiff < 0; i++) if (!Object.is(a[i], b[i])) firstDiff = i;
    expect(firstDiff, `${c} differs at ${firstDiff}`).toBe(-1);
  }
  expect(fast.counts).toEqual(slow.counts);
  expect(slow.problems).toEqual([]);
}

describe("fast reader of live Binance messages", () => {
  for (const [file, market] of [["usdm_futures_btcusdt_20240808.gz", "futures"], ["spot_btcusdt_20240808.gz", "spot"]] as const) {
    for (const exchangeTime of ["event", "transaction"] as const) {
      it(`reads ${file} (${exchangeTime} time) exactly as the binance-raw reader`, () => {
        const lines = captureLines(file);
        const instrument = binance.btcUsdt(market);
        const fast = new FastBinanceLines(market, instrument, exchangeTime).read(lines.map(stamped), 0, file);
        const slow = binance.parse(lines.join("\n"), file, { market, instrument, exchangeTime });
        expect(fast).toBeDefined();
        expectSameColumns(fast!, slow);
        // Every message kind is in the capture.
        expect(Math.min(slow.counts.diffs, slow.counts.snapshots, slow.counts.bookTickers, slow.counts.trades)).toBeGreaterThan(0);
      });
    }
  }

  const NS = "1723161255088176367";
  const trade = `{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}`;
  const ticker = `{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}}`;
  const diff = `{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"],["61510.90","0.000"]],"a":[["61800.30","3.330"]]}}`;
  const snapshot = `{"lastUpdateId":5123107852948,"E":1723161256501,"T":1723161256493,"bids":[["61800.20","2.909"],["61800.10","0.696"]],"asks":[["61800.30","3.330"]]}`;
  // Lines the fast reader reads itself: each must equal the reader's result.
  const accepted: Record<string, string> = {
    trade,
    ticker,
    diff,
    snapshot,
    "trade, buyer is maker": trade.replace('"m":false', '"m":true'),
    "keys in another order": `{"data":{"m":false,"q":"0.006","p":"61800.30","t":5266583935,"s":"BTCUSDT","T":1723161256322,"E":1723161256322,"e":"trade"},"stream":"btcusdt@trade"}`,
    "no combined-stream wrapper": `{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","m":false}`,
    "unknown fields of every kind": trade.replace('"X":"MARKET"', '"X":"MARKET","n":null,"z":-1.5e-3,"y":true,"w":0,"v":"é✓"'),
    "a decimal ending in a dot": trade.replace('"p":"61800.30"', '"p":"61800."'),
    "integer decimals": ticker.replace('"B":"2.507"', '"B":"2"'),
    "empty depth sides": diff.replace(/"b":\[.*?\]\],/, '"b":[],'),
    "snapshot without event time": snapshot.replace('"E":1723161256501,"T":1723161256493,', ""),
    "bookTicker without event time": ticker.replace(',"T":1723161256313,"E":1723161256313', ""),
    "spot-style bookTicker (no e, told by the stream name)": `{"stream":"btcusdt@bookTicker","data":{"u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510"}}`,
    "a zero-size level": diff.replace('["58710.20","0.014"]', '["58710.20","0"]'),
    "the largest id below 2^53": trade.replace('"t":5266583935', '"t":9007199254740991'),
  };
  // Lines it declines (the reader then decides: a bad line, a non-data line, or a value it reads another way).
  const declined: Record<string, string> = {
    "whitespace": trade.replace('"e":"trade",', '"e": "trade",'),
    "an escape in a string": trade.replace('"s":"BTCUSDT"', '"s":"BTC\\u0055SDT"'),
    "an id with an exponent": trade.replace('"t":5266583935', '"t":5.266583935e9'),
    "an id of 2^53": trade.replace('"t":5266583935', '"t":9007199254740992'),
    "a negative id": trade.replace('"t":5266583935', '"t":-5'),
    "a price as a number": trade.replace('"p":"61800.30"', '"p":61800.3'),
    "a price off the grid": trade.replace('"p":"61800.30"', '"p":"61800.35"'),
    "a zero price": trade.replace('"p":"61800.30"', '"p":"0.00"'),
    "a zero trade size": trade.replace('"q":"0.006"', '"q":"0.000"'),
    "a signed price": trade.replace('"p":"61800.30"', '"p":"+61800.30"'),
    "a price with 16 digits": trade.replace('"p":"61800.30"', '"p":"61800.30000000000"'),
    "an empty price": trade.replace('"p":"61800.30"', '"p":""'),
    "m missing": trade.replace(',"m":false', ""),
    "m as a string": trade.replace('"m":false', '"m":"false"'),
    "a duplicate key": trade.replace('"t":5266583935', '"t":5266583935,"t":5266583936'),
    "a futures diff without pu": diff.replace('"pu":5123107831937,', ""),
    "a diff without asks": diff.replace(/,"a":\[.*\]\]/, ""),
    "a level of three values": diff.replace('["58710.20","0.014"]', '["58710.20","0.014","x"]'),
    "a null event time": trade.replace('"E":1723161256322', '"E":null'),
    "an event time past int64 ns": trade.replace('"E":1723161256322', '"E":9223372036855'),
    "another stream": `{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1723161256322,"a":1,"p":"61800.30","q":"0.006","f":1,"l":1,"T":1723161256322,"m":false}}`,
    "a subscription reply": `{"result":null,"id":1}`,
    "not JSON": `{"stream":"btcusdt@trade","data":{"e":"trade"`,
    "text after the object": `${trade} `,
    "an array": `[${trade}]`,
    "an empty line": "",
  };

  for (const [name, json] of Object.entries(accepted)) {
    it(`reads ${name} as the reader does`, () => {
      const line = `${NS} ${json}`;
      const fast = new FastBinanceLines("futures", binance.btcUsdt("futures")).read([stamped(line)], 41, "t");
      expect(fast, name).toBeDefined();
      const slow = binance.parse(line, "t", { market: "futures", instrument: binance.btcUsdt("futures") });
      for (let m = 0; m < slow.messages; m++) slow.line[m] = slow.line[m]! + 41;
      expectSameColumns(fast!, slow);
    });
  }

  it("declines every line it cannot read exactly as the reader, and a piece holding one", () => {
    const reader = new FastBinanceLines("futures", binance.btcUsdt("futures"));
    for (const [name, json] of Object.entries(declined)) {
      expect(reader.read([stamped(`${NS} ${json}`)], 0, "t"), name).toBeUndefined();
      expect(reader.read([stamped(`${NS} ${trade}`), stamped(`${NS} ${json}`), stamped(`${NS} ${ticker}`)], 0, "t"), name).toBeUndefined();
    }
    // A frame without a receive time the fast reader can read: the reader decides.
    expect(reader.read([{ bytes: Buffer.from(trade), jsonStart: 0, ns: null, whole: true }], 0, "t")).toBeUndefined();
  });

  it("gives a feed's pieces the rows of the text path, also around bad lines", () => {
    const lines = captureLines("usdm_futures_btcusdt_20240808.gz").slice(0, 6_000);
    // Bad and non-data lines in the stream: each piece holding one takes the text path.
    lines.splice(2_500, 0, `${NS} {"result":null,"id":7}`);
    lines.splice(4_000, 0, `${NS} ${trade.replace('"p":"61800.30"', '"p":"61800.35"')}`);
    const options = { market: "futures" as const, instrument: binance.btcUsdt("futures"), description: "t" };
    const fast = new LiveRows(options);
    const text = new LiveRows(options);
    const a: TickBatch[] = [];
    const b: TickBatch[] = [];
    let malformed = 0;
    let nonData = 0;
    for (let at = 0, size = 1; at < lines.length; at += size, size = (size * 7) % 997 || 1) {
      const piece = lines.slice(at, at + size);
      const pf = fast.pieceOf(piece.map(stamped));
      const pt = text.piece(piece);
      if (pf.rows) a.push(pf.rows);
      if (pt.rows) b.push(pt.rows);
      expect(pf.malformed).toEqual(pt.malformed);
      expect(pf.gaps).toEqual(pt.gaps);
      expect(pf.lags).toEqual(pt.lags);
      malformed += pf.malformed.length;
      nonData += pf.nonData;
      expect(pf.nonData).toBe(pt.nonData);
    }
    expect(malformed).toBe(1);
    expect(nonData).toBe(1);
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) {
      for (const c of TICK_COLUMN_NAMES) expect(Array.from(a[i]![c] as ArrayLike<number | bigint>), c).toEqual(Array.from(b[i]![c] as ArrayLike<number | bigint>));
    }
    // Concatenated, the pieces' rows are the rows of the capture's reader and sync on the whole text.
    const whole = binance.syncedBatch(binance.parse(lines.join("\n"), "t", { market: "futures", instrument: binance.btcUsdt("futures") }));
    expect(a.reduce((n, x) => n + x.length, 0)).toBe(whole.length);
    for (const c of TICK_COLUMN_NAMES) {
      const joined = a.flatMap((x) => Array.from(x[c] as ArrayLike<number | bigint>));
      expect(joined, c).toEqual(Array.from(whole[c] as ArrayLike<number | bigint>));
    }
    expect(fast.sync.resyncs).toBe(text.sync.resyncs);
    expect(fast.sync.lastAppliedId).toBe(text.sync.lastAppliedId);
  });
});
