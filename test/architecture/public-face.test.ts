// The package's public face (`import * as lab from "strategy-lab"`) holds what a researcher calls;
// the machinery other layers share (worker pools, HTML helpers, option checking) stays in each
// layer's internal.ts and must not leak into `lab` or any of its namespaces.
import { describe, expect, it } from "vitest";
import * as lab from "../../src/index.js";

const INTERNAL = ["TrialPool", "acquirePool", "releasePool", "workerScriptUrl", "escapeHtml", "BASE_CSS", "panel", "checkOptionKeys", "compiledModuleUrlFrom", "duckConnection", "sqlString", "streamColumns", "readAhead"];

/** Every exported name, as a path from `lab` (namespaces two levels deep). */
function publicNames(): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    for (const key of Object.keys(value)) {
      out.push(`${path}.${key}`);
      if (depth < 2) walk((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    }
  };
  walk(lab, "lab", 0);
  return out;
}

describe("the public face", () => {
  it("exports none of the layers' internals", () => {
    const names = publicNames();
    expect(names.length).toBeGreaterThan(200);
    expect(names).toContain("lab.backtest");
    expect(names).toContain("lab.venues.lobster");
    expect(names.filter((n) => INTERNAL.includes(n.slice(n.lastIndexOf(".") + 1)))).toEqual([]);
  });
});
