/**
 * Search methods over a `SearchSpace`, as ask/tell plans: `next()` proposes a batch of candidates,
 * the driver evaluates the whole batch (in parallel, in any order) and `report()` gives back one
 * fitness per candidate in proposal order. Because a plan only ever sees complete batches in
 * proposal order, and all its randomness comes from the seed, the trials it proposes are the same
 * for any number of workers and any finishing order.
 *
 * - grid: expand the cartesian product, drop points the `filter` rejects, optionally subsample
 *   `maxTrials` of them (seeded, kept in grid order), warn above `warnAbove` trials. One batch.
 * - random: `trials` distinct points drawn uniformly (step grids and choices discretely, ranges
 *   without a step continuously). One batch.
 * - genetic: a generation-synchronous GA. Tournament selection, uniform or blend (BLX-α)
 *   crossover, Gaussian mutation within the range snapped to the step, elitism, and early stop
 *   after `patience` generations without improvement. Points already evaluated are not evaluated
 *   again (their fitness is reused), so every trial is a distinct point — which is what the
 *   trial count for the deflated Sharpe ratio should count.
 */
import { LabError, rng, type Rng } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import type { ParamSpec, ParamValue, Params } from "../strategy/index.js";
import { dimGrid, paramsKey, snapNumber, type SearchSpace } from "./space.js";

export type SearchMethod = "grid" | "random" | "genetic";

/** A proposed point: searched values only (fixed ones are added by the driver). */
export interface Candidate {
  params: Params;
  /** Genetic search: the generation proposing it; 0 otherwise. */
  generation: number;
}

export interface SearchPlan {
  readonly method: SearchMethod;
  /** Upper bound of trials the plan can propose (the progress total). */
  readonly maxTrials: number;
  /** Notes for the user (huge grid, space smaller than asked, ...). */
  readonly warnings: readonly string[];
  /** The next batch, or null when the search is over. */
  next(): Candidate[] | null;
  /** Fitness of each candidate of the last batch, in order: higher is better, -Infinity = infeasible or failed. */
  report(fitness: readonly number[]): void;
}

export interface GridOptions {
  /** Keep only points for which this returns true (applied before subsampling). */
  filter?: (params: Params) => boolean;
  /** Subsample this many points (seeded) when the filtered grid is larger. */
  maxTrials?: number;
  /** Warn when more trials than this would run. @default 10_000 */
  warnAbove?: number;
  seed?: number;
}

export interface RandomOptions {
  /** Number of trials. @default 100 */
  trials?: number;
  filter?: (params: Params) => boolean;
  seed?: number;
}

export interface GeneticOptions {
  /** Individuals per generation. @default 24 */
  population?: number;
  /** Maximum generations (including the first). @default 20 */
  generations?: number;
  /** Best individuals copied unchanged into the next generation. @default 2 */
  elite?: number;
  /** Tournament size for parent selection. @default 3 */
  tournament?: number;
  /** "uniform": each gene from either parent; "blend": BLX-α on numbers (uniform on the rest). @default "uniform" */
  crossover?: "uniform" | "blend";
  /** Probability that two parents are crossed (else the child copies the first). @default 0.9 */
  crossoverRate?: number;
  /** α of blend crossover. @default 0.5 */
  blendAlpha?: number;
  /** Per-gene mutation probability. @default 1 / number of searched parameters */
  mutationRate?: number;
  /** Mutation standard deviation as a fraction of a range's width. @default 0.2 */
  mutationScale?: number;
  /** Stop after this many generations without improving the best fitness by more than `minDelta`. @default 5 */
  patience?: number;
  /** @default 0 */
  minDelta?: number;
  filter?: (params: Params) => boolean;
  seed?: number;
}

const GRID_KEYS = ["filter", "maxTrials", "warnAbove", "seed"] as const;
const RANDOM_KEYS = ["trials", "filter", "seed"] as const;
const GENETIC_KEYS = ["population", "generations", "elite", "tournament", "crossover", "crossoverRate", "blendAlpha", "mutationRate", "mutationScale", "patience", "minDelta", "filter", "seed"] as const;

