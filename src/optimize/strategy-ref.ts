/**
 * Turns `strategy: "imbalance"` into an evaluator: in workers, a module reference to the built-in
 * strategy evaluator (the worker looks the strategy up in its own registry); in this thread
 * (`workers: 0`), the evaluator itself, which also works for strategies defined in a notebook.
 */
import { LabError } from "../core/index.js";
import { normalizeBacktestOptions } from "../engine/index.js";
import { strategies, type ParamSchema, type StrategyFactory } from "../strategy/index.js";
import { normalizeEvaluatorRef } from "./evaluator.js";
import { compiledModuleUrl } from "./pool.js";
import { evaluatorFor, type StrategyBacktestOptions, type StrategyEvaluatorOptions } from "./strategy-evaluator.js";
import type { EvaluatorRef, TrialEvaluator } from "./types.js";

export type { StrategyBacktestOptions };

const BUILT_IN = (): StrategyFactory[] => [strategies.imbalance, strategies.bidAskBounce, strategies.marketMaker];

export async function strategyEvaluatorRef(
  strategy: string | StrategyFactory,
  backtest: StrategyBacktestOptions,
  strategyModuleGiven: string | undefined,
  workers: number | undefined,
): Promise<{ evaluator: EvaluatorRef | TrialEvaluator; schema: ParamSchema; fingerprint: unknown }> {
  const strategyModule = strategyModuleGiven === undefined ? undefined : normalizeEvaluatorRef({ module: strategyModuleGiven, export: "default" }).module;
  if (strategyModule !== undefined) await import(strategyModule);
  const factory = typeof strategy === "string" ? strategies.get(strategy) : strategy;
  if (typeof factory !== "function" || typeof factory.strategyName !== "string") {
    throw new LabError({ code: "BAD_STRATEGY", message: "strategy must be a registered name or a strategy factory", hint: 'e.g. strategy: "imbalance" or strategy: lab.strategy.strategies.imbalance' });
  }
  if (typeof backtest !== "object" || backtest === null) throw new LabError({ code: "BAD_OPTION", message: "backtest options must be an object", hint: "e.g. backtest: { latencyNs: 50_000 }", context: { option: "backtest" } });
  // Fail fast here rather than in every worker.
  normalizeBacktestOptions(backtest);
  for (const [k, v] of Object.entries(backtest)) {
    if (typeof v === "function" || (typeof v === "object" && v !== null && Object.values(v).some((x) => typeof x === "function"))) {
      throw new LabError({ code: "BAD_OPTION", message: `backtest option ${k} is a model object; a sweep passes options to workers as data`, hint: `use the plain form (latencyNs: 50_000, queue: "prob", fees: { maker, taker })`, context: { option: k } });
    }
  }
  const name = factory.strategyName;
  const fingerprint = { strategy: name, backtest, strategyModule: strategyModule ?? null };
  if (workers === 0) return { evaluator: evaluatorFor(factory, backtest), schema: factory.schema, fingerprint };
  const builtIn = BUILT_IN().includes(factory);
  // Not given a worker count: a strategy only this process knows runs here (the caller notes it).
  if (!builtIn && strategyModule === undefined && workers === undefined) return { evaluator: evaluatorFor(factory, backtest), schema: factory.schema, fingerprint };
  if (!builtIn && strategyModule === undefined) {
    throw new LabError({
      code: "STRATEGY_NOT_IN_WORKERS",
      message: `strategy "${name}" is defined in this process only; worker threads cannot see it`,
      hint: "define it in a module and pass strategyModule: \"/abs/path/to/module.js\" (workers import it), or run with workers: 0",
      context: { value: name },
    });
  }
  const options: StrategyEvaluatorOptions = { strategy: name, backtest };
  if (strategyModule !== undefined) options.strategyModule = strategyModule;
  return { evaluator: { module: compiledModuleUrl("strategy-evaluator.js").href, export: "strategyEvaluator", options }, schema: factory.schema, fingerprint };
}
