import { describe, expect, it } from "vitest";
import { isLabError } from "../../src/core/index.js";
import { backtest } from "../../src/engine/index.js";
import { defineStrategy, strategies } from "../../src/strategy/index.js";
import { Feed, testSpec } from "../engine/scenarios/helpers.js";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isLabError(error)) return `${error.code}: ${error.message} (${error.hint})`;
    throw error;
  }
  return "no error";
}

describe("strategy registry", () => {
  it("finds templates by name and alias, case-insensitively", () => {
    expect(strategies.get("imbalance")).toBe(strategies.imbalance);
    expect(strategies.get("OrderBookImbalance")).toBe(strategies.imbalance);
    expect(strategies.get("MARKETMAKER")).toBe(strategies.marketMaker);
    expect(strategies.get("bidAskBounce")).toBe(strategies.bidAskBounce);
    expect(strategies.names()).toEqual(expect.arrayContaining(["bidAskBounce", "imbalance", "marketMaker"]));
  });

  it("suggests the closest name for a typo", () => {
    expect(codeOf(() => strategies.get("imbalanse"))).toMatch(/^UNKNOWN_STRATEGY: no strategy named "imbalanse" \(did you mean "imbalance"\?/);
  });

  it("validates parameters against the schema, with did-you-mean", () => {
    expect(codeOf(() => strategies.imbalance({ treshold: 0.3 }))).toMatch(/^UNKNOWN_PARAM: unknown parameter "treshold" for strategy "imbalance" \(did you mean "threshold"\?/);
    expect(codeOf(() => strategies.imbalance({ threshold: 2 }))).toBe('BAD_PARAM: parameter "threshold": 2 is above the maximum 1 (use a value in [0, 1])');
    const s = strategies.imbalance({ threshold: 0.4 });
    expect(s.params.threshold).toBe(0.4);
    expect(s.params.levels).toBe(1);
    expect(s.with({ levels: 3 }).params).toMatchObject({ threshold: 0.4, levels: 3 });
    expect(strategies.imbalance.schema.map((p) => p.name)).toContain("threshold");
  });

  it("defineStrategy registers a new strategy; each run gets fresh state", () => {
    const Counter = defineStrategy({
      name: "countBooks",
      params: [{ name: "limit", type: "integer", default: 1, min: 1 }],
      create: (p) => {
        let n = 0;
        return {
          onBook(ctx) {
            if (++n === p.limit) ctx.buy(1);
          },
        };
      },
    });
    expect(strategies.get("countBooks")).toBe(Counter);
    const feed = new Feed().add(0, 1, 1, 100, 5).add(0, 2, -1, 101, 5).add(10, 3, 1, 99, 1).build(testSpec());
    const configured = Counter({ limit: 2 });
    // onBook fires at rows 1, 2, 3: the order goes out at the 2nd in both runs.
    expect(backtest(feed, configured).orders.id.length).toBe(1);
    expect(backtest(feed, configured).orders.id.length).toBe(1);
  });

  it("a class instance works as a strategy (methods keep their this)", () => {
    class CountAndBuy {
      books = 0;
      onBook(ctx: import("../../src/engine/index.js").Context): void {
        this.books++;
        if (this.books === 3) ctx.buy(1);
      }
    }
    const feed = new Feed().add(0, 1, 1, 100, 5).add(0, 2, -1, 101, 5).add(10, 3, 1, 99, 1).add(20, 4, 1, 98, 1).build(testSpec());
    const instance = new CountAndBuy();
    const run = backtest(feed, instance);
    expect(instance.books).toBe(4);
    expect(run.summary.strategy).toBe("CountAndBuy");
    expect(run.summary.finalPosition).toEqual([1]);
  });
});