function badOption(option: string, message: string, hint: string): LabError {
  return new LabError({ code: "BAD_OPTION", message: `search option ${option}: ${message}`, hint, context: { option } });
}

function positiveInt(value: number | undefined, fallback: number, option: string, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw badOption(option, `must be an integer ≥ ${min}, got ${String(v)}`, `e.g. ${option}: ${fallback}`);
  return v;
}

function probability(value: number | undefined, fallback: number, option: string): number {
  const v = value ?? fallback;
  if (!(typeof v === "number" && v >= 0 && v <= 1)) throw badOption(option, `must be in [0, 1], got ${String(v)}`, `e.g. ${option}: ${fallback}`);
  return v;
}

/** Number of grid points (before any filter). */
export function gridSize(space: SearchSpace): number {
  return space.dims.reduce((n, d) => n * dimGrid(d).length, 1);
}

/** The point at `index` of the grid in mixed radix (the last dimension varies fastest). */
function gridPoint(space: SearchSpace, axes: readonly ParamValue[][], index: number): Params {
  const out: Params = {};
  let rest = index;
  for (let d = axes.length - 1; d >= 0; d--) {
    const axis = axes[d]!;
    out[space.names[d]!] = axis[rest % axis.length]!;
    rest = Math.floor(rest / axis.length);
  }
  // Keep dimension order in the object for readable output.
  const ordered: Params = {};
  for (const name of space.names) ordered[name] = out[name]!;
  return ordered;
}

/** Expands the grid, filters, subsamples: the exact list of points a grid search evaluates. */
export function expandGrid(space: SearchSpace, options: GridOptions = {}): { points: Params[]; total: number; warnings: string[] } {
  checkOptionKeys(options, GRID_KEYS, "grid search");
  const axes = space.dims.map((d) => dimGrid(d));
  const total = axes.reduce((n, a) => n * a.length, 1);
  const warnings: string[] = [];
  if (total > 5_000_000) {
    throw new LabError({ code: "GRID_TOO_LARGE", message: `the grid has ${total.toLocaleString("en-US")} points`, hint: 'use coarser steps, method "random" with trials, or method "genetic"' });
  }
  let points: Params[] = [];
  for (let i = 0; i < total; i++) {
    const p = gridPoint(space, axes, i);
    if (options.filter === undefined || options.filter({ ...space.fixed, ...p })) points.push(p);
  }
  const filtered = points.length;
  if (options.maxTrials !== undefined) {
    const max = positiveInt(options.maxTrials, 100, "maxTrials");
    if (filtered > max) {
      // Floyd's algorithm: `max` distinct indices without materializing a permutation; sorted so
      // the subsample keeps grid order.
      const random = rng(options.seed ?? 0).fork(0x6772);
      const chosen = new Set<number>();
      for (let j = filtered - max; j < filtered; j++) {
        const t = random.int(j + 1);
        chosen.add(chosen.has(t) ? j : t);
      }
      const idx = [...chosen].sort((a, b) => a - b);
      points = idx.map((i) => points[i]!);
      warnings.push(`grid subsampled: ${max.toLocaleString("en-US")} of ${filtered.toLocaleString("en-US")} points (seeded)`);
    }
  }
  const warnAbove = options.warnAbove ?? 10_000;
  if (points.length > warnAbove) {
    warnings.push(`grid search will run ${points.length.toLocaleString("en-US")} trials (more than ${warnAbove.toLocaleString("en-US")}); consider coarser steps, maxTrials, or method "genetic"`);
  }
  if (options.filter !== undefined && filtered < total) warnings.push(`filter kept ${filtered.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} grid points`);
  if (points.length === 0) throw new LabError({ code: "EMPTY_SEARCH", message: "no grid point passes the filter", hint: "loosen the filter or widen the ranges" });
  return { points, total, warnings };
}

/** One uniformly drawn value of a dimension. */
function sampleValue(spec: ParamSpec, random: Rng): ParamValue {
  switch (spec.type) {
    case "boolean":
      return random.int(2) === 1;
    case "choice":
      return spec.choices[random.int(spec.choices.length)]!;
    default: {
      const min = spec.min!;
      const max = spec.max!;
      if (spec.step !== undefined) {
        const n = Math.floor((max - min) / spec.step + 1e-9);
        return snapNumber(spec, min + random.int(n + 1) * spec.step);
      }
      if (spec.type === "integer") return min + random.int(max - min + 1);
      return min + (max - min) * random.float();
    }
  }
}

