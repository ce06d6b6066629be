/**
 * Paper sessions handing rows over on receipt (handover: "receipt", src/live/receipt.ts): the
 * strategy sees every row as soon as its message has arrived, and the session equals lab.backtest
 * over the same rows with the receipt rule applied (exchange times raised to 1 ns past the latest
 * receive time the engine has read before the row's receive instant).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventFlag, EventKind, TICK_COLUMN_NAMES, tickBatch, type TickBatch, type TickColumns } from "../../src/data/index.js";
import { readFile } from "../../src/venues/data-aliases.js";
import { backtest, latency, type BacktestResult } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { binanceFeed, paper, startReplayServer } from "../../src/live/index.js";
import { ROOT } from "../helpers/paths.js";

const CAPTURE = join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz");

/** The receipt rule on a whole batch, in plain bigint arithmetic; also how many rows it raised. */
function receiptRule(batch: TickBatch): { rows: TickBatch; raised: number } {
  const cols = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) cols[name] = (batch[name] as unknown as { slice(): unknown }).slice();
  const c = cols as unknown as TickColumns;
  let latest: bigint | undefined;
  let floor: bigint | undefined;
  let raised = 0;
  for (let i = 0; i < batch.length; i++) {
    const received = c.localTs[i]!;
    if (i === 0 || received !== c.localTs[i - 1]) floor = latest === undefined ? undefined : latest + 1n;
    if (floor !== undefined && c.exchTs[i]! < floor) {
      c.exchTs[i] = floor;
      raised++;
    }
    const read = received < c.exchTs[i]! && (c.flags[i]! & EventFlag.ExchangeOnly) === 0 ? c.exchTs[i]! : received;
    if (latest === undefined || read > latest) latest = read;
  }
  return { rows: tickBatch(c, batch.instruments, batch.source), raised };
}

function same(result: BacktestResult, expected: BacktestResult): void {
  expect(Array.from(result.fills.ts)).toEqual(Array.from(expected.fills.ts));
  expect(Array.from(result.fills.price)).toEqual(Array.from(expected.fills.price));
  expect(Array.from(result.fills.qty)).toEqual(Array.from(expected.fills.qty));
  expect(Array.from(result.fills.side)).toEqual(Array.from(expected.fills.side));
  expect(Array.from(result.fills.fee)).toEqual(Array.from(expected.fills.fee));
  expect(Array.from(result.orders.sentTs)).toEqual(Array.from(expected.orders.sentTs));
  expect(Array.from(result.orders.priceTicks)).toEqual(Array.from(expected.orders.priceTicks));
  expect(Array.from(result.orders.status)).toEqual(Array.from(expected.orders.status));
  expect(Array.from(result.equity.equity)).toEqual(Array.from(expected.equity.equity));
  expect(result.summary.finalPosition).toEqual(expected.summary.finalPosition);
  expect(result.summary.pnl).toBe(expected.summary.pnl);
}

