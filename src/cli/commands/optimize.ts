/**
 * `strategy-lab optimize`: a parameter sweep from the shell, persisted trial by trial.
 *   strategy-lab optimize --strategy imbalance --data ticks.parquet --space '{"threshold":[0.2,0.3,0.4]}' --json
 *   strategy-lab optimize --strategy imbalance --data generated --events 1000000 \
 *     --space '{"threshold":{"min":0.1,"max":0.6,"step":0.05},"cooldownMs":[10,50,100]}' \
 *     --method genetic --walk-forward rolling:windows=4,ratio=3,embargo=1s --workers 2 --store sweeps.duckdb
 *   ... same command with --resume after a crash or kill: finished trials are not run again.
 * A custom evaluator replaces the strategy: --evaluator ./my-evaluator.js#evaluate.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { putChecklist, storeSpecFrom } from "../../runs/index.js";
import { openRunStore } from "../../store/index.js";
import { LabError } from "../../core/index.js";
import { optimize, overfitting, type QueueDataRef, type ConstraintSpec, type GeneticOptions, type OptimizeOptions, type SearchMethod, type SpaceSpec, type StrategyBacktestOptions } from "../../optimize/index.js";
import { strategies } from "../../strategy/index.js";
import { durationNs, loadDataOption, withDataOptions, type DataCliOptions } from "../data-option.js";
import { checklistBrief, sweepChecklist } from "../../report/index.js";
import { cliProgress, output, parseIntegerOption, parseJsonOption, parseNumberOption, type GlobalOptions } from "../util.js";

interface OptimizeCliOptions extends GlobalOptions, DataCliOptions {
  strategy?: string;
  evaluator?: string;
  dataSeed?: string;
  space?: string;
  method?: string;
  trials?: string;
  genetic?: string;
  objective?: string;
  minimize?: boolean;
  constraints?: string;
  walkForward?: string;
  workers?: string;
  niceness?: string;
  store?: string;
  runId?: string;
  resume?: boolean;
  seed?: string;
  latency?: string;
  queue?: string;
  fees?: string;
  interval?: string;
  backtest?: string;
  top?: string;
}


function jsonObject(value: string, name: string, example: string): Record<string, unknown> {
  const v = parseJsonOption(value, name);
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new LabError({ code: "BAD_OPTION", message: `${name} must be a JSON object`, hint: `e.g. ${name} '${example}'`, context: { option: name } });
  return v as Record<string, unknown>;
}

/** `{"threshold":{"min":0.1,"max":0.5,"step":0.05},"side":["buy","sell"],"size":1}` as a search space. */
function parseSpace(value: string): SpaceSpec {
  return jsonObject(value, "--space", '{"threshold":{"min":0.1,"max":0.5,"step":0.05}}') as SpaceSpec;
}

/** "module#export": a relative path is resolved from the current directory. */
function parseEvaluator(value: string): { module: string; export: string } {
  const hash = value.lastIndexOf("#");
  if (hash <= 0 || hash === value.length - 1) throw new LabError({ code: "BAD_OPTION", message: `--evaluator expects module#export, got "${value}"`, hint: "e.g. --evaluator ./my-evaluator.js#evaluate", context: { option: "--evaluator" } });
  const module = value.slice(0, hash);
  const isPath = module.startsWith(".") || module.startsWith("/");
  return { module: isPath ? pathToFileURL(resolve(module)).href : module, export: value.slice(hash + 1) };
}

function backtestOptions(o: OptimizeCliOptions): StrategyBacktestOptions {
  const b: StrategyBacktestOptions = o.backtest === undefined ? {} : (jsonObject(o.backtest, "--backtest", '{"latencyNs":50000}') as StrategyBacktestOptions);
  if (o.latency !== undefined) b.latencyNs = durationNs(o.latency, "--latency");
  if (o.queue !== undefined && !isJobQueue(o.queue)) b.queue = o.queue as StrategyBacktestOptions["queue"];
  if (o.fees !== undefined) b.fees = jsonObject(o.fees, "--fees", '{"maker":-0.0001,"taker":0.0004}') as { maker: number; taker: number };
  if (o.interval !== undefined) b.equityIntervalNs = durationNs(o.interval, "--interval");
  return b;
}

