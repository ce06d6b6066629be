/**
 * The engine says when the book it simulates against is not a venue's book: a crossed top of book
 * (best bid > best ask) after an event group is counted per instrument and turned into a warning.
 */
import { describe, expect, it } from "vitest";
import { backtest } from "../../src/engine/index.js";
import { Feed, scripted, testSpec } from "./scenarios/helpers.js";

describe("book health diagnostics", () => {
  it("count the event groups after which the book is crossed, with the first row, and warn", () => {
    // Rows: 0-1 snapshot (100 / 101), 2 a bid at 102 without the ask moving: crossed (row 2);
    // 3 the ask goes to 103: no longer crossed; 4 a locked book (103 / 103) is not crossed.
    const feed = new Feed()
      .levels(0, [[100, 5]], [[101, 5]])
      .level(10, 1, 102, 1)
      .levels(20, [], [[101, 0], [103, 5]])
      .level(30, 1, 103, 1);
    const { strategy } = scripted([]);
    const run = backtest(feed.build(testSpec()), strategy);
    expect(run.diagnostics.books).toEqual([{ instrument: 0, groups: 4, crossedGroups: 1, firstCrossedRow: 2, unknownIdEvents: 0 }]);
    expect(run.diagnostics.warnings).toHaveLength(1);
    expect(run.diagnostics.warnings[0]).toMatch(/^TEST: the book crossed \(best bid > best ask\) after 1 of 4 event groups \(25%, first at row 2\)/);
    expect(String(run)).toContain("WARNING TEST: the book crossed");
  });

  it("a consistent book gives no warning", () => {
    const feed = new Feed().levels(0, [[100, 5]], [[101, 5]]).level(10, 1, 100, 7).level(20, -1, 101, 2);
    const run = backtest(feed.build(testSpec()), scripted([]).strategy);
    expect(run.diagnostics.books[0]!.crossedGroups).toBe(0);
    expect(run.diagnostics.warnings).toEqual([]);
    expect(String(run)).not.toContain("WARNING");
  });

  it("order-by-order data also reports events on orders the book never held", () => {
    const feed = new Feed().add(0, 1, 1, 100, 5).add(0, 2, -1, 101, 5).del(10, 99, 1, 100, 5).add(20, 3, 1, 102, 1);
    const run = backtest(feed.build(testSpec()), scripted([]).strategy);
    const health = run.diagnostics.books[0]!;
    expect(health.unknownIdEvents).toBe(1);
    expect(health.crossedGroups).toBe(1);
    expect(run.diagnostics.warnings[0]).toMatch(/1 event named an order the book never held/);
  });
});