function samplePoint(space: SearchSpace, random: Rng): Params {
  const p: Params = {};
  for (const d of space.dims) p[d.name] = sampleValue(d, random);
  return p;
}

/** Number of distinct points when every dimension is discrete; Infinity otherwise. */
export function discreteSize(space: SearchSpace): number {
  let n = 1;
  for (const d of space.dims) {
    if (d.type === "boolean") n *= 2;
    else if (d.type === "choice") n *= d.choices.length;
    else if (d.step !== undefined) n *= Math.floor((d.max! - d.min!) / d.step + 1e-9) + 1;
    else if (d.type === "integer") n *= d.max! - d.min! + 1;
    else return Infinity;
  }
  return n;
}

/** Draws up to `count` distinct points passing the filter; stops after many rejections. */
function drawDistinct(space: SearchSpace, random: Rng, count: number, seen: Set<string>, filter: ((p: Params) => boolean) | undefined): Params[] {
  const out: Params[] = [];
  let misses = 0;
  const maxMisses = 200 + 50 * count;
  while (out.length < count && misses < maxMisses) {
    const p = samplePoint(space, random);
    const key = paramsKey(space, p);
    if (seen.has(key) || (filter !== undefined && !filter({ ...space.fixed, ...p }))) {
      misses++;
      continue;
    }
    seen.add(key);
    out.push(p);
  }
  return out;
}

class OneBatchPlan implements SearchPlan {
  private done = false;
  constructor(readonly method: SearchMethod, private readonly points: Params[], readonly warnings: string[]) {}
  get maxTrials(): number {
    return this.points.length;
  }
  next(): Candidate[] | null {
    if (this.done) return null;
    this.done = true;
    return this.points.map((params) => ({ params, generation: 0 }));
  }
  report(): void {}
}

export function gridSearch(space: SearchSpace, options: GridOptions = {}): SearchPlan {
  const { points, warnings } = expandGrid(space, options);
  return new OneBatchPlan("grid", points, warnings);
}

export function randomSearch(space: SearchSpace, options: RandomOptions = {}): SearchPlan {
  checkOptionKeys(options, RANDOM_KEYS, "random search");
  const trials = positiveInt(options.trials, 100, "trials");
  const warnings: string[] = [];
  const size = discreteSize(space);
  const want = Math.min(trials, size);
  if (size < trials) warnings.push(`the space has only ${size.toLocaleString("en-US")} distinct points; running ${size.toLocaleString("en-US")} trials instead of ${trials.toLocaleString("en-US")}`);
  const points = drawDistinct(space, rng(options.seed ?? 0).fork(0x726e64), want, new Set(), options.filter);
  if (points.length === 0) throw new LabError({ code: "EMPTY_SEARCH", message: "no random point passes the filter", hint: "loosen the filter or widen the ranges" });
  if (points.length < want) warnings.push(`only ${points.length} distinct points passing the filter were found`);
  return new OneBatchPlan("random", points, warnings);
}

interface Individual {
  params: Params;
  key: string;
}

/** See the module comment. Deterministic given the seed and the fitness values reported. */
export class GeneticPlan implements SearchPlan {
  readonly method = "genetic" as const;
  readonly warnings: string[] = [];
  readonly maxTrials: number;
  private readonly population: number;
  private readonly generations: number;
  private readonly elite: number;
  private readonly tournament: number;
  private readonly crossover: "uniform" | "blend";
  private readonly crossoverRate: number;
  private readonly blendAlpha: number;
  private readonly mutationRate: number;
  private readonly mutationScale: number;
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly filter: ((p: Params) => boolean) | undefined;
  private readonly seed: number;
  /** Fitness of every point evaluated so far, by key. */
  private readonly fitnessByKey = new Map<string, number>();
  private current: Individual[] = [];
  private pending: Individual[] = [];
  private generation = -1;
  private bestFitness = -Infinity;
  private stale = 0;
  private finished = false;
  /** Generations run, and why the search stopped (for the summary). */
  stoppedBecause = "";

