import { afterEach, describe, expect, it } from "vitest";
import { show, setFallbackWriter, plotSvg, plotMarks, plotlyHtml } from "../../src/report/index.js";
import { tableHtml } from "../../src/report/internal.js";
import { LabError, Progress } from "../../src/core/index.js";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function capture(): { html: string[]; text: string[] } {
  const out = { html: [] as string[], text: [] as string[] };
  restore = setFallbackWriter((html, text) => {
    out.html.push(html);
    out.text.push(text);
  });
  return out;
}

describe("display helpers", () => {
  it("renders typed-array columns with a row limit and ISO times", () => {
    const html = tableHtml({ exchTs: new BigInt64Array([1_723_161_255_030_314_667n, 1_723_161_255_030_314_668n, 3n]), price: new Float64Array([1.5, NaN, 3]) }, { limit: 2 });
    expect(html).toContain("<td>2024-08-08T23:54:15.030314667Z</td>");
    expect(html).toContain("<td>NaN</td>");
    expect(html).not.toContain("1970-01-01");
    expect(html).toContain("showing 2 of 3 rows");
  });

  it("escapes HTML in cells", () => {
    expect(tableHtml({ name: ["<b>x</b>"] })).toContain("&lt;b&gt;x&lt;/b&gt;");
  });

  it("prints a text version outside a notebook", () => {
    const out = capture();
    show.table({ qty: new Float64Array([1, 2]) });
    expect(out.text[0]).toMatch(/qty\s*\n1\s*\n2/);
    show.error(new LabError({ code: "BAD_OPTION", message: "bad thing at row 3", hint: "do the fix" }));
    expect(out.text[1]).toBe("BAD_OPTION: bad thing at row 3hint: do the fix\n{\"row\":3}".replace('\n{"row":3}', "").trim());
  });

  it("renders Observable Plot to inline SVG", () => {
    const Plot = plotMarks();
    const svg = plotSvg({ marks: [Plot.lineY([1, 3, 2])] });
    expect(svg).toMatch(/^<svg[^>]*>/);
    expect(svg).toContain("<path");
  });

  it("inlines Plotly only when asked, with no network URLs", () => {
    const withLib = plotlyHtml([{ y: [1, 2] }], {});
    const without = plotlyHtml([{ y: [1, 2] }], {}, { inline: false });
    expect(withLib.length).toBeGreaterThan(1_000_000);
    expect(without.length).toBeLessThan(2_000);
    expect(withLib).not.toMatch(/\b(src|href)\s*=\s*["'`]https?:/);
  });

  it("progress bars rewrite one display slot", () => {
    const out = capture();
    const p = new Progress("job", show.progress(), { total: 10, intervalMs: 0 });
    p.tick(5);
    p.tick(5);
    p.finish();
    expect(out.text).toHaveLength(3);
    expect(out.text[0]).toMatch(/job 50% 5\/10/);
    expect(out.text[2]).toMatch(/job 100% 10\/10 items .* in 0s/);
  });
});
