/**
 * The strategy API: `defineStrategy({ name, params, create })` turns a parameter schema and a
 * factory of callbacks into a `StrategyFactory` — call it with parameters to get a configured
 * strategy the engine can run (every run gets fresh state from `create`). Factories are kept in a
 * registry by name (`strategies.get("imbalance")`), and expose their schema so the optimizer can
 * build search spaces.
 *
 *   const Momentum = lab.defineStrategy({
 *     name: "momentum",
 *     params: [{ name: "threshold", type: "number", default: 0.3, min: 0, max: 1, step: 0.05 }],
 *     create: (p) => ({ onBook(ctx, book) { if (book.imbalance() > p.threshold) ctx.buy(1); } }),
 *   });
 *
 * The schema is read as written (a `const` type parameter), so `create` sees `p.threshold` as a
 * number, a choice parameter as the union of its choices, and `p.treshold` does not compile.
 *   lab.backtest(ticks, Momentum({ threshold: 0.4 }));
 */
import { LabError, closestName } from "../core/index.js";
import type { StrategyHandlers, StrategyLike } from "../engine/index.js";
import { resolveParams, type ParamSchema, type Params, type ParamsOf } from "./params.js";

export type { Context, BookView, TradeView, OrderUpdate, OrderEvent, FillEvent, OrderOptions, StrategyHandlers, StrategyLike } from "../engine/index.js";

export interface StrategyDefinition<S extends ParamSchema = ParamSchema> {
  /** Registry name, e.g. "imbalance". Letters, digits, "-" and "_". */
  name: string;
  /** One line for listings. */
  description?: string;
  /** Other names the registry accepts (e.g. the template's class-like name). */
  aliases?: readonly string[];
  params: S;
  /** Fresh callbacks for one run; `params` are resolved and validated, typed by the schema. May return a class instance. */
  create(params: ParamsOf<S>): StrategyHandlers;
  /** Add to the global registry. @default true */
  register?: boolean;
}

/** A strategy with its parameters fixed: what `backtest` runs. */
export interface ConfiguredStrategy extends StrategyLike {
  readonly params: Readonly<Params>;
  readonly schema: ParamSchema;
  /** Same strategy with some parameters changed. */
  with(changes: Readonly<Record<string, unknown>>): ConfiguredStrategy;
}

export interface StrategyFactory {
  (params?: Readonly<Record<string, unknown>>): ConfiguredStrategy;
  readonly strategyName: string;
  readonly description: string;
  readonly aliases: readonly string[];
  readonly schema: ParamSchema;
  /** Default parameter values. */
  defaults(): Params;
}

function configure<S extends ParamSchema>(def: StrategyDefinition<S>, given: Readonly<Record<string, unknown>>): ConfiguredStrategy {
  const params = Object.freeze(resolveParams(def.params, given, `strategy "${def.name}"`));
  return {
    name: def.name,
    params,
    schema: def.params,
    // resolveParams checked every value against the schema: they have the types ParamsOf<S> says
    create: () => def.create(params as unknown as ParamsOf<S>),
    with: (changes) => configure(def, { ...params, ...changes }),
  };
}

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function defineStrategy<const S extends ParamSchema>(def: StrategyDefinition<S>): StrategyFactory {
  if (typeof def !== "object" || def === null || typeof def.name !== "string" || !NAME_PATTERN.test(def.name)) {
    throw new LabError({ code: "BAD_STRATEGY", message: `strategy name ${JSON.stringify((def as { name?: unknown })?.name)} is not valid`, hint: 'use letters, digits, "-" and "_", starting with a letter, e.g. "myImbalance"' });
  }
  if (typeof def.create !== "function") throw new LabError({ code: "BAD_STRATEGY", message: `strategy "${def.name}" has no create(params) function`, hint: "create returns the callbacks object (onBook, onTrade, ...) for one run" });
  if (!Array.isArray(def.params)) throw new LabError({ code: "BAD_STRATEGY", message: `strategy "${def.name}" needs a params schema array (may be empty)`, hint: 'e.g. params: [{ name: "threshold", type: "number", default: 0.3 }]' });
  resolveParams(def.params, {}, `strategy "${def.name}"`); // the defaults themselves must be valid
  const factory = ((params: Readonly<Record<string, unknown>> = {}) => configure(def, params)) as StrategyFactory;
  Object.defineProperties(factory, {
    strategyName: { value: def.name, enumerable: true },
    description: { value: def.description ?? "", enumerable: true },
    aliases: { value: Object.freeze([...(def.aliases ?? [])]), enumerable: true },
    schema: { value: def.params, enumerable: true },
    defaults: { value: () => resolveParams(def.params, {}, `strategy "${def.name}"`) },
  });
  if (def.register !== false) registry.register(factory);
  return factory;
}

/** Strategies by name (templates plus everything defined with `defineStrategy`). */
export class StrategyRegistry {
  private readonly byName = new Map<string, StrategyFactory>();

  register(factory: StrategyFactory): void {
    for (const name of [factory.strategyName, ...factory.aliases]) this.byName.set(name.toLowerCase(), factory);
  }

  has(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  get(name: string): StrategyFactory {
    const factory = this.byName.get(String(name).toLowerCase());
    if (factory) return factory;
    const guess = closestName(String(name), this.names());
    throw new LabError({ code: "UNKNOWN_STRATEGY", message: `no strategy named "${name}"`, hint: guess ? `did you mean "${guess}"? Known: ${this.names().join(", ")}` : `known: ${this.names().join(", ")}`, context: { strategy: name } });
  }

  /** Primary names, sorted. */
  names(): string[] {
    return [...new Set([...this.byName.values()].map((f) => f.strategyName))].sort();
  }

  list(): { name: string; description: string; params: string[] }[] {
    return this.names().map((n) => {
      const f = this.get(n);
      return { name: n, description: f.description, params: f.schema.map((p) => p.name) };
    });
  }
}

export const registry = new StrategyRegistry();
