/**
 * Typed parameter schemas. A strategy declares its parameters once; the optimizer reads the
 * schema to build search spaces, and `resolveParams` validates user input against it with
 * "did you mean" hints.
 */
import { LabError, closestName } from "../core/index.js";

export type ParamValue = number | boolean | string;

export interface NumberParam {
  name: string;
  type: "number" | "integer";
  default: number;
  min?: number;
  max?: number;
  /** Grid step for search. */
  step?: number;
  description?: string;
}

export interface BooleanParam {
  name: string;
  type: "boolean";
  default: boolean;
  description?: string;
}

export interface ChoiceParam {
  name: string;
  type: "choice";
  default: string | number;
  choices: readonly (string | number)[];
  description?: string;
}

export type ParamSpec = NumberParam | BooleanParam | ChoiceParam;
export type ParamSchema = readonly ParamSpec[];
export type Params = Record<string, ParamValue>;

/** The value type a parameter spec declares: number, boolean, or the union of its choices. */
export type ParamValueOf<S extends ParamSpec> = S extends { type: "number" | "integer" } ? number : S extends { type: "boolean" } ? boolean : S extends { choices: readonly (infer C)[] } ? C : ParamValue;

/**
 * The parameters a schema declares, by name, each with its own type: what `create(p)` of a
 * strategy defined with `defineStrategy` sees (`p.threshold: number`; a misspelt name does not
 * compile). A schema whose names are not literal types gives `Readonly<Params>`.
 */
export type ParamsOf<S extends ParamSchema> = { readonly [P in S[number] as P["name"]]: ParamValueOf<P> };

function badParam(name: string, message: string, hint: string): LabError {
  return new LabError({ code: "BAD_PARAM", message: `parameter "${name}": ${message}`, hint, context: { param: name } });
}

/** Defaults overlaid with `given`, every value checked against the schema. */
export function resolveParams(schema: ParamSchema, given: Readonly<Record<string, unknown>> = {}, where = "strategy"): Params {
  const names = schema.map((p) => p.name);
  for (const key of Object.keys(given)) {
    if (!names.includes(key)) {
      const guess = closestName(key, names);
      throw new LabError({ code: "UNKNOWN_PARAM", message: `unknown parameter "${key}" for ${where}`, hint: guess ? `did you mean "${guess}"? Parameters: ${names.join(", ")}` : `parameters: ${names.join(", ")}`, context: { param: key } });
    }
  }
  const out: Params = {};
  for (const spec of schema) {
    const value = spec.name in given ? given[spec.name] : spec.default;
    out[spec.name] = checkValue(spec, value);
  }
  return out;
}

function checkValue(spec: ParamSpec, value: unknown): ParamValue {
  switch (spec.type) {
    case "number":
    case "integer": {
      if (typeof value !== "number" || !Number.isFinite(value)) throw badParam(spec.name, `expected a finite number, got ${JSON.stringify(value)}`, `e.g. ${spec.name}: ${spec.default}`);
      if (spec.type === "integer" && !Number.isInteger(value)) throw badParam(spec.name, `expected an integer, got ${value}`, `e.g. ${spec.name}: ${Math.round(value)}`);
      if (spec.min !== undefined && value < spec.min) throw badParam(spec.name, `${value} is below the minimum ${spec.min}`, `use a value in [${spec.min}, ${spec.max ?? "∞"}]`);
      if (spec.max !== undefined && value > spec.max) throw badParam(spec.name, `${value} is above the maximum ${spec.max}`, `use a value in [${spec.min ?? "-∞"}, ${spec.max}]`);
      return value;
    }
    case "boolean":
      if (typeof value !== "boolean") throw badParam(spec.name, `expected true or false, got ${JSON.stringify(value)}`, `e.g. ${spec.name}: ${spec.default}`);
      return value;
    case "choice":
      if (!spec.choices.includes(value as string | number)) throw badParam(spec.name, `${JSON.stringify(value)} is not one of ${spec.choices.map((c) => JSON.stringify(c)).join(", ")}`, `pick one of the listed choices`);
      return value as string | number;
  }
}

/** The grid values of one parameter: min..max by step for numbers, both for booleans, all choices. */
export function gridValues(spec: ParamSpec): ParamValue[] {
  switch (spec.type) {
    case "boolean":
      return [false, true];
    case "choice":
      return [...spec.choices];
    default: {
      if (spec.min === undefined || spec.max === undefined || spec.step === undefined || spec.step <= 0) return [spec.default];
      const out: number[] = [];
      const n = Math.floor((spec.max - spec.min) / spec.step + 1e-9);
      // Multiply instead of accumulate so 0.1 steps do not drift (0.30000000000000004).
      for (let k = 0; k <= n; k++) out.push(Number((spec.min + k * spec.step).toPrecision(12)));
      return out;
    }
  }
}
