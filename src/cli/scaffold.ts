/**
 * `strategy-lab new strategy <Name>`: writes a strategy file, its test and a notebook that
 * backtests it, side by side in one folder (tslab compiles local imports only from the notebook's
 * own folder, so the notebook imports the strategy as "./<file>").
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LabError } from "../core/index.js";

export interface ScaffoldResult {
  name: string;
  registryName: string;
  files: string[];
}

/** Bundled order-by-order sample (2 s of CME ES MBO, with snapshot, and its definitions) used by scaffolded notebooks. */
export function bundledSample(): { data: string; definitions: string } | undefined {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const data = join(root, "data", "databento", "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst");
  const definitions = join(root, "data", "databento", "esm4-orderbooks_definition.dbn.zst");
  return existsSync(data) && existsSync(definitions) ? { data, definitions } : undefined;
}

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

export function scaffoldStrategy(name: string, dir: string, options: { force?: boolean } = {}): ScaffoldResult {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    throw new LabError({ code: "BAD_NAME", message: `"${name}" is not a valid strategy name`, hint: "use letters and digits, starting with a letter, e.g. MyMomentum", context: { name } });
  }
  const parts = words(name);
  const pascal = parts.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  const camel = pascal[0]!.toLowerCase() + pascal.slice(1);
  const kebab = parts.map((w) => w.toLowerCase()).join("-");
  const folder = resolve(dir);
  const files = [join(folder, `${kebab}.ts`), join(folder, `${kebab}.test.ts`), join(folder, `${kebab}.ipynb`)];
  if (!options.force) {
    const existing = files.filter((f) => existsSync(f));
    if (existing.length > 0) throw new LabError({ code: "FILE_EXISTS", message: `${existing.map((f) => relative(process.cwd(), f)).join(", ")} already exist`, hint: "pick another name or pass --force to overwrite", context: { file: existing[0] } });
  }
  mkdirSync(folder, { recursive: true });
  writeFileSync(files[0]!, strategySource(pascal, camel));
  writeFileSync(files[1]!, testSource(pascal, kebab));
  const sample = bundledSample();
  writeFileSync(files[2]!, notebookSource(pascal, kebab, sample === undefined ? undefined : { data: relative(folder, sample.data), definitions: relative(folder, sample.definitions) }));
  return { name: pascal, registryName: camel, files };
}

function strategySource(pascal: string, camel: string): string {
  return `import * as lab from "strategy-lab";

/**
 * ${pascal}: describe the idea in one sentence.
 *
 * Logic: when the top-of-book imbalance I = (bid size − ask size)/(bid size + ask size) is at
 * least \`threshold\`, buy \`size\` lots at market; at most \`-threshold\`, sell; never beyond
 * ±\`maxPosition\`, and no more often than every \`cooldownMs\`.
 * Prices are integer ticks, sizes integer lots, times ns (ctx.elapsedNs()).
 */
export const ${pascal} = lab.defineStrategy({
  name: "${camel}",
  description: "${pascal} (edit me)",
  params: [
    { name: "threshold", type: "number", default: 0.3, min: 0, max: 1, step: 0.05, description: "signal level" },
    { name: "size", type: "integer", default: 1, min: 1, max: 1000, description: "lots per order" },
    { name: "maxPosition", type: "integer", default: 5, min: 1, max: 1000, step: 1, description: "max |position| in lots" },
    { name: "cooldownMs", type: "number", default: 10, min: 0, max: 10000, step: 5, description: "minimum time between orders" },
  ],
  create: (p) => {
    // p is typed by the schema above: p.threshold is a number, p.treshold would not compile
    const threshold = p.threshold;
    const size = p.size;
    const maxPosition = p.maxPosition;
    const cooldownNs = p.cooldownMs * 1e6;
    let lastOrderNs = -Infinity;
    return {
      onBook(ctx, book) {
        if (book.bestBid() !== book.bestBid() || book.bestAsk() !== book.bestAsk()) return;
        if (ctx.elapsedNs() - lastOrderNs < cooldownNs || ctx.openOrderCount(book.instrument) > 0) return;
        const imbalance = book.imbalance(1);
        const position = ctx.position(book.instrument);
        const side = imbalance >= threshold && position + size <= maxPosition ? 1 : imbalance <= -threshold && position - size >= -maxPosition ? -1 : 0;
        if (side === 0) return;
        // Order methods read (side, qtyLots, priceTicks?, options?); without a price this is a
        // market order. To join the touch instead:
        // ctx.place(side, size, side === 1 ? book.bestBid() : book.bestAsk(), { instrument: book.instrument, postOnly: true });
        ctx.place(side, size, undefined, { instrument: book.instrument });
        lastOrderNs = ctx.elapsedNs();
      },
    };
  },
});
`;
}

