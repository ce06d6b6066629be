/**
 * Binance raw captures: `exchangeTime` picks the event time E (default) or the transaction time T
 * as exchTs. Expected times are read from the JSON text in the test.
 */
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBinanceRaw, readBinanceRaw } from "../../src/venues/data-aliases.js";
import { SHARED_DATA } from "../helpers/paths.js";

const LINES = [
  '1723161255030314667 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":10,"u":12,"pu":9,"b":[["61800.20","2.507"]],"a":[["61800.30","3.330"]]}}',
  '1723161255031314667 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256305,"T":1723161256301,"s":"BTCUSDT","t":5,"p":"61800.30","q":"0.010","X":"MARKET","m":false}}',
  '1723161255032314667 {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":13,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"3.320","T":1723161256302,"E":1723161256306}}',
];

describe("Binance raw: exchangeTime", () => {
  it("stamps E by default and T with exchangeTime: transaction", () => {
    const text = LINES.join("\n") + "\n";
    const byEvent = parseBinanceRaw(text, "mem", { market: "futures" });
    const byTx = parseBinanceRaw(text, "mem", { market: "futures", exchangeTime: "transaction" });
    expect(Array.from(byEvent.exchTs)).toEqual([1723161256299000000n, 1723161256305000000n, 1723161256306000000n]);
    expect(Array.from(byTx.exchTs)).toEqual([1723161256298000000n, 1723161256301000000n, 1723161256302000000n]);
    expect(Array.from(byTx.localTs)).toEqual(Array.from(byEvent.localTs));
  });

  it("refuses an unknown choice", () => {
    expect(() => parseBinanceRaw(LINES[0]!, "mem", { exchangeTime: "exchange" as "event" })).toThrow(/exchangeTime must be "event" or "transaction"/);
  });

  it("on the bundled capture, every message's exchTs is its T (or E without one), read from the text independently", () => {
    const file = join(SHARED_DATA, "binance-btcusdt-raw-ws-20240808/usdm_futures_btcusdt_20240808.gz");
    const capture = readBinanceRaw(file, { exchangeTime: "transaction" });
    const lines = gunzipSync(readFileSync(file)).toString("utf8").split("\n");
    let checked = 0;
    let withT = 0;
    for (let m = 0; m < capture.messages; m += 7) {
      const raw = lines[capture.line[m]! - 1]!;
      const msg = JSON.parse(raw.slice(raw.indexOf(" ") + 1)) as { data?: Record<string, number> } & Record<string, number>;
      const data = msg.data ?? msg;
      const ms = data.T ?? data.E;
      if (data.T !== undefined) withT++;
      expect(capture.exchTs[m]).toBe(BigInt(ms!) * 1_000_000n);
      checked++;
    }
    expect(checked).toBeGreaterThan(13_000);
    expect(withT).toBe(checked);
  }, 60_000);
});
