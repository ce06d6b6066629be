/**
 * Objectives and constraints. The objective turns a trial's metrics into one number; the direction
 * says whether higher or lower is better. Constraints (e.g. at least 20 trades) make a trial
 * infeasible: it stays recorded with its metrics, but can never be chosen as best and gets the
 * worst fitness in the genetic search. A NaN objective is infeasible too.
 */
import { LabError, closestName } from "../core/index.js";
import type { Params } from "./types.js";

export type Metrics = Readonly<Record<string, number>>;
export type Direction = "maximize" | "minimize";

/** A metric key ("sharpe", "pnl", ...), `{ metric, direction }`, or a function of metrics and params (maximized). */
export type ObjectiveSpec = string | { readonly metric: string; readonly direction?: Direction } | ((metrics: Metrics, params: Params) => number);

/** Per-metric bounds (JSON-friendly), or a function returning true (feasible), false or a reason string (infeasible). */
export type ConstraintSpec = Readonly<Record<string, { readonly min?: number; readonly max?: number }>> | ((metrics: Metrics, params: Params) => boolean | string);

export interface Objective {
  /** For display: the metric key or "custom". */
  readonly name: string;
  readonly direction: Direction;
  value(metrics: Metrics, params: Params): number;
  /** Stable description for run fingerprints. */
  readonly fingerprint: string;
}

export interface Constraints {
  /** undefined when feasible, else the reason. */
  check(metrics: Metrics, params: Params): string | undefined;
  readonly fingerprint: string;
  /** Metric keys the constraints read (for checking them against what the evaluator returns). */
  readonly metrics: readonly string[];
}

function badObjective(message: string, hint: string): LabError {
  return new LabError({ code: "BAD_OBJECTIVE", message, hint });
}

export function normalizeObjective(spec: ObjectiveSpec | undefined): Objective {
  const s = spec ?? "sharpe";
  if (typeof s === "function") return { name: "custom", direction: "maximize", value: (m, p) => s(m, p), fingerprint: `fn:${s.toString()}` };
  const metric = typeof s === "string" ? s : s.metric;
  const direction = typeof s === "string" ? "maximize" : s.direction ?? "maximize";
  if (typeof metric !== "string" || metric === "") throw badObjective(`objective must name a metric, got ${JSON.stringify(s)}`, 'e.g. objective: "sharpe" or { metric: "maxDrawdown", direction: "minimize" }');
  if (direction !== "maximize" && direction !== "minimize") throw badObjective(`objective direction must be "maximize" or "minimize", got ${JSON.stringify(direction)}`, 'e.g. { metric: "maxDrawdown", direction: "minimize" }');
  return { name: metric, direction, value: (m) => m[metric] ?? NaN, fingerprint: `${metric}:${direction}` };
}

export function normalizeConstraints(spec: ConstraintSpec | undefined): Constraints {
  if (spec === undefined) return { check: () => undefined, fingerprint: "none", metrics: [] };
  if (typeof spec === "function") {
    return {
      check: (m, p) => {
        const r = spec(m, p);
        if (r === true) return undefined;
        return typeof r === "string" && r !== "" ? r : "constraint function returned false";
      },
      fingerprint: `fn:${spec.toString()}`,
      metrics: [],
    };
  }
  if (typeof spec !== "object" || spec === null) throw badObjective(`constraints must be an object or a function, got ${JSON.stringify(spec)}`, 'e.g. constraints: { trades: { min: 20 } }');
  const entries = Object.entries(spec).map(([metric, bound]) => {
    if (typeof bound !== "object" || bound === null || (bound.min === undefined && bound.max === undefined)) {
      throw badObjective(`constraint on "${metric}" needs min and/or max, got ${JSON.stringify(bound)}`, `e.g. constraints: { ${metric}: { min: 20 } }`);
    }
    for (const k of Object.keys(bound)) if (k !== "min" && k !== "max") throw badObjective(`constraint on "${metric}" has unknown key "${k}"`, `use min and/or max${closestName(k, ["min", "max"]) ? ` (did you mean "${closestName(k, ["min", "max"])}"?)` : ""}`);
    return { metric, min: bound.min ?? -Infinity, max: bound.max ?? Infinity };
  });
  return {
    check: (m) => {
      for (const { metric, min, max } of entries) {
        const v = m[metric];
        if (v === undefined || Number.isNaN(v)) return `${metric} is missing`;
        if (v < min) return `${metric} ${v} < min ${min}`;
        if (v > max) return `${metric} ${v} > max ${max}`;
      }
      return undefined;
    },
    fingerprint: JSON.stringify(entries.map((e) => [e.metric, e.min === -Infinity ? null : e.min, e.max === Infinity ? null : e.max])),
    metrics: entries.map((e) => e.metric),
  };
}

/** Higher is better; -Infinity for a trial that must never be chosen. */
export function fitness(objective: Objective, status: "ok" | "infeasible" | "failed", value: number): number {
  if (status !== "ok" || Number.isNaN(value)) return -Infinity;
  return objective.direction === "maximize" ? value : -value;
}