/** `--queue redis://...` is a job queue (distributed sweep); any other value is the backtest queue model. */
function isJobQueue(value: string | undefined): value is string {
  return value !== undefined && value.includes("://");
}

/** How queue workers load what `--data` and its options name (the same reader, the same options). */
function queueDataRef(o: OptimizeCliOptions): QueueDataRef {
  if (o.data === "generated") return { generated: { events: parseIntegerOption(o.events ?? "200000", "--events"), seed: parseIntegerOption(o.dataSeed ?? "1", "--data-seed"), mode: (o.mode ?? "l2") as "l2" | "l3" } };
  if (statSync(o.data).isDirectory()) return { catalog: resolve(o.data), options: { ...(o.symbol ? { symbols: [o.symbol] } : {}), ...(o.venue ? { venues: [o.venue] } : {}), ...(o.start ? { start: o.start } : {}), ...(o.end ? { end: o.end } : {}) } };
  const spec = o.tickSize !== undefined || o.symbol !== undefined ? { instrument: { symbol: o.symbol ?? "UNKNOWN", venue: o.venue ?? "UNKNOWN", tickSize: o.tickSize ?? "0.01", ...(o.lotSize ? { lotSize: o.lotSize } : {}) } } : {};
  return { file: resolve(o.data), options: { onBadRows: (o.onBadRows ?? "reject") as "reject" | "quarantine", ...(o.format ? { format: o.format } : {}), ...spec } };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

export function register(program: Command): void {
  withDataOptions(
    program
      .command("optimize")
      .description("parameter sweep (grid, random, genetic) with optional walk-forward, parallel workers and a resumable trial store")
      .option("--strategy <name>", `strategy to optimize (${strategies.names().join(", ")})`)
      .option("--evaluator <module#export>", "custom trial evaluator instead of a strategy (compiled JavaScript)"),
  )
    .option("--data-seed <n>", "seed of generated data", "1")
    .option("--space <json>", 'search space, e.g. \'{"threshold":{"min":0.1,"max":0.5,"step":0.05},"mode":["taker","maker"]}\' (default: the strategy\'s stepped parameters)')
    .option("--method <name>", "grid, random or genetic", "grid")
    .option("--trials <n>", "random: number of trials; grid: subsample to at most n points")
    .option("--genetic <json>", 'genetic settings, e.g. \'{"population":24,"generations":20,"patience":5}\'')
    .option("--objective <metric>", "metric to optimize (pnl, sharpe, ...)", "sharpe")
    .option("--minimize", "minimize the objective instead of maximizing it")
    .option("--constraints <json>", 'feasibility bounds on metrics, e.g. \'{"trades":{"min":20}}\'')
    .option("--walk-forward <spec>", "walk-forward windows, e.g. rolling:windows=4,ratio=3,purge=1s,embargo=1s (or JSON)")
    .option("--workers <n>", "worker threads (0 = this thread; default: available cores)")
    .option("--niceness <n>", "how much lower the worker threads' scheduling priority is than this process's (Linux; 0-19, default 5)")
    .option("--store <spec>", "store recording every trial as it finishes and the sweep as a run: a DuckDB file or a postgres:// URL (default: STRATEGY_LAB_STORE when set, else memory only)")
    .option("--run-id <id>", "run name in the store")
    .option("--resume", "continue the newest run with the same settings in --store, without repeating finished trials")
    .option("--seed <n>", "seed of the search and of each trial's randomness", "0")
    .option("--latency <duration>", "backtest order latency each way (ns, or 50us, 1ms ...)")
    .option("--queue <model|url>", "backtest queue model: riskAverse, prob, log, l3Fifo; or a job queue redis://host:port/name: run the trials on strategy-lab worker processes (docs/scale.md)")
    .option("--fees <json>", 'backtest fees, e.g. \'{"maker":-0.0001,"taker":0.0004}\'')
    .option("--interval <duration>", "equity sampling interval (the period of per-period returns)")
    .option("--backtest <json>", "other backtest options as JSON")
    .option("--top <n>", "trials listed in the text output", "10")
    .option("--json", "print the result as JSON")
    .option("-q, --quiet", "no progress output")
    .action(async (o: OptimizeCliOptions) => {
      if ((o.strategy === undefined) === (o.evaluator === undefined)) throw new LabError({ code: "BAD_OPTION", message: "give exactly one of --strategy and --evaluator", hint: "e.g. --strategy imbalance, or --evaluator ./my-evaluator.js#evaluate" });
      const method = (o.method ?? "grid") as SearchMethod;
      if (!["grid", "random", "genetic"].includes(method)) throw new LabError({ code: "BAD_OPTION", message: `--method must be grid, random or genetic, got "${method}"`, hint: "e.g. --method genetic", context: { option: "--method" } });
      o.store = storeSpecFrom(o.store);
      if (o.resume && o.store === undefined) throw new LabError({ code: "BAD_OPTION", message: "--resume needs --store", hint: "e.g. --store sweeps.duckdb --resume", context: { option: "--resume" } });
      const data = await loadDataOption(o, { seed: o.dataSeed, seedOption: "--data-seed", shared: true });
      const options: OptimizeOptions = {
        data,
        method,
        objective: o.minimize ? { metric: o.objective ?? "sharpe", direction: "minimize" } : o.objective ?? "sharpe",
        seed: parseIntegerOption(o.seed ?? "0", "--seed"),
        resume: o.resume === true,
        onWarning: (m) => process.stderr.write(`note: ${m}\n`),
      };
      if (o.strategy !== undefined) {
        options.strategy = o.strategy;
        options.backtest = backtestOptions(o);
      } else options.evaluator = parseEvaluator(o.evaluator!);
      if (o.space !== undefined) options.space = parseSpace(o.space);
      if (o.trials !== undefined) options.trials = parseIntegerOption(o.trials, "--trials");
      if (o.genetic !== undefined) options.genetic = jsonObject(o.genetic, "--genetic", '{"population":24}') as Omit<GeneticOptions, "seed" | "filter">;
      if (o.constraints !== undefined) options.constraints = jsonObject(o.constraints, "--constraints", '{"trades":{"min":20}}') as ConstraintSpec;
      if (o.walkForward !== undefined) options.walkForward = o.walkForward;
      if (o.workers !== undefined) options.workers = parseIntegerOption(o.workers, "--workers");
      if (o.niceness !== undefined) options.niceness = parseIntegerOption(o.niceness, "--niceness");
      if (o.store !== undefined) options.store = o.store;
      if (o.runId !== undefined) options.runId = o.runId;
      if (isJobQueue(o.queue)) options.queue = { url: o.queue, data: queueDataRef(o) };
      const progress = cliProgress(o);
      if (progress) options.progress = progress;
      const result = await optimize(options);
      const stats = overfitting(result);
      const checklist = sweepChecklist(result, { data, ...(options.backtest ? { backtest: options.backtest } : {}), engine: o.strategy !== undefined });
      if (typeof o.store === "string" && o.store !== "memory") {
        // the sweep's run gets its checklist (the dashboard's run page shows it)
        const { store, owned } = await openRunStore(o.store);
        try {
          if ((await store.getRun(result.runId)) !== undefined) await putChecklist(store, result.runId, checklist);
        } finally {
          if (owned) await store.close();
        }
      }
      const top = Math.max(0, Math.floor(parseNumberOption(o.top ?? "10", "--top")));
      output({ ...result.toJSON(), overfitting: stats, checklist: checklist.toJSON() }, o.json, () => {
        const lines = [result.toString()];
        const sign = result.objective.direction === "maximize" ? -1 : 1;
        const ranked = result.windowTrials().filter((t) => t.status === "ok").sort((a, b) => sign * (a.objective - b.objective) || a.index - b.index).slice(0, top);
        if (ranked.length) lines.push(`top ${ranked.length}${result.walkForward ? " (last window, in-sample)" : ""}:`);
        for (const t of ranked) lines.push(`  #${t.index}  ${result.objective.name} ${fmt(t.objective)}  ${result.paramNames.map((n) => `${n}=${String(t.params[n])}`).join(" ")}`);
        lines.push(`overfitting: ${stats.trialCount} trials · DSR ${fmt(stats.dsr)} · PBO ${fmt(stats.pbo)}${stats.notes.length ? ` (${stats.notes.join("; ")})` : ""}`);
        lines.push(checklistBrief(checklist));
        return lines.join("\n");
      });
    });
}
