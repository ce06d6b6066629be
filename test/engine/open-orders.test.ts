import { describe, expect, it } from "vitest";
import { generateTicks } from "../../src/data/index.js";
import { backtest, type Context, type OrderUpdate } from "../../src/engine/index.js";

// Open orders read by index (ctx.openOrderAt) and order states filled into a reused object
// (ctx.order(id, o)) give exactly what the allocating calls give, on every event of a run that
// keeps several orders open, cancels some and sees fills.
describe("open orders without allocating", () => {
  it("openOrderAt enumerates openOrderIds; order(id, reuse) fills the same object with the same state", () => {
    const data = generateTicks({ events: 30_000, seed: 17, mode: "l2" });
    let checks = 0;
    let maxOpen = 0;
    let reused: OrderUpdate | undefined;
    const strategy = {
      name: "quoter",
      params: {},
      create: () => {
        let n = 0;
        return {
          onBook(ctx: Context, book: { bestBid(): number; bestAsk(): number }) {
            const bid = book.bestBid();
            const ask = book.bestAsk();
            if (!(ask > bid)) return;
            const ids = ctx.openOrderIds();
            const count = ctx.openOrderCount();
            expect(count).toBe(ids.length);
            maxOpen = Math.max(maxOpen, count);
            for (let j = 0; j < count; j++) {
              const id = ctx.openOrderAt(j);
              expect(id).toBe(ids[j]);
              expect(ctx.openOrderAt(j, 0)).toBe(id);
              const fresh = ctx.order(id)!;
              const before = reused;
              reused = ctx.order(id, reused)!;
              if (before !== undefined) expect(reused).toBe(before);
              expect({ ...reused }).toEqual({ ...fresh });
              checks++;
              // cancel every other order while iterating: the list does not change under the loop
              if (fresh.cancellable && (id & 1) === 0) ctx.cancel(id);
              expect(ctx.openOrderAt(j)).toBe(id);
            }
            expect(ctx.openOrderAt(count)).toBe(-1);
            if (n++ % 7 === 0 && count < 6) ctx.limit(n % 2 === 0 ? 1 : -1, n % 2 === 0 ? bid - (n % 3) : ask + (n % 3), 1);
          },
        };
      },
    };
    const run = backtest(data, strategy, { latencyNs: 200_000, seed: 4 });
    expect(maxOpen).toBeGreaterThan(2);
    expect(checks).toBeGreaterThan(1_000);
    expect(run.fills.ts.length).toBeGreaterThan(0);
    expect(run.orders.reason.some((r, i) => run.orders.status[i] === 5 && r === 15)).toBe(true);
  });
});
