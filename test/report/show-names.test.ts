import { describe, expect, it } from "vitest";
import * as lab from "../../src/index.js";

// Every display lives under lab.show; the older lab.report.show* names are the same functions
// (aliases kept for one version).
describe("lab.show is the one place of the displays", () => {
  it("each older lab.report.show* name is the lab.show function of the same display", () => {
    const pairs: [keyof typeof lab.show, string][] = [
      ["backtest", "showBacktest"], ["fills", "showFills"], ["inventory", "showInventory"], ["pnl", "showPnl"],
      ["depthLadder", "showDepthLadder"], ["depthChart", "showDepthChart"], ["microprice", "showMicroprice"], ["imbalance", "showImbalance"], ["bookAt", "showBookAt"], ["bookVerify", "showBookVerify"],
      ["l3Level", "showL3Level"], ["l3Ladder", "showL3Ladder"], ["qualityReport", "showQualityReport"], ["ticks", "showTicks"],
      ["optimization", "showOptimization"], ["metrics", "showMetrics"], ["sharpeInference", "showSharpeInference"], ["trades", "showTrades"], ["pbo", "showPbo"], ["tearSheet", "showTearSheet"],
    ];
    for (const [name, old] of pairs) {
      expect(typeof lab.show[name], name).toBe("function");
      if (name !== "backtest") expect((lab.report as unknown as Record<string, unknown>)[old], old).toBe(lab.show[name]);
    }
    // every lab.report.show* display has its lab.show name
    const olds = Object.keys(lab.report).filter((k) => /^show[A-Z]/.test(k));
    expect(olds.sort()).toEqual(pairs.map(([, o]) => o).sort());
  });
});
