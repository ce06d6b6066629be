import { afterEach, describe, expect, it } from "vitest";
import { showTearSheet, tearSheet, setFallbackWriter } from "../../src/report/index.js";
import { rng } from "../../src/core/index.js";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

describe("showTearSheet", () => {
  it("displays the sheet with its verdict (text fallback outside a notebook)", () => {
    const random = rng(5);
    const n = 300;
    const ts = BigInt64Array.from({ length: n }, (_, i) => 1_700_000_000_000_000_000n + BigInt(i) * 60_000_000_000n);
    let e = 1e6;
    const equity = Float64Array.from({ length: n }, () => (e *= 1 + random.normal(0.0001, 0.001)));
    const out: { html: string; text: string }[] = [];
    restore = setFallbackWriter((html, text) => out.push({ html, text }));
    const sheet = tearSheet({ equity: { ts, equity }, trials: { count: 50, sharpeVariance: 0.001 } });
    showTearSheet(sheet);
    expect(out).toHaveLength(1);
    // the verdict's first sentence is shown in both the HTML and its text version
    expect(out[0]!.text).toContain(sheet.verdict.headline);
    expect(out[0]!.html).toContain("given 50 trials");
    // built from the input as well
    showTearSheet({ equity: { ts, equity } });
    expect(out[1]!.text).toMatch(/Probabilistic Sharpe \d\.\d\d/);
  });
});
