import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { checkMboFile, inspectDbn } from "../../src/cli/commands/dbn.js";
import { ROOT } from "../helpers/paths.js";

const DIR = join(ROOT, "data", "databento");

describe("strategy-lab dbn inspect / book check-mbo", () => {
  it("inspect reports metadata and the counts stated in SOURCE.md", () => {
    const r = inspectDbn(join(DIR, "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst"));
    expect([r.version, r.dataset, r.schema, r.records]).toEqual([1, "GLBX.MDP3", "mbo", 13_796]);
    expect(r.byAction).toEqual({ R: 1, A: 13_678, C: 80, M: 27, T: 5, F: 5 });
    expect((r.byFlag as Record<string, number>).Snapshot).toBe(13_601);
    expect(r.corruption).toBeNull();
    const d = inspectDbn(join(DIR, "esu4-futures_definition.dbn.zst"));
    expect((d.definitions as { rawSymbol: string; tickSize: string }[]).map((x) => `${x.rawSymbol} ${x.tickSize}`)).toEqual(["ESU4 0.25", "NQU4 0.25"]);
  });

  it("check-mbo on ESH4 gives the final top 4810.00 x22 / 4810.25 x28 and names the missing tick size", () => {
    const r = checkMboFile(join(DIR, "esh4-glbx-mdp3-20231225.mbo.dbn.zst"), { tickSize: "0.25" });
    expect([r.bestBidPrice, r.bestBidQty, r.bestAskPrice, r.bestAskQty]).toEqual(["4810", 22, "4810.25", 28]);
    expect(r.ok).toBe(true);
    expect(r.crossedPoints).toBe(891);
    expect(() => checkMboFile(join(DIR, "esh4-glbx-mdp3-20231225.mbo.dbn.zst"))).toThrow(/no tick size for instrument 17077 \(ESH4\)/);
    expect(() => checkMboFile(join(DIR, "esu4-futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"))).toThrow(/has no MBO records/);
  });
});