  constructor(private readonly space: SearchSpace, options: GeneticOptions = {}) {
    checkOptionKeys(options, GENETIC_KEYS, "genetic search");
    this.population = positiveInt(options.population, 24, "population", 2);
    this.generations = positiveInt(options.generations, 20, "generations");
    this.elite = positiveInt(options.elite, 2, "elite", 0);
    if (this.elite >= this.population) throw badOption("elite", `must be smaller than the population (${this.population}), got ${this.elite}`, "e.g. elite: 2");
    this.tournament = positiveInt(options.tournament, 3, "tournament");
    this.crossover = options.crossover ?? "uniform";
    if (this.crossover !== "uniform" && this.crossover !== "blend") throw badOption("crossover", `must be "uniform" or "blend", got ${JSON.stringify(this.crossover)}`, 'e.g. crossover: "blend"');
    this.crossoverRate = probability(options.crossoverRate, 0.9, "crossoverRate");
    this.blendAlpha = options.blendAlpha ?? 0.5;
    if (!(this.blendAlpha >= 0)) throw badOption("blendAlpha", `must be ≥ 0, got ${this.blendAlpha}`, "e.g. blendAlpha: 0.5");
    this.mutationRate = probability(options.mutationRate, 1 / space.dims.length, "mutationRate");
    this.mutationScale = options.mutationScale ?? 0.2;
    if (!(this.mutationScale > 0)) throw badOption("mutationScale", `must be > 0, got ${this.mutationScale}`, "e.g. mutationScale: 0.2");
    this.patience = positiveInt(options.patience, 5, "patience");
    this.minDelta = options.minDelta ?? 0;
    this.filter = options.filter;
    this.seed = options.seed ?? 0;
    const size = discreteSize(space);
    this.maxTrials = Math.min(size, this.population * this.generations);
    if (size < this.population) this.warnings.push(`the space has only ${size} distinct points, fewer than the population ${this.population}; consider method "grid"`);
  }

  /** Generations started so far. */
  get generationsRun(): number {
    return this.generation + 1;
  }

  next(): Candidate[] | null {
    if (this.finished) return null;
    this.generation++;
    const random = rng(this.seed).fork(0x6761 + this.generation);
    let individuals: Individual[];
    if (this.generation === 0) {
      const points = drawDistinct(this.space, random, this.population, new Set(), this.filter);
      if (points.length === 0) throw new LabError({ code: "EMPTY_SEARCH", message: "no point passes the filter", hint: "loosen the filter or widen the ranges" });
      individuals = points.map((params) => ({ params, key: paramsKey(this.space, params) }));
    } else {
      individuals = this.breed(random);
    }
    this.current = individuals;
    const seenNow = new Set<string>();
    this.pending = [];
    for (const ind of individuals) {
      if (this.fitnessByKey.has(ind.key) || seenNow.has(ind.key)) continue;
      seenNow.add(ind.key);
      this.pending.push(ind);
    }
    return this.pending.map((ind) => ({ params: ind.params, generation: this.generation }));
  }

  report(fitness: readonly number[]): void {
    if (fitness.length !== this.pending.length) throw new LabError({ code: "INTERNAL", message: `genetic search expected ${this.pending.length} results, got ${fitness.length}`, hint: "this is a bug in strategy-lab" });
    this.pending.forEach((ind, i) => this.fitnessByKey.set(ind.key, fitness[i]!));
    this.pending = [];
    let genBest = -Infinity;
    for (const ind of this.current) genBest = Math.max(genBest, this.fitnessByKey.get(ind.key) ?? -Infinity);
    if (genBest > this.bestFitness + this.minDelta || (this.bestFitness === -Infinity && genBest > -Infinity)) {
      this.bestFitness = genBest;
      this.stale = 0;
    } else {
      this.stale++;
    }
    if (this.stale >= this.patience) {
      this.finished = true;
      this.stoppedBecause = `no improvement for ${this.patience} generations`;
    } else if (this.generation + 1 >= this.generations) {
      this.finished = true;
      this.stoppedBecause = "generation limit";
    } else if (this.fitnessByKey.size >= discreteSize(this.space)) {
      this.finished = true;
      this.stoppedBecause = "every point of the space was evaluated";
    }
  }