describe("paper trading, rows handed over on receipt", () => {
  it("on the stamped capture: lab.backtest over the rows with the receipt rule applied, fill for fill", async () => {
    const options = { latencyNs: latency.constant({ entryNs: 200_000, responseNs: 100_000 }), seed: 3, queue: "prob" as const };
    const strategy = strategies.marketMaker({ requoteMs: 50 });
    const batch = await readFile(CAPTURE);
    const { rows, raised } = receiptRule(batch);
    const expected = backtest(rows, strategy, options);
    expect(expected.fills.price.length).toBeGreaterThan(10);
    const server = await startReplayServer(CAPTURE, { speed: "max", stamp: true });
    try {
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped" });
      const session = paper(feed, strategy, { ...options, handover: "receipt" });
      const result = await session.result;
      const status = session.status();
      expect(status.handover).toBe("receipt");
      expect(status.rowsDelivered).toBe(batch.length);
      // The capture's receive times are 1.27 s behind its exchange times, so the engine reads
      // receive times as exchange times: the rule raises only the rows of a message whose
      // exchange time is not past everything before it (streams crossing, or the same ms).
      expect(status.raisedRows).toBe(raised);
      expect(raised).toBeGreaterThan(1000);
      same(result, expected);
      // Against the backtest on the unchanged rows (the lookahead handover's result), on this
      // capture and these options: the same fills, orders, position and PnL, the fills' times
      // moved by at most 223 ns (rows raised 1 ns past the message before them).
      const lookahead = backtest(batch, strategy, options);
      expect(Array.from(result.fills.price)).toEqual(Array.from(lookahead.fills.price));
      expect(Array.from(result.fills.qty)).toEqual(Array.from(lookahead.fills.qty));
      expect(Array.from(result.fills.side)).toEqual(Array.from(lookahead.fills.side));
      expect(Array.from(result.fills.fee)).toEqual(Array.from(lookahead.fills.fee));
      expect(result.orders.id.length).toBe(lookahead.orders.id.length);
      expect(result.summary.finalPosition).toEqual(lookahead.summary.finalPosition);
      expect(result.summary.pnl).toBe(lookahead.summary.pnl);
      let moved = 0;
      let most = 0n;
      for (let i = 0; i < result.fills.ts.length; i++) {
        const d = result.fills.ts[i]! - lookahead.fills.ts[i]!;
        if (d !== 0n) moved++;
        if ((d < 0n ? -d : d) > most) most = d < 0n ? -d : d;
      }
      expect(moved).toBe(150);
      expect(most).toBe(223n);
    } finally {
      await server.close();
    }
  }, 120_000);

  it("a receipt session and a lookahead session on one feed: each keeps its own times (the feed's rows are not rewritten)", async () => {
    const options = { latencyNs: latency.constant({ entryNs: 200_000, responseNs: 100_000 }), seed: 5, queue: "prob" as const };
    const strategy = strategies.marketMaker({ requoteMs: 20 });
    const batch = await readFile(CAPTURE);
    const expectedReceipt = backtest(receiptRule(batch).rows, strategy, options);
    const expectedLookahead = backtest(batch, strategy, options);
    const server = await startReplayServer(CAPTURE, { speed: "max", stamp: true });
    try {
      const feed = binanceFeed({ url: server.url, receiveTime: "stamped" });
      const [onReceipt, lookingAhead] = await Promise.all([paper(feed, strategy, { ...options, handover: "receipt" }).result, paper(feed, strategy, options).result]);
      expect(onReceipt.fills.price.length).toBeGreaterThan(10);
      same(onReceipt, expectedReceipt);
      same(lookingAhead, expectedLookahead);
    } finally {
      await server.close();
    }
  }, 180_000);

  it("on a paced replay with local receive times, the strategy has seen every trade of a message before the next message arrives", async () => {
    const seenAtArrival = async (handover: "receipt" | "lookahead"): Promise<{ lags: number[]; trades: number; calls: number }> => {
      const server = await startReplayServer(CAPTURE, { speed: 5, maxLines: 2_000 });
      try {
        const feed = binanceFeed({ url: server.url, snapshotUrl: server.snapshotUrl });
        let received = 0;
        let calls = 0;
        let snapshots = 0;
        const lags: number[] = [];
        feed.onRows((piece) => {
          // Trades received in earlier pieces that the strategy has not seen yet. A piece with the
          // REST snapshot comes from the request's promise, which can run between the engine's
          // steps on the previous piece: its arrival is not a socket message's.
          let snapshot = false;
          for (let i = 0; i < piece.length; i++) if ((piece.flags[i]! & EventFlag.Snapshot) !== 0) snapshot = true;
          if (!snapshot) lags.push(received - calls);
          else snapshots++;
          for (let i = 0; i < piece.length; i++) if (piece.kind[i] === EventKind.Trade) received++;
        });
        const session = paper(feed, { onTrade: () => void calls++ }, { latencyNs: 200_000, handover });
        await new Promise<void>((resolve) => (feed.ended ? resolve() : feed.onEnd(resolve)));
        await session.result;
        expect(snapshots).toBe(1);
        return { lags, trades: received, calls };
      } finally {
        await server.close();
      }
    };
    const receipt = await seenAtArrival("receipt");
    expect(receipt.trades).toBeGreaterThan(200);
    expect(receipt.calls).toBe(receipt.trades);
    expect(receipt.lags.length).toBeGreaterThan(100);
    expect(Math.max(...receipt.lags)).toBe(0);
    // Looking ahead, a message's trades wait for the next message.
    const lookahead = await seenAtArrival("lookahead");
    expect(lookahead.calls).toBe(lookahead.trades);
    expect(lookahead.lags.filter((x) => x > 0).length).toBeGreaterThan(20);
  }, 60_000);
});
