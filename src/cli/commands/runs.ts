/**
 * The run registry from the shell:
 *   strategy-lab runs list [--kind backtest] [--strategy imbalance] [--where '{"sharpe":{"gt":1}}'] [--json]
 *   strategy-lab runs show <id>
 *   strategy-lab runs compare <a> <b>
 *   strategy-lab rerun <id> [--option latencyNs=100000] [--record]
 * Every command reads `--store` (a DuckDB file, "memory" or a postgres:// URL), else
 * STRATEGY_LAB_STORE, else the project's `.strategy-lab/runs.duckdb`. `rerun` exits 0 when the
 * backtest reproduced bit for bit and 1 when anything differs, naming what.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { LabError } from "../../core/index.js";
import { RunComparison, RunList, RunView, rerun, storeSpecFrom, type RerunReport } from "../../runs/index.js";
import { isPostgresUrl, openRunStore, type LabStore, type RunFilter, type RunKind, type RunState } from "../../store/index.js";
import { loadDataOption, type DataCliOptions } from "../data-option.js";
import { parseIntegerOption, parseJsonOption } from "../util.js";

interface StoreCliOptions {
  store?: string;
  json?: boolean;
}

/** JSON with NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (as the REST API sends them). */
function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : typeof v === "bigint" ? v.toString() : v), 2) + "\n");
}

async function withStore<T>(o: StoreCliOptions, fn: (store: LabStore) => Promise<T>): Promise<T> {
  const spec = storeSpecFrom(o.store, true)!;
  if (spec !== "memory" && !isPostgresUrl(spec) && !existsSync(spec)) {
    throw new LabError({ code: "FILE_NOT_FOUND", message: `no run store at ${spec}`, hint: "record runs first (strategy-lab backtest ... --store <file>), or name the store with --store or STRATEGY_LAB_STORE", context: { file: spec } });
  }
  const { store, owned } = await openRunStore(spec);
  try {
    return await fn(store);
  } finally {
    if (owned) await store.close();
  }
}

const storeOption = (c: Command): Command => c.option("--store <spec>", "run store: a DuckDB file, \"memory\" or a postgres:// URL (default: STRATEGY_LAB_STORE, else .strategy-lab/runs.duckdb)").option("--json", "print JSON");

interface ListCliOptions extends StoreCliOptions {
  kind?: string;
  strategy?: string;
  state?: string;
  since?: string;
  until?: string;
  where?: string;
  sort?: string;
  order?: string;
  limit?: string;
  offset?: string;
}

/** `--option name=value` (value as JSON when it parses, else text), repeatable. */
function collectOption(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new LabError({ code: "BAD_OPTION", message: `--option expects name=value, got "${value}"`, hint: "e.g. --option latencyNs=100000 or --option queue=prob", context: { option: "--option" } });
  const name = value.slice(0, eq);
  const text = value.slice(eq + 1);
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { ...previous, [name]: parsed };
}

export function register(program: Command): void {
  const group = program.command("runs").description("the run registry: recorded backtests, optimizations and reports");

  storeOption(group.command("list").description("list recorded runs, newest first"))
    .option("--kind <kind>", "backtest, optimize or report")
    .option("--strategy <name>", "strategy name")
    .option("--state <state>", "running, finished, failed or interrupted")
    .option("--since <time>", "created at or after this ISO time")
    .option("--until <time>", "created before this ISO time")
    .option("--where <json>", 'metric bounds, e.g. \'{"sharpe":{"gt":1}}\'')
    .option("--sort <field>", "createdAt or a metric name", "createdAt")
    .option("--order <order>", "asc or desc", "desc")
    .option("--limit <n>", "at most this many runs", "50")
    .option("--offset <n>", "skip this many runs", "0")
    .action(async (o: ListCliOptions) => {
      const filter: RunFilter = { sort: o.sort ?? "createdAt", order: (o.order ?? "desc") as "asc" | "desc", limit: parseIntegerOption(o.limit ?? "50", "--limit"), offset: parseIntegerOption(o.offset ?? "0", "--offset") };
      if (o.kind !== undefined) filter.kind = o.kind as RunKind;
      if (o.strategy !== undefined) filter.strategy = o.strategy;
      if (o.state !== undefined) filter.state = o.state as RunState;
      if (o.since !== undefined) filter.since = o.since;
      if (o.until !== undefined) filter.until = o.until;
      if (o.where !== undefined) filter.where = parseJsonOption(o.where, "--where") as RunFilter["where"];
      await withStore(o, async (store) => {
        const page = await store.listRuns(filter);
        if (o.json) printJson(page);
        else process.stdout.write(new RunList(page.runs, page.total).toString() + "\n");
      });
    });

  storeOption(group.command("show").description("one run: manifest, metrics, artifacts").argument("<id>", "run id")).action(async (id: string, o: StoreCliOptions) => {
    await withStore(o, async (store) => {
      const run = await store.getRun(id);
      if (run === undefined) throw new LabError({ code: "RUN_NOT_FOUND", message: `no run "${id}" in the store ${store.location}`, hint: "strategy-lab runs list shows the runs and their ids", context: { file: store.location } });
      if (o.json) printJson({ run });
      else process.stdout.write(new RunView(run).toString() + "\n");
    });
  });

  storeOption(group.command("compare").description("two runs side by side: metrics and manifest differences").argument("<a>", "first run id").argument("<b>", "second run id")).action(async (a: string, b: string, o: StoreCliOptions) => {
    await withStore(o, async (store) => {
      const [ra, rb] = await Promise.all([store.getRun(a), store.getRun(b)]);
      for (const [id, r] of [[a, ra], [b, rb]] as const) if (r === undefined) throw new LabError({ code: "RUN_NOT_FOUND", message: `no run "${id}" in the store ${store.location}`, hint: "strategy-lab runs list shows the runs and their ids", context: { file: store.location } });
      const c = new RunComparison(ra!, rb!);
      if (o.json) printJson({ a: c.a, b: c.b, metrics: c.metrics, differences: c.differences, identical: c.identical });
      else process.stdout.write(c.toString() + "\n");
    });
  });

  storeOption(program.command("rerun").description("repeat a recorded backtest from its manifest; exit 0 when it reproduces bit for bit, 1 naming what differs").argument("<id>", "run id"))
    .option("--option <name=value>", "change a backtest option for this rerun (repeatable), e.g. --option latencyNs=100000", collectOption)
    .option("--record", "record the rerun as a run whose parent is <id>")
    .action(async (id: string, o: StoreCliOptions & { option?: Record<string, unknown>; record?: boolean }) => {
      await withStore(o, async (store) => {
        const report: RerunReport = await rerun(store, id, {
          loadData: (read) => loadDataOption(read as unknown as DataCliOptions, { seed: read.seed, seedOption: "--seed" }),
          ...(o.option ? { options: o.option } : {}),
          record: o.record === true,
        });
        if (o.json) printJson(report);
        else process.stdout.write(report.lines.join("\n") + "\n");
        if (!report.reproduced) process.exitCode = 1;
      });
    });
}
