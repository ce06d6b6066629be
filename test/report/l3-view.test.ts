import { describe, expect, it } from "vitest";
import { L3Book } from "../../src/book/index.js";
import { instrument } from "../../src/core/index.js";
import { l3LadderHtml, l3LevelHtml } from "../../src/report/index.js";

describe("L3 views", () => {
  const book = new L3Book();
  book.add(1, 1, 400, 5);
  book.add(2, 1, 400, 3);
  book.add(3, 1, 399, 2);
  book.add(4, -1, 401, 7);
  const es = instrument({ symbol: "ES", venue: "GLBX", tickSize: "0.25" });

  it("lists the queue at a level with position and size ahead, marking the highlighted order", () => {
    const html = l3LevelHtml(book, 1, 400, { instrument: es, highlight: 2 });
    expect(html).toContain("Bid 100.00: 2 orders, 8 lots");
    const rows = html.split("<tr>").slice(2);
    expect(rows[0]).toMatch(/<td>0<\/td><td[^>]*>1<\/td><td>5<\/td><td>0<\/td>/);
    expect(rows[1]).toMatch(/<td>1<\/td><td[^>]*>▶ 2<\/td><td>3<\/td><td>5<\/td>/);
  });

  it("ladder: asks above bids, best levels adjacent, queue sizes front first", () => {
    const html = l3LadderHtml(book, 5, { instrument: es, highlight: 2 });
    const order = ["100.25", "100.00", "99.75"].map((p) => html.indexOf(`>${p}<`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(html).toContain("5 [3]");
    expect(html).toContain("L3 book: 4 orders, 2 bid / 1 ask levels");
  });
});
