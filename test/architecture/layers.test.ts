import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/paths.js";

// The layer rules of docs/architecture.md, checked by dependency-cruiser with the project's
// .dependency-cruiser.cjs: on the sources (no violation), and on a small tree with one violation
// of each kind (each is found and names the offending import).

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

function cruise(cwd: string): Violation[] {
  const cli = join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
  const run = spawnSync(process.execPath, [cli, "src", "--config", join(ROOT, ".dependency-cruiser.cjs"), "--output-type", "json"], { cwd, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
  if (!run.stdout) throw new Error(`dependency-cruiser failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe("layer rules", () => {
  it("the sources import only down the layer order, through each layer's index (or internal.ts), without cycles", () => {
    const violations = cruise(ROOT);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(" -> ")})` : ""}`)).toEqual([]);
  }, 120_000);

  it("a tree with an upward import, a deep import and a cycle fails on each, naming the import", () => {
    const dir = mkdtempSync(join(tmpdir(), "layers-"));
    try {
      const files: Record<string, string> = {
        "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true } }),
        "src/core/index.ts": "export const core = 1;\n",
        "src/engine/index.ts": 'export { loop } from "./loop.js";\n',
        "src/engine/loop.ts": "export const loop = 2;\n",
        // data may import core only: engine is above it
        "src/data/index.ts": 'import { loop } from "../engine/index.js";\nexport * from "./a.js";\nexport const data = loop;\n',
        // a cycle inside data
        "src/data/a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
        "src/data/b.ts": 'import { a } from "./a.js";\nexport const b = () => a;\n',
        // book may import data, but through its index only
        "src/book/index.ts": 'import { a } from "../data/a.js";\nexport const book = a;\n',
      };
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const found = cruise(dir).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
      expect(found).toContain("layer-data: src/data/index.ts -> src/engine/index.ts");
      expect(found).toContain("through-index: src/book/index.ts -> src/data/a.ts");
      expect(found.some((f) => f.startsWith("no-circular: src/data/a.ts -> src/data/b.ts") || f.startsWith("no-circular: src/data/b.ts -> src/data/a.ts"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("data and book import no venue: an import of src/venues from either fails, naming the import", () => {
    const dir = mkdtempSync(join(tmpdir(), "layers-"));
    try {
      const files: Record<string, string> = {
        "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true } }),
        "src/core/index.ts": "export const core = 1;\n",
        "src/venues/index.ts": 'export * as tardis from "./tardis/index.js";\n',
        "src/venues/tardis/index.ts": 'import { core } from "../../core/index.js";\nexport const read = () => core;\n',
        // the data layer reaching up for a venue's reader
        "src/data/index.ts": 'import { core } from "../core/index.js";\nexport const data = core;\nexport { read } from "./reader.js";\n',
        "src/data/reader.ts": 'import { tardis } from "../venues/index.js";\nexport const read = () => tardis.read;\n',
        // engine may import venues
        "src/engine/index.ts": 'import { tardis } from "../venues/index.js";\nexport const engine = tardis;\n',
      };
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const found = cruise(dir).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
      expect(found).toContain("no-venue-below: src/data/reader.ts -> src/venues/index.ts");
      expect(found).toContain("layer-data: src/data/reader.ts -> src/venues/index.ts");
      expect(found.filter((f) => f.includes("src/engine/") || f.includes("src/venues/tardis/index.ts ->"))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
