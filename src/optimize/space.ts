/**
 * Search spaces. A space is a `ParamSchema` whose searched entries carry a domain (numbers: min,
 * max and optionally a step; booleans; choices) plus fixed values for everything else. Users write
 * it the short way — `{ threshold: lab.range(0.1, 0.5, 0.05), side: ["buy", "sell"], size: 1 }` —
 * or pass a schema; against a strategy's schema every name is checked ("did you mean") and types
 * and bounds come from the strategy.
 */
import { LabError, closestName } from "../core/index.js";
import { gridValues, resolveParams, type ParamSchema, type ParamSpec, type ParamValue, type Params } from "../strategy/index.js";

/** A numeric range: `min..max` by `step` (grid, mutation snapping) or continuous without a step. */
export interface RangeSpec {
  readonly min: number;
  readonly max: number;
  readonly step?: number;
  /** Integer values only. @default inferred: true when min, max and step are all integers */
  readonly integer?: boolean;
}

export type SpaceEntry = RangeSpec | readonly ParamValue[] | ParamValue;
/** A schema, or a record of name -> range / list of values / fixed value. */
export type SpaceSpec = ParamSchema | Readonly<Record<string, SpaceEntry>>;

/** `range(0.1, 0.5, 0.05)`: a numeric search range (inclusive) with an optional step. */
export function range(min: number, max: number, step?: number): RangeSpec {
  return step === undefined ? { min, max } : { min, max, step };
}

/** A resolved space: the searched dimensions (in a fixed order) and the fixed parameters. */
export interface SearchSpace {
  /** Searched parameters, each with a domain. */
  readonly dims: readonly ParamSpec[];
  /** Parameters that are not searched, with their values. */
  readonly fixed: Params;
  /** Names of the searched parameters. */
  readonly names: readonly string[];
}

function badSpace(message: string, hint: string, param?: string): LabError {
  return new LabError({ code: "BAD_SPACE", message, hint, context: param === undefined ? {} : { param } });
}

function isRange(entry: unknown): entry is RangeSpec {
  return typeof entry === "object" && entry !== null && !Array.isArray(entry) && "min" in entry && "max" in entry;
}

/** True when a schema entry has something to search (a numeric range, a boolean, two or more choices). */
export function isSearchable(spec: ParamSpec): boolean {
  if (spec.type === "boolean") return true;
  if (spec.type === "choice") return spec.choices.length > 1;
  return spec.min !== undefined && spec.max !== undefined && spec.max > spec.min;
}

function checkRange(name: string, r: RangeSpec, base: ParamSpec | undefined): ParamSpec {
  const { min, max, step } = r;
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw badSpace(`range of "${name}" must have finite min ≤ max, got ${min}..${max}`, `e.g. ${name}: lab.range(0.1, 0.5, 0.05)`, name);
  if (step !== undefined && !(Number.isFinite(step) && step > 0)) throw badSpace(`step of "${name}" must be positive, got ${step}`, `e.g. ${name}: lab.range(${min}, ${max}, ${(max - min) / 10 || 1})`, name);
  let type: "number" | "integer";
  if (base !== undefined) {
    if (base.type !== "number" && base.type !== "integer") throw badSpace(`"${name}" is a ${base.type} parameter, a numeric range does not fit it`, base.type === "choice" ? `list the choices, e.g. ${name}: ${JSON.stringify(base.choices)}` : `e.g. ${name}: [false, true]`, name);
    type = base.type;
    if (base.min !== undefined && min < base.min) throw badSpace(`range of "${name}" starts at ${min}, below the strategy's minimum ${base.min}`, `use a range within [${base.min}, ${base.max ?? "∞"}]`, name);
    if (base.max !== undefined && max > base.max) throw badSpace(`range of "${name}" ends at ${max}, above the strategy's maximum ${base.max}`, `use a range within [${base.min ?? "-∞"}, ${base.max}]`, name);
  } else {
    type = r.integer ?? (Number.isInteger(min) && Number.isInteger(max) && (step === undefined ? false : Number.isInteger(step))) ? "integer" : "number";
  }
  if (r.integer === true) type = "integer";
  if (type === "integer" && (!Number.isInteger(min) || !Number.isInteger(max) || (step !== undefined && !Number.isInteger(step)))) {
    throw badSpace(`"${name}" is an integer parameter, its range must have integer min, max and step; got ${min}..${max}${step === undefined ? "" : ` by ${step}`}`, `e.g. ${name}: lab.range(${Math.ceil(min)}, ${Math.floor(max)}, ${Math.max(1, Math.round(step ?? 1))})`, name);
  }
  const spec: ParamSpec = { name, type, default: base !== undefined && (base.type === "number" || base.type === "integer") && base.default >= min && base.default <= max ? base.default : min, min, max };
  if (step !== undefined) spec.step = step;
  const description = base?.description;
  if (description !== undefined) spec.description = description;
  return spec;
}

function listEntry(name: string, values: readonly ParamValue[], base: ParamSpec | undefined): ParamSpec {
  if (values.length === 0) throw badSpace(`"${name}" lists no values`, `e.g. ${name}: [1, 2, 3]`, name);
  const allBool = values.every((v) => typeof v === "boolean");
  if (allBool) {
    if (base !== undefined && base.type !== "boolean") throw badSpace(`"${name}" is a ${base.type} parameter, true/false values do not fit it`, `list values of type ${base.type}`, name);
    const unique = [...new Set(values)] as boolean[];
    if (unique.length === 2) return { name, type: "boolean", default: base?.type === "boolean" ? base.default : false };
    return { name, type: "choice", default: unique[0]! ? 1 : 0, choices: unique.map((b) => (b ? 1 : 0)) };
  }
  if (values.some((v) => typeof v === "boolean")) throw badSpace(`"${name}" mixes true/false with other values`, "list values of one type", name);
  const choices = [...new Set(values as readonly (string | number)[])];
  if (base !== undefined) {
    for (const v of choices) resolveParams([base], { [name]: v }, `the search space`);
  }
  return { name, type: "choice", default: choices[0]!, choices };
}

