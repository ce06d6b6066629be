/**
 * `lab.live`: the live layer's names, with `paper` recording each session's result in the
 * configured run store (`lab.store.use`, STRATEGY_LAB_STORE) like a backtest: manifest (strategy,
 * options, the feed's URL), metrics, result hash, fills, orders and equity, research checklist.
 */
import { paper as runPaper, type BinanceFeed, type PaperOptions, type PaperSession } from "../live/index.js";
import type { StrategyHandlers, StrategyLike } from "../engine/index.js";
import { recordWhenDone } from "./facade.js";

export * from "../live/index.js";

/** `lab.live.paper` (src/live/paper.ts), recorded as a run when recording is on. */
export function paper(feed: BinanceFeed, strategy: StrategyLike | StrategyHandlers, options: PaperOptions = {}): PaperSession {
  const session = runPaper(feed, strategy, options);
  // The handover in effect (its default depends on the feed) is part of what the run was.
  const recorded: PaperOptions = { ...options, handover: session.status().handover };
  const result = recordWhenDone(session.result, { options: recorded, live: feed.url });
  if (result === session.result) return session;
  // A failed session is reported through `result` and `status()`, never as an unhandled rejection.
  result.catch(() => undefined);
  return { ...session, result };
}
