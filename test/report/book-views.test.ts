/**
 * Book views: the ladder's row order, sizes and running totals on a hand-made book (values written
 * out below), decimals through the instrument, crossed books flagged, charts rendered as SVG, the
 * book-at-time view against a direct replay, and the verification table's verdict.
 */
import { describe, expect, it } from "vitest";
import { BookTimeline, L2Book, featureSeries } from "../../src/book/index.js";
import { instrument } from "../../src/core/index.js";
import { generateTicks } from "../../src/data/index.js";
import { bookAtTimeHtml, bookVerifyHtml, depthChartHtml, depthLadderHtml, imbalanceChartHtml, micropriceChartHtml } from "../../src/report/index.js";

function handBook(): L2Book {
  const book = new L2Book();
  book.setLevel(1, 10000, 5);
  book.setLevel(1, 9999, 7);
  book.setLevel(-1, 10002, 3);
  book.setLevel(-1, 10004, 4);
  return book;
}

const cells = (html: string) => [...html.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!.replace(/<span[^>]*><\/span>/g, "").trim());

describe("book views", () => {
  it("the ladder lists asks high to low above bids high to low, with running totals", () => {
    const html = depthLadderHtml(handBook(), { instrument: instrument({ symbol: "X", venue: "T", tickSize: "0.01" }) });
    // rows: ask 100.04 (4, total 7), ask 100.02 (3, total 3), bid 100.00 (5, total 5), bid 99.99 (7, total 12)
    expect(cells(html)).toEqual(["", "", "100.04", "4", "7", "", "", "100.02", "3", "3", "5", "5", "100.00", "", "", "12", "7", "99.99", "", ""]);
    expect(html).toMatch(/spread 0\.02/);
    expect(html).not.toMatch(/CROSSED/);
  });

  it("flags a crossed book and limits the levels shown", () => {
    const book = handBook();
    book.setLevel(1, 10003, 1);
    const html = depthLadderHtml(book, { levels: 1 });
    expect(html).toMatch(/CROSSED/);
    expect(cells(html).filter((c) => /^\d{4,5}$/.test(c))).toEqual(["10002", "10003"]);
    expect(depthLadderHtml(new L2Book())).toMatch(/empty book/);
  });

  it("charts render as inline SVG", () => {
    expect(depthChartHtml(handBook())).toMatch(/^<(svg|figure)/);
    const series = featureSeries(generateTicks({ events: 5_000, seed: 1, mode: "l2" }), { levels: 3 });
    expect(micropriceChartHtml(series)).toMatch(/<svg/);
    expect(imbalanceChartHtml(series)).toMatch(/imbalance \(3 levels\)/);
  });

  it("the book at time t shows the state after every row at or before t", () => {
    const batch = generateTicks({ events: 20_000, seed: 4, mode: "l2" });
    const timeline = new BookTimeline(batch, { every: 1000 });
    const t = batch.exchTs[12_345]!;
    let rows = 0;
    while (rows < batch.length && batch.exchTs[rows]! <= t) rows++;
    const direct = new L2Book();
    for (let i = 0; i < rows; i++) direct.apply(batch, i);
    const html = bookAtTimeHtml(timeline, t, { levels: 3 });
    expect(html).toContain(`rows applied</th><td>${rows.toLocaleString("en-US")}`);
    expect(html).toContain(`${direct.bestBid()} × ${direct.bestBidQty()}`);
    expect(html).toContain(`${direct.bestAsk()} × ${direct.bestAskQty()}`);
  });

  it("the verification table gives the verdict", () => {
    expect(bookVerifyHtml({ rows: 10, compared: 80, mismatches: 0, firstMismatch: null, notComparable: 2 })).toMatch(/class="ok">0 mismatches over 10 rows/);
    expect(bookVerifyHtml({ rows: 10, compared: 80, mismatches: 1, firstMismatch: { row: 3 }, notComparable: 2 })).toMatch(/class="err">1 mismatches; first: \{&quot;row&quot;:3\}/);
  });
});
