// Order methods of the strategy context take their arguments in one order: side first when it is
// an argument, then the quantity, then the price, then options. Quantity and price are both plain
// numbers, so a method that takes them the other way round type-checks with the arguments swapped
// and trades the wrong size; the rule is read from the declaration itself so a new method cannot
// break it unnoticed. Methods marked @deprecated (kept for one version) are exempt.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT, TEST_OUTPUT } from "../helpers/paths.js";

const TYPES = join(ROOT, "src", "engine", "strategy-types.ts");

const isQuantity = (name: string): boolean => /qty|lots|quantity|size/i.test(name);
const isPrice = (name: string): boolean => /price/i.test(name);

interface Signature {
  method: string;
  params: string[];
  deprecated: boolean;
}

/** The method signatures of `interface Context` in a source text. */
function contextMethods(source: string, fileName: string): Signature[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const context = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === "Context");
  if (context === undefined) throw new Error(`${fileName} declares no interface Context`);
  const out: Signature[] = [];
  for (const member of context.members) {
    if (!ts.isMethodSignature(member)) continue;
    out.push({
      method: member.name.getText(file),
      params: member.parameters.map((p) => p.name.getText(file)),
      deprecated: ts.getJSDocTags(member).some((tag) => tag.tagName.text === "deprecated"),
    });
  }
  return out;
}

/** One line per non-deprecated method that breaks the order (side?, quantity, price?, options?). */
function violations(source: string, fileName: string): string[] {
  const out: string[] = [];
  for (const { method, params, deprecated } of contextMethods(source, fileName)) {
    if (deprecated) continue;
    const side = params.indexOf("side");
    if (side > 0) out.push(`${method}(${params.join(", ")}): side is argument ${side + 1}, not the first`);
    const quantity = params.findIndex(isQuantity);
    const price = params.findIndex(isPrice);
    if (quantity >= 0 && price >= 0 && price < quantity) out.push(`${method}(${params.join(", ")}): price ${params[price]} comes before quantity ${params[quantity]}`);
  }
  return out;
}

const source = readFileSync(TYPES, "utf8");

describe("order methods of the strategy context", () => {
  it("take (side?, quantity, price?, options?) in every method that is not deprecated", () => {
    const methods = contextMethods(source, TYPES);
    // The check reads the real interface: the order methods are there with their parameters.
    const byName = new Map(methods.map((m) => [m.method, m]));
    expect(byName.get("place")).toEqual({ method: "place", params: ["side", "qtyLots", "priceTicks", "options"], deprecated: false });
    expect(byName.get("buy")?.params).toEqual(["qtyLots", "priceTicks", "options"]);
    expect(byName.get("market")?.params).toEqual(["side", "qtyLots", "options"]);
    expect(byName.get("limit")).toEqual({ method: "limit", params: ["side", "priceTicks", "qtyLots", "options"], deprecated: true });
    expect(violations(source, TYPES)).toEqual([]);
  });

  it("fails on a copy whose method takes price before quantity, or side later", () => {
    const swapped = source.replace("place(side: 1 | -1, qtyLots: number, priceTicks?: number,", "place(side: 1 | -1, priceTicks: number, qtyLots: number,");
    expect(swapped).not.toBe(source);
    // Written to disk and read back, as the real file is.
    mkdirSync(TEST_OUTPUT, { recursive: true });
    const copy = join(TEST_OUTPUT, "strategy-types.swapped.ts");
    writeFileSync(copy, swapped);
    expect(violations(readFileSync(copy, "utf8"), copy)).toEqual(["place(side, priceTicks, qtyLots, options): price priceTicks comes before quantity qtyLots"]);

    const sideLast = source.replace("market(side: 1 | -1, qtyLots: number,", "market(qtyLots: number, side: 1 | -1,");
    expect(sideLast).not.toBe(source);
    expect(violations(sideLast, "side-last.ts")).toEqual(["market(qtyLots, side, options): side is argument 2, not the first"]);
  });

  it("holds the deprecated alias to the rule once its @deprecated tag is gone", () => {
    const undeprecated = source.replace("@deprecated Use `place(", "Use `place(");
    expect(undeprecated).not.toBe(source);
    expect(violations(undeprecated, "undeprecated.ts")).toEqual(["limit(side, priceTicks, qtyLots, options): price priceTicks comes before quantity qtyLots"]);
  });
});