/**
 * Resolves a space against an optional base schema (a strategy's). Without a base, every key of
 * the record is a parameter. With a base, unknown keys fail with "did you mean", and parameters
 * the space does not mention are fixed at their defaults.
 */
export function resolveSpace(spec: SpaceSpec | undefined, base?: ParamSchema): SearchSpace {
  const dims: ParamSpec[] = [];
  const fixed: Params = {};
  if (spec === undefined) {
    if (base === undefined) throw badSpace("no search space given", "pass space: { threshold: lab.range(0.1, 0.5, 0.05) }");
    for (const p of base) {
      if (isSearchable(p) && (p.type !== "number" && p.type !== "integer" ? true : p.step !== undefined)) dims.push(p);
      else fixed[p.name] = p.default;
    }
  } else if (Array.isArray(spec)) {
    for (const p of spec as ParamSchema) {
      if (isSearchable(p)) dims.push(p);
      else fixed[p.name] = p.default;
    }
    if (base !== undefined) {
      const known = base.map((p) => p.name);
      for (const p of dims) if (!known.includes(p.name)) throw unknownParam(p.name, known);
      for (const p of base) if (!dims.some((d) => d.name === p.name) && !(p.name in fixed)) fixed[p.name] = p.default;
    }
  } else {
    const record = spec as Readonly<Record<string, SpaceEntry>>;
    const known = base?.map((p) => p.name);
    for (const [name, entry] of Object.entries(record)) {
      const baseSpec = base?.find((p) => p.name === name);
      if (known !== undefined && baseSpec === undefined) throw unknownParam(name, known);
      if (isRange(entry)) dims.push(checkRange(name, entry, baseSpec));
      else if (Array.isArray(entry)) {
        const values = entry as readonly ParamValue[];
        if (values.length === 1) fixed[name] = values[0]!;
        else dims.push(listEntry(name, values, baseSpec));
      } else if (typeof entry === "number" || typeof entry === "string" || typeof entry === "boolean") fixed[name] = entry;
      else throw badSpace(`"${name}" has an unusable search entry ${JSON.stringify(entry)}`, `use lab.range(min, max, step), a list of values, or a fixed value`, name);
    }
    if (base !== undefined) for (const p of base) if (!(p.name in record)) fixed[p.name] = p.default;
  }
  if (base !== undefined) {
    // Fixed values must be valid for the strategy too.
    const check: Record<string, unknown> = { ...fixed };
    resolveParams(base.filter((p) => p.name in check), check, "the search space");
  }
  if (dims.length === 0) throw badSpace("the search space has nothing to search", "give at least one parameter a range or a list of two or more values");
  return { dims, fixed, names: dims.map((d) => d.name) };
}

function unknownParam(name: string, known: readonly string[]): LabError {
  const guess = closestName(name, known);
  return new LabError({ code: "UNKNOWN_PARAM", message: `the search space names "${name}", which the strategy does not have`, hint: guess ? `did you mean "${guess}"? Parameters: ${known.join(", ")}` : `parameters: ${known.join(", ")}`, context: { param: name } });
}

/** Grid values of one searched dimension; a number range needs a step. */
export function dimGrid(spec: ParamSpec): ParamValue[] {
  if ((spec.type === "number" || spec.type === "integer") && spec.step === undefined) {
    if (spec.type === "integer" && spec.min !== undefined && spec.max !== undefined && spec.max - spec.min <= 10_000) return gridValues({ ...spec, step: 1 });
    throw badSpace(`"${spec.name}" has no step, so it has no grid`, `give it a step, e.g. lab.range(${spec.min}, ${spec.max}, ${((spec.max ?? 1) - (spec.min ?? 0)) / 10}), or use method "random" / "genetic"`, spec.name);
  }
  return gridValues(spec);
}

/** The full parameter set of a point: fixed values plus the searched ones. */
export function withFixed(space: SearchSpace, searched: Params): Params {
  return { ...space.fixed, ...searched };
}

/** A stable text key of a point (searched values in dimension order), for de-duplication and seeds. */
export function paramsKey(space: SearchSpace, params: Params): string {
  return JSON.stringify(space.names.map((n) => params[n] ?? null));
}

/** Snaps a number into a dimension's domain: clamped, on the step grid, integer when required. */
export function snapNumber(spec: ParamSpec, value: number): number {
  if (spec.type !== "number" && spec.type !== "integer") return value;
  const min = spec.min ?? -Infinity;
  const max = spec.max ?? Infinity;
  let v = Math.min(max, Math.max(min, value));
  if (spec.step !== undefined && Number.isFinite(min)) {
    const k = Math.round((v - min) / spec.step);
    const top = Math.floor((max - min) / spec.step + 1e-9);
    v = Number((min + Math.min(top, Math.max(0, k)) * spec.step).toPrecision(12));
  }
  if (spec.type === "integer") v = Math.min(max, Math.max(min, Math.round(v)));
  return v;
}
