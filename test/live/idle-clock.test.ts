/**
 * A paper session on a live feed handing rows over on receipt keeps its clock on the wall clock
 * while no message arrives (option idleTickMs): a timer due during a silent stretch fires then,
 * not when the next message comes.
 */
import { WebSocketServer, type WebSocket } from "ws";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { binanceFeed, paper, wallNs } from "../../src/live/index.js";

/** A venue on 127.0.0.1: three trades now, then silence for `silenceMs`, then one more trade and the end. */
async function silentVenue(silenceMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  const trade = (id: number): string => {
    const ms = Number(wallNs() / 1_000_000n);
    return JSON.stringify({ stream: "btcusdt@trade", data: { e: "trade", E: ms, T: ms, s: "BTCUSDT", t: id, p: "61800.30", q: "0.006", X: "MARKET", m: false } });
  };
  wss.on("connection", (ws: WebSocket) => {
    void (async () => {
      for (let id = 1; id <= 3; id++) {
        ws.send(trade(id));
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, silenceMs));
      ws.send(trade(4));
      await new Promise((r) => setTimeout(r, 20));
      ws.close(4000, "end of capture");
    })();
  });
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/stream`, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

describe("the session's clock while the market is silent", () => {
  for (const idleTickMs of [1, 0]) {
    it(`idleTickMs ${idleTickMs}: a timer due 100 ms after the first trade fires ${idleTickMs > 0 ? "during the 400 ms silence" : "only when the next message arrives"}`, async () => {
      const venue = await silentVenue(400);
      try {
        const feed = binanceFeed({ url: venue.url });
        let due = 0n;
        let firedAt: bigint | undefined;
        let tradesWhenFired = -1;
        let messagesWhenFired = -1;
        let trades = 0;
        const strategy = {
          onTrade: (ctx: { now(): bigint; setTimerAt(atNs: bigint, tag: string): number }) => {
            trades++;
            if (trades === 1) {
              due = ctx.now() + 100_000_000n;
              ctx.setTimerAt(due, "due");
            }
          },
          onTimer: (ctx: { now(): bigint }) => {
            firedAt = ctx.now();
            tradesWhenFired = trades;
            messagesWhenFired = feed.stats().messages;
          },
        };
        const session = paper(feed, strategy as never, { handover: "receipt", idleTickMs });
        await new Promise<void>((resolve) => (feed.ended ? resolve() : feed.onEnd(resolve)));
        await session.result;
        expect(trades).toBe(4);
        // On the session's clock the timer fires when it is due either way; what differs is whether it waited for the 4th trade.
        expect(firedAt).toBe(due);
        expect(tradesWhenFired).toBe(3);
        // Messages the feed had received when it fired: the 4th comes 300 ms after the timer is due.
        expect(messagesWhenFired).toBe(idleTickMs > 0 ? 3 : 4);
        expect(session.status().handover).toBe("receipt");
      } finally {
        await venue.close();
      }
    }, 30_000);
  }
});
