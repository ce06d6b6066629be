/**
 * No look-ahead: replace every event after a cut time T with random ones (or drop them) and prove
 * that every decision the strategy made up to T, every report it received up to T, every fill the
 * exchange made up to T and every equity sample up to T is unchanged.
 */
import { describe, expect, it } from "vitest";
import { rng } from "../../src/core/index.js";
import { EventKind, TICK_COLUMN_NAMES, generateTicks, sliceBatch, tickBatch, type TickBatch, type TickColumns } from "../../src/data/index.js";
import { backtest, latency, type Context, type StrategyHandlers, type StrategyLike } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";

interface Logged {
  /** "t|what|args" for every order call and every callback the strategy got. */
  lines: string[];
}

/** Wraps a strategy so every context call it makes, every callback it gets and the book it sees are logged with the local time. */
function logging(inner: StrategyLike, log: Logged): StrategyLike {
  return {
    name: inner.name,
    params: inner.params,
    create(): StrategyHandlers {
      const h = inner.create();
      let wrapped: Context | undefined;
      const wrap = (ctx: Context): Context => {
        if (wrapped) return wrapped;
        const rec = (what: string, args: unknown[], result: unknown): void => {
          log.lines.push(`${ctx.now()}|${what}|${JSON.stringify(args)}|${JSON.stringify(result)}`);
        };
        wrapped = new Proxy(ctx, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver) as unknown;
            if (typeof value === "function" && ["buy", "sell", "limit", "market", "cancel", "cancelAll", "modify", "setTimer"].includes(String(prop))) {
              return (...args: unknown[]) => {
                const r = (value as (...a: unknown[]) => unknown)(...args);
                rec(String(prop), args, r);
                return r;
              };
            }
            return value;
          },
        });
        return wrapped;
      };
      const out: StrategyHandlers = {};
      if (h.onStart) out.onStart = (ctx) => h.onStart!.call(h, wrap(ctx));
      // What the strategy observes is logged too: a leak shows up as a different observation.
      out.onBook = (ctx, book) => {
        log.lines.push(`${ctx.now()}|book|${book.bestBid()}|${book.bestAsk()}|${book.bestBidQty()}|${book.bestAskQty()}`);
        h.onBook?.call(h, wrap(ctx), book);
      };
      out.onTrade = (ctx, trade) => {
        log.lines.push(`${ctx.now()}|trade|${trade.priceTicks}|${trade.qtyLots}|${trade.side}`);
        h.onTrade?.call(h, wrap(ctx), trade);
      };
      if (h.onTimer) out.onTimer = (ctx, tag) => h.onTimer!.call(h, wrap(ctx), tag);
      out.onOrderUpdate = (ctx, u) => {
        log.lines.push(`${ctx.now()}|update|${u.id}|${u.event}|${u.status}|${u.filledLots}|${u.priceTicks}`);
        h.onOrderUpdate?.call(h, wrap(ctx), u);
      };
      out.onFill = (ctx, f) => {
        log.lines.push(`${ctx.now()}|fill|${f.orderId}|${f.priceTicks}|${f.qtyLots}|${f.fee}`);
        h.onFill?.call(h, wrap(ctx), f);
      };
      return out;
    },
  };
}

/** Same columns; rows stamped after `cut` (exchange time) get random content. */
function randomizeAfter(batch: TickBatch, cut: bigint, seed: number): TickBatch {
  const r = rng(seed);
  const cols = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) cols[name] = batch[name].slice();
  const c = cols as unknown as TickColumns;
  let changed = 0;
  for (let i = 0; i < batch.length; i++) {
    if (batch.exchTs[i]! <= cut) continue;
    changed++;
    const kind = c.kind[i]!;
    if (kind === EventKind.LevelSet || kind === EventKind.Trade || kind === EventKind.Add) {
      c.priceTicks[i] = c.priceTicks[i]! + r.int(7) - 3;
      c.qtyLots[i] = 1 + r.int(40);
    } else if (kind === EventKind.Execute || kind === EventKind.Reduce) {
      c.qtyLots[i] = 1 + r.int(3);
    }
  }
  expect(changed).toBeGreaterThan(1000);
  return tickBatch(c, batch.instruments, "randomized");
}

const upTo = (lines: string[], cut: bigint): string[] => lines.filter((l) => BigInt(l.slice(0, l.indexOf("|"))) <= cut);

function fillsUpTo(run: ReturnType<typeof backtest>, cut: bigint): string[] {
  const out: string[] = [];
  for (let j = 0; j < run.fills.ts.length; j++) {
    if (run.fills.ts[j]! > cut) continue;
    out.push([run.fills.ts[j], run.fills.side[j], run.fills.price[j], run.fills.qty[j], run.fills.fee[j], run.fills.liquidity[j], run.fills.orderId![j]].join(","));
  }
  return out;
}

function equityUpTo(run: ReturnType<typeof backtest>, cut: bigint): string[] {
  const out: string[] = [];
  for (let j = 0; j < run.equity.ts.length; j++) if (run.equity.ts[j]! <= cut) out.push(`${run.equity.ts[j]},${run.equity.equity[j]},${run.mid.mid[j]}`);
  return out;
}

describe.each(["l2", "l3"] as const)("no look-ahead on %s data", (mode) => {
  const ticks = generateTicks({ events: 40_000, seed: 11, mode });
  const cut = ticks.exchTs[Math.floor(ticks.length / 2)]!;
  const cases: [string, StrategyLike][] = [
    ["marketMaker", strategies.marketMaker({ requoteMs: 5, maxPosition: 5 })],
    ["imbalance (maker)", strategies.imbalance({ threshold: 0.2, mode: "maker", cooldownMs: 2 })],
    ["imbalance (taker)", strategies.imbalance({ threshold: 0.4, cooldownMs: 20 })],
    ["bidAskBounce", strategies.bidAskBounce({ entryTimeoutMs: 50 })],
  ];
  it.each(cases)("%s: decisions, reports, fills and equity up to T do not depend on events after T", (_name, strategy) => {
    const options = { latencyNs: latency.lognormal({ entryMedianNs: 40_000, sigma: 0.5 }), seed: 5, equityIntervalNs: 10_000_000, queue: mode === "l2" ? ("prob" as const) : ("l3Fifo" as const) };
    const full: Logged = { lines: [] };
    const runFull = backtest(ticks, logging(strategy, full), options);
    const randomized: Logged = { lines: [] };
    const runRandom = backtest(randomizeAfter(ticks, cut, 99), logging(strategy, randomized), options);
    const truncated: Logged = { lines: [] };
    const cutRow = ticks.exchTs.findIndex((t) => t > cut);
    const runCut = backtest(sliceBatch(ticks, 0, cutRow), logging(strategy, truncated), options);

    // The runs did trade before T, and the randomized future did change what happened after it.
    expect(upTo(full.lines, cut).filter((l) => l.includes("|fill|")).length).toBeGreaterThan(0);
    expect(randomized.lines).not.toEqual(full.lines);

    expect(upTo(randomized.lines, cut)).toEqual(upTo(full.lines, cut));
    expect(upTo(truncated.lines, cut)).toEqual(upTo(full.lines, cut));
    expect(fillsUpTo(runRandom, cut)).toEqual(fillsUpTo(runFull, cut));
    expect(fillsUpTo(runCut, cut)).toEqual(fillsUpTo(runFull, cut));
    expect(equityUpTo(runRandom, cut)).toEqual(equityUpTo(runFull, cut));
  });
});