  private fitnessOf(ind: Individual): number {
    return this.fitnessByKey.get(ind.key) ?? -Infinity;
  }

  /** Population sorted best first; ties keep population order (deterministic). */
  private ranked(): Individual[] {
    return this.current.map((ind, i) => ({ ind, i, f: this.fitnessOf(ind) })).sort((a, b) => (b.f === a.f ? a.i - b.i : b.f > a.f ? 1 : -1)).map((x) => x.ind);
  }

  private pick(random: Rng): Individual {
    let best: Individual | undefined;
    let bestF = -Infinity;
    let bestI = Infinity;
    for (let k = 0; k < this.tournament; k++) {
      const i = random.int(this.current.length);
      const ind = this.current[i]!;
      const f = this.fitnessOf(ind);
      if (best === undefined || f > bestF || (f === bestF && i < bestI)) {
        best = ind;
        bestF = f;
        bestI = i;
      }
    }
    return best!;
  }

  private breed(random: Rng): Individual[] {
    const next: Individual[] = [];
    const elites = new Set<string>();
    for (const ind of this.ranked()) {
      if (next.length >= this.elite) break;
      if (elites.has(ind.key) || this.fitnessOf(ind) === -Infinity) continue;
      elites.add(ind.key);
      next.push(ind);
    }
    while (next.length < this.population) {
      let child: Params | undefined;
      for (let attempt = 0; attempt < 20 && child === undefined; attempt++) {
        const a = this.pick(random);
        const b = this.pick(random);
        const crossed = random.float() < this.crossoverRate ? this.cross(a.params, b.params, random) : { ...a.params };
        const mutated = this.mutate(crossed, random);
        if (this.filter === undefined || this.filter({ ...this.space.fixed, ...mutated })) child = mutated;
      }
      if (child === undefined) child = { ...this.pick(random).params };
      next.push({ params: child, key: paramsKey(this.space, child) });
    }
    return next;
  }

  private cross(a: Params, b: Params, random: Rng): Params {
    const out: Params = {};
    for (const d of this.space.dims) {
      const va = a[d.name]!;
      const vb = b[d.name]!;
      if (this.crossover === "blend" && (d.type === "number" || d.type === "integer") && typeof va === "number" && typeof vb === "number") {
        const lo = Math.min(va, vb);
        const hi = Math.max(va, vb);
        const spread = (hi - lo) * this.blendAlpha;
        out[d.name] = snapNumber(d, lo - spread + (hi - lo + 2 * spread) * random.float());
      } else {
        out[d.name] = random.int(2) === 0 ? va : vb;
      }
    }
    return out;
  }

  private mutate(p: Params, random: Rng): Params {
    const out: Params = { ...p };
    for (const d of this.space.dims) {
      if (random.float() >= this.mutationRate) continue;
      const v = out[d.name]!;
      if ((d.type === "number" || d.type === "integer") && typeof v === "number") {
        const width = d.max! - d.min!;
        let moved = snapNumber(d, v + random.normal() * this.mutationScale * width);
        // A Gaussian step smaller than half a grid step would snap back; move at least one step then.
        if (moved === v && d.step !== undefined) moved = snapNumber(d, v + (random.int(2) === 0 ? -d.step : d.step));
        else if (moved === v && d.type === "integer") moved = snapNumber(d, v + (random.int(2) === 0 ? -1 : 1));
        out[d.name] = moved;
      } else if (d.type === "boolean") {
        out[d.name] = !v;
      } else if (d.type === "choice") {
        const others = d.choices.filter((c) => c !== v);
        if (others.length > 0) out[d.name] = others[random.int(others.length)]!;
      }
    }
    return out;
  }
}

export function geneticSearch(space: SearchSpace, options: GeneticOptions = {}): GeneticPlan {
  return new GeneticPlan(space, options);
}
