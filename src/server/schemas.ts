/**
 * Every body, query and path parameter of the API as a zod schema: handlers parse with these (a
 * failure is a 400 naming the field), and the OpenAPI document is generated from the same
 * schemas, so the two cannot drift apart.
 */
import { z } from "zod";

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: "must be an ISO time, e.g. 2024-01-02T03:04:05Z" });

/** Run ids, job ids and artifact names: a closed alphabet, so no path can be formed from them. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const id = z.string().regex(ID_PATTERN, { message: "must be letters, digits, '.', '_' or '-' (no '/' or '..')" }).refine((s) => !s.includes(".."), { message: "must not contain '..'" });

export const runKind = z.enum(["backtest", "optimize", "report"]);
export const runState = z.enum(["running", "finished", "failed", "interrupted"]);
export const jobState = z.enum(["queued", "running", "finished", "failed", "cancelled", "interrupted"]);

export const metricBounds = z.object({ gt: z.number().optional(), gte: z.number().optional(), lt: z.number().optional(), lte: z.number().optional() }).strict();

export const runsQuery = z
  .object({
    kind: runKind.optional(),
    strategy: z.string().min(1).max(200).optional(),
    state: runState.optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    sort: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, { message: "must be createdAt or a metric name" }).optional(),
    order: z.enum(["asc", "desc"]).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    offset: z.coerce.number().int().min(0).optional(),
    where: z.string().max(10_000).optional().describe('JSON object of metric bounds, e.g. {"sharpe":{"gt":1}}'),
  })
  .strict();

export const whereValue = z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/), metricBounds);

export const pageQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).optional(), offset: z.coerce.number().int().min(0).optional() }).strict();
export const runParams = z.object({ id }).strict();
export const artifactParams = z.object({ id, name: id }).strict();
export const compareQuery = z.object({ a: id, b: id }).strict();

const paramValue = z.union([z.number(), z.string(), z.boolean()]);
const rangeEntry = z.object({ min: z.number(), max: z.number(), step: z.number().positive().optional() }).strict();
const valuesEntry = z.object({ values: z.array(paramValue).min(1).max(10_000) }).strict();

export const jobBody = z
  .object({
    kind: z.enum(["optimize", "backtest"]),
    strategy: z.string().min(1).max(200),
    data: z.string().min(1).max(1000).describe('a data file or catalog folder, relative to the project (e.g. "data/binance/spot_btcusdt_20240808.gz"), or "generated" for seeded synthetic data'),
    events: z.number().int().min(1).max(50_000_000).optional().describe('rows of "generated" data (default 200000)'),
    dataSeed: z.number().int().optional().describe('seed of "generated" data (default 1)'),
    params: z.record(z.string(), paramValue).optional().describe("strategy parameters (backtest), or fixed parameters of the search"),
    space: z.record(z.string(), z.union([rangeEntry, valuesEntry, paramValue])).optional(),
    method: z.enum(["grid", "random", "genetic"]).optional(),
    trials: z.number().int().min(1).max(1_000_000).optional(),
    objective: z.string().min(1).max(100).optional(),
    seed: z.number().int().optional(),
    workers: z.number().int().min(0).max(256).optional(),
    backtest: z.record(z.string(), z.unknown()).optional().describe("backtest options as JSON (latencyNs, queue, fees, ...)"),
  })
  .strict();
export type JobBody = z.infer<typeof jobBody>;

export const jobParams = z.object({ id }).strict();

// ---------------------------------------------------------------- responses (for the document)

const wireNumber = z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]);
const artifactInfo = z.object({ name: z.string(), mediaType: z.string(), bytes: z.number() });
const equity = z.object({ timeMs: z.array(z.number()), equity: z.array(wireNumber) });
const runRecord = z.object({
  id: z.string(),
  kind: runKind,
  strategy: z.string(),
  state: runState,
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  manifest: z.record(z.string(), z.unknown()),
  params: z.record(z.string(), paramValue),
  metrics: z.record(z.string(), wireNumber),
  resultHash: z.string().optional(),
  error: z.string().optional(),
  trials: z.number(),
  artifacts: z.array(artifactInfo),
  equity: equity.optional(),
});
const progress = z.object({ done: z.number(), total: z.number(), eventsPerSecond: z.number(), etaMs: wireNumber, etaSeconds: wireNumber.describe("deprecated: etaMs / 1000, sent for one version"), best: z.union([z.number(), z.null(), z.string()]) });
export const jobSchema = z.object({ id: z.string(), runId: z.string(), kind: z.enum(["optimize", "backtest"]), strategy: z.string(), state: jobState, createdAt: z.string(), progress, error: z.string().optional() });
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string(), field: z.string().optional() }) });
const trial = z.object({ index: z.number(), window: z.number(), phase: z.enum(["search", "oos"]), params: z.record(z.string(), paramValue), status: z.enum(["ok", "infeasible", "failed"]), objective: wireNumber, metrics: z.record(z.string(), wireNumber) });

export const responses = {
  health: z.object({ ok: z.literal(true), version: z.string(), store: z.object({ kind: z.string(), location: z.string() }) }),
  runs: z.object({ runs: z.array(runRecord), total: z.number() }),
  run: z.object({ run: runRecord }),
  trials: z.object({ trials: z.array(trial), total: z.number() }),
  compare: z.object({ a: runRecord, b: runRecord, metrics: z.array(z.object({ name: z.string(), a: wireNumber, b: wireNumber, diff: wireNumber })) }),
  strategies: z.object({ strategies: z.array(z.object({ name: z.string(), description: z.string(), params: z.array(z.object({ name: z.string(), type: z.string(), default: paramValue, min: z.number().optional(), max: z.number().optional(), step: z.number().optional(), choices: z.array(z.union([z.string(), z.number()])).optional() })) })) }),
  datasets: z.object({ datasets: z.array(z.object({ name: z.string(), path: z.string(), format: z.string(), bytes: z.number(), rows: z.number().optional() })) }),
  job: z.object({ job: jobSchema }),
  jobs: z.object({ jobs: z.array(jobSchema) }),
  error: errorBody,
};