function testSource(pascal: string, kebab: string): string {
  return `import { describe, expect, it } from "vitest";
import * as lab from "strategy-lab";
import { ${pascal} } from "./${kebab}.js";

describe("${pascal}", () => {
  it("trades on generated data and never holds more than maxPosition", () => {
    const ticks = lab.data.generateTicks({ events: 50_000, seed: 1, mode: "l2" });
    const run = lab.backtest(ticks, ${pascal}({ threshold: 0.3, maxPosition: 3 }), { latencyNs: 50_000 });
    expect(run.summary.orders).toBeGreaterThan(0);
    for (const lots of run.equity.position ?? []) expect(Math.abs(lots)).toBeLessThanOrEqual(3);
  });
});
`;
}

function notebookSource(pascal: string, kebab: string, sample: { data: string; definitions: string } | undefined): string {
  const cell = (cell_type: "markdown" | "code", text: string) => {
    const source = text.split("\n").map((line, j, all) => (j < all.length - 1 ? line + "\n" : line));
    return cell_type === "code" ? { cell_type, execution_count: null, metadata: {}, outputs: [], source } : { cell_type, metadata: {}, source };
  };
  const posix = (p: string): string => p.split("\\").join("/");
  const load = sample
    ? `// Bundled sample: 2 s of CME ES futures, order by order (Databento MBO, with the snapshot);\n// the definitions file gives the tick size and multiplier.\nconst ticks = lab.venues.databento.read(${JSON.stringify(posix(sample.data))}, { definitions: ${JSON.stringify(posix(sample.definitions))} });\nticks.length`
    : `// No bundled sample found next to the package: use seeded synthetic data.\nconst ticks = lab.data.generateTicks({ events: 200_000, seed: 1, mode: "l2" });\nticks.length`;
  const nb = {
    cells: [
      cell("markdown", `# ${pascal}\n\nBacktest of the strategy in \`${kebab}.ts\` on bundled data. Edit the strategy file, then re-run the cells.`),
      cell("code", `import * as lab from "strategy-lab";\nimport { ${pascal} } from "./${kebab}";`),
      cell("code", load),
      cell("code", `const run = lab.backtest(ticks, ${pascal}({ threshold: 0.3 }), { latencyNs: 50_000, seed: 1 });\nrun.toString()`),
      cell("markdown", "Latency matters: the same strategy with ten times the order latency."),
      cell("code", `lab.backtest(ticks, ${pascal}({ threshold: 0.3 }), { latencyNs: 500_000, seed: 1 }).toString()`),
      cell("code", `lab.report.showBacktest(run);`),
      cell("markdown", "The tear sheet, and the research checklist: what is still missing before the result can be trusted (docs/research.md)."),
      cell("code", `run.report()`),
      cell("code", `run.checklist()`),
    ],
    metadata: {
      kernelspec: { name: "strategy-lab", display_name: "Strategy Lab (TypeScript)", language: "typescript" },
      language_info: { name: "typescript" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(nb, null, 1) + "\n";
}
