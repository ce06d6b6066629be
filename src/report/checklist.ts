/**
 * The research checklist of a backtest or an optimization: has the input been checked, are fees
 * and latency on, does the queue model suit the data, were the parameters judged out of sample,
 * is the trial count known and the Sharpe ratio deflated by it, is the probability of backtest
 * overfitting computed, is the track record long enough for its Sharpe ratio, are there enough
 * trades for the parameters chosen. Each item is pass / warn / fail with the figures behind it and
 * the one call that fixes it; with it comes a complexity score (free parameters, combinations
 * searched, trades per free parameter, how sharply the objective falls off around the chosen
 * grid point). Thresholds and the reasons for them: docs/research.md.
 *
 * A checklist is a plain object that shows itself in a notebook (the display protocol of
 * src/core/display.ts) and prints as text; `JSON.stringify` gives its items.
 */
import { LabError, attachDisplay, calendarOf, periodsPerSessionOf, registerDisplay, type InstrumentSpec } from "../core/index.js";
import { EventKind, validate, type TickBatch } from "../data/index.js";
import { BacktestResult, normalizeBacktestOptions, type BacktestOptions } from "../engine/index.js";
import { OptimizationResult, overfitting, type OverfittingReport, type StrategyBacktestOptions, type TrialRecord } from "../optimize/index.js";
import { countedChanges, equityGrid, expectedMaxSharpe, minTrackRecordLength, probabilisticSharpe, sessionPeriods, sharpeMoments, probabilisticSharpeFromMoments, type TrialsInfo } from "../stats/index.js";
import { escapeHtml, panel } from "./html.js";

export type CheckStatus = "pass" | "warn" | "fail";

export type ChecklistItemId = "data-validated" | "fees-latency" | "queue-model" | "out-of-sample" | "trials-dsr" | "pbo" | "track-record" | "trades-per-parameter" | "complexity";

export interface ChecklistItem {
  id: ChecklistItemId;
  /** What the item checks, in a few words. */
  title: string;
  status: CheckStatus;
  /** Why, with the figures. */
  reason: string;
  /** The one call that fixes it (absent on a pass). */
  fix?: string;
  /** The figures the status was decided on. */
  figures: Record<string, number | string | boolean>;
}

/** How much the objective changes one grid step away from the chosen point, per searched parameter. */
export interface ParameterSensitivity {
  parameter: string;
  /** Neighbouring grid points found (same other parameters, the next value down and up). */
  neighbours: number;
  /** Largest |objective(neighbour) − objective(chosen)| / |objective(chosen)|; NaN without neighbours or with a chosen objective of 0. */
  maxRelativeChange: number;
  /** Largest |objective(neighbour) − objective(chosen)|. */
  maxChange: number;
}

export interface ComplexityScore {
  /** Parameters searched (more than one value tried); for a single backtest, the strategy's parameters. */
  freeParameters: number;
  /** Parameter sets tried: the sweep's trial count (1 for a backtest given no trials). */
  combinations: number;
  /** Fills of the chosen run (NaN when the evaluator reports no trades). */
  trades: number;
  /** Return periods the statistics are computed on. */
  periods: number;
  /** trades / freeParameters (Infinity with no free parameter). */
  tradesPerParameter: number;
  /** Per searched parameter (sweeps on a grid); empty for a single backtest. */
  sensitivity: ParameterSensitivity[];
  /** Largest relative change over all parameters (NaN when none could be measured). */
  maxRelativeChange: number;
  status: CheckStatus;
  /** Plain-words warnings (empty when the degrees of freedom look sound). */
  warnings: string[];
}

export interface Checklist {
  /** What was checked. */
  subject: "backtest" | "optimization";
  title: string;
  items: ChecklistItem[];
  complexity: ComplexityScore;
  /** Items per status. */
  counts: Record<CheckStatus, number>;
  /** The worst status of any item. */
  status: CheckStatus;
  /** One item by id. */
  item(id: ChecklistItemId): ChecklistItem | undefined;
  html(): string;
  toString(): string;
  toJSON(): ChecklistJson;
}

export interface ChecklistJson {
  subject: Checklist["subject"];
  title: string;
  status: CheckStatus;
  counts: Record<CheckStatus, number>;
  items: ChecklistItem[];
  complexity: ComplexityScore;
}

/** Thresholds of the checklist (docs/research.md says why). */
export const CHECKLIST_THRESHOLDS = {
  /** DSR at or above this passes. */
  dsr: 0.95,
  /** PBO at or below: pass; up to `pboFail`: warn; above: fail. */
  pboPass: 0.25,
  pboFail: 0.5,
  /** Confidence of the minimum track record length (PSR against a Sharpe ratio of 0). */
  trackRecordConfidence: 0.95,
  /** Trades per free parameter: at least `tradesPass` passes, below `tradesFail` fails. */
  tradesPass: 30,
  tradesFail: 10,
  /** Relative change of the objective one grid step away above which the peak is called sharp. */
  sensitivity: 0.5,
  /** More free parameters than this is warned about. */
  freeParameters: 4,
} as const;

const TITLES: Record<ChecklistItemId, string> = {
  "data-validated": "data validated",
  "fees-latency": "fees and latency on",
  "queue-model": "queue model suits the data",
  "out-of-sample": "out-of-sample evaluated",
  "trials-dsr": "trial count recorded, DSR computed",
  pbo: "PBO computed",
  "track-record": "minimum track record reached",
  "trades-per-parameter": "enough trades for the parameters",
  complexity: "complexity",
};

const T = CHECKLIST_THRESHOLDS;

function item(id: ChecklistItemId, status: CheckStatus, reason: string, figures: ChecklistItem["figures"], fix?: string): ChecklistItem {
  return { id, title: TITLES[id], status, reason, ...(fix !== undefined && status !== "pass" ? { fix } : {}), figures };
}

const n0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : String(x));
const f = (x: number, d = 3): string => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const worse = (a: CheckStatus, b: CheckStatus): CheckStatus => (a === "fail" || b === "fail" ? "fail" : a === "warn" || b === "warn" ? "warn" : "pass");

// ---------------------------------------------------------------------------------------------
// Items shared by backtests and sweeps

interface CostFacts {
  latency: string;
  fees: string;
  instruments: readonly InstrumentSpec[];
  feesPaid?: number;
  trades?: number;
}

/** A constant latency of 0 both ways is the engine's default: orders arrive the instant they are sent. */
const zeroLatency = (name: string): boolean => /^constant\(0, 0\)$/.test(name);

function feesLatencyItem(c: CostFacts, fixCall: (opts: string) => string): ChecklistItem {
  const instrumentFees = c.fees === "instrument";
  const feeless = c.fees === "none" || (instrumentFees && c.instruments.length > 0 && c.instruments.every((i) => i.makerFee === 0 && i.takerFee === 0));
  const noLatency = zeroLatency(c.latency);
  const figures: ChecklistItem["figures"] = { latency: c.latency, fees: c.fees, ...(c.feesPaid !== undefined ? { feesPaid: c.feesPaid } : {}) };
  const feeText = instrumentFees ? `the instruments' fees (${c.instruments.map((i) => `${i.symbol} maker ${i.makerFee}, taker ${i.takerFee}`).join("; ") || "none listed"})` : `fees ${c.fees}`;
  const paid = c.feesPaid !== undefined ? `, ${f(c.feesPaid, 2)} paid over ${n0(c.trades ?? 0)} fills` : "";
  if (!feeless && !noLatency) return item("fees-latency", "pass", `latency ${c.latency}; ${feeText}${paid}`, figures);
  const missing = [...(noLatency ? ["order latency is 0 (orders reach the exchange the instant they are sent)"] : []), ...(feeless ? [`no fees are charged (${feeText})`] : [])];
  const opts = [...(noLatency ? ["latencyNs: 50_000"] : []), ...(feeless ? ["fees: { maker: -0.0001, taker: 0.0004 }"] : [])].join(", ");
  return item("fees-latency", "fail", `${missing.join("; ")}: fills and PnL are better than any venue gives`, figures, fixCall(`{ ${opts} }`));
}

function queueItem(book: "l2" | "l3", queue: string, dataL3: boolean | undefined, fixCall: (opts: string) => string): ChecklistItem {
  const figures = { book, queue, ...(dataL3 !== undefined ? { orderByOrderData: dataL3 } : {}) };
  if (book === "l3") {
    return queue === "l3Fifo"
      ? item("queue-model", "pass", "order-by-order (L3) data with exact FIFO queue positions (l3Fifo)", figures)
      : item("queue-model", "warn", `order-by-order (L3) data with queue model ${queue}: l3Fifo tracks the exact place in the queue`, figures, fixCall(`{ queue: "l3Fifo" }`));
  }
  if (dataL3) return item("queue-model", "warn", `the data is order-by-order (L3) but was replayed as price levels (book "l2") with queue model ${queue}: the exact FIFO position is thrown away`, figures, fixCall(`{ book: "auto" }`));
  return item("queue-model", "pass", `price-level (L2) data: queue position estimated from level sizes by ${queue}${queue === "riskAverse" ? " (the conservative model: joins at the back, advances only on trades)" : ""}`, figures);
}

interface DsrFacts {
  returns: Float64Array;
  trials: TrialsInfo | undefined;
}

function trialsItem(d: DsrFacts, subject: "backtest" | "optimization", fix: string): ChecklistItem {
  const psr = probabilisticSharpe(d.returns);
  if (!d.trials) {
    return item("trials-dsr", "warn", `the number of parameter sets tried before this one is not recorded, so the Sharpe ratio is not deflated (PSR ${f(psr)} assumes this was the only trial)`, { probabilisticSharpe: psr, periods: d.returns.length }, fix);
  }
  const m = sharpeMoments(d.returns);
  const sr0 = expectedMaxSharpe(d.trials.count, d.trials.sharpeVariance);
  const dsr = probabilisticSharpeFromMoments(m, sr0);
  const figures = { trials: d.trials.count, sharpeVariance: d.trials.sharpeVariance, expectedMaxSharpe: sr0, sharpePerPeriod: m.sharpe, deflatedSharpe: dsr, periods: d.returns.length };
  if (!Number.isFinite(dsr)) return item("trials-dsr", "fail", `${n0(d.trials.count)} trials recorded, but the DSR is undefined for these returns (${d.returns.length} periods${Number.isFinite(m.sharpe) ? "" : ", constant or too short"})`, figures, subject === "optimization" ? "lab.optimize({ ..., backtest: { equityIntervalNs: 1_000_000_000 } }) (more return periods)" : fix);
  if (dsr >= T.dsr) return item("trials-dsr", "pass", `${n0(d.trials.count)} trials recorded; DSR ${f(dsr)} ≥ ${T.dsr}: the per-period Sharpe ${f(m.sharpe, 4)} beats the ${f(sr0, 4)} expected of the best of ${n0(d.trials.count)} unskilled trials`, figures);
  return item("trials-dsr", "warn", `${n0(d.trials.count)} trials recorded; DSR ${f(dsr)} < ${T.dsr}: the per-period Sharpe ${f(m.sharpe, 4)} is not clearly above the ${f(sr0, 4)} expected of the best of ${n0(d.trials.count)} unskilled trials`, figures, "search fewer parameter sets or test on more data: lab.optimize({ ..., space: { /* fewer values */ } })");
}

function pboItem(of: OverfittingReport | undefined): ChecklistItem {
  if (!of) return item("pbo", "warn", "not a sweep: the probability of backtest overfitting needs the trials of a parameter search; if these parameters came from one, pass it", {}, "run.checklist({ trials: sweep }), or lab.optimize({ data, strategy, space })");
  const figures = { pbo: of.pbo, partitions: of.partitions, trials: of.matrixTrials, periods: of.periods };
  if (!Number.isFinite(of.pbo)) return item("pbo", "fail", `PBO could not be computed (${of.notes.filter((x) => /PBO/.test(x)).join("; ") || `${of.matrixTrials} trials × ${of.periods} periods`})`, figures, "lab.optimize({ ..., space: { /* at least 2 values */ } }) with at least 2 trials and 4 return periods");
  const text = `PBO ${f(of.pbo)} over ${n0(of.matrixTrials)} trials × ${n0(of.periods)} periods (${of.partitions} CSCV blocks)`;
  if (of.pbo <= T.pboPass) return item("pbo", "pass", `${text} ≤ ${T.pboPass}: the in-sample best usually stays above the median out of sample`, figures);
  return item("pbo", of.pbo > T.pboFail ? "fail" : "warn", `${text} > ${of.pbo > T.pboFail ? T.pboFail : T.pboPass}: the in-sample best ${of.pbo > T.pboFail ? "more often than not" : "often"} falls below the median out of sample`, figures, "search fewer parameter sets: lab.optimize({ ..., space: { /* fewer values or parameters */ } })");
}

function trackRecordItem(returns: Float64Array, periodsPerSession: number, fix: string): ChecklistItem {
  const m = sharpeMoments(returns);
  const minTrl = minTrackRecordLength(returns, { confidence: T.trackRecordConfidence });
  const n = returns.length;
  const sessions = (p: number): string => (Number.isFinite(periodsPerSession) && periodsPerSession > 0 ? ` (${f(p / periodsPerSession, 2)} sessions)` : "");
  const figures = { periods: n, minTrackRecordLength: minTrl, sharpePerPeriod: m.sharpe, confidence: T.trackRecordConfidence };
  if (Number.isNaN(minTrl)) return item("track-record", "fail", `the minimum track record length is undefined for ${n} return periods (constant or too short)`, figures, fix);
  if (minTrl === Infinity) return item("track-record", "fail", `the per-period Sharpe ratio ${f(m.sharpe, 4)} is not above 0: no track record length makes it significant`, figures, "a strategy with a positive Sharpe ratio; more data does not help");
  if (n >= minTrl) return item("track-record", "pass", `${n0(n)} periods ≥ the ${n0(Math.ceil(minTrl))} needed for PSR ≥ ${T.trackRecordConfidence} at a per-period Sharpe of ${f(m.sharpe, 4)}`, figures);
  return item("track-record", "warn", `${n0(n)} periods${sessions(n)} < the ${n0(Math.ceil(minTrl))}${sessions(minTrl)} needed for PSR ≥ ${T.trackRecordConfidence} at a per-period Sharpe of ${f(m.sharpe, 4)}`, figures, fix);
}

function tradesItem(trades: number, params: number, fix: string): ChecklistItem {
  const per = params > 0 ? trades / params : Infinity;
  const figures = { trades, freeParameters: params, tradesPerParameter: per };
  if (!Number.isFinite(trades)) return item("trades-per-parameter", "warn", `the evaluator reports no trade count for ${params} free parameter(s)`, figures, "report a trades metric from the evaluator");
  if (params === 0) return item("trades-per-parameter", "pass", `no free parameters; ${n0(trades)} trades`, figures);
  const text = `${n0(trades)} trades for ${params} free parameter${params === 1 ? "" : "s"}: ${f(per, 1)} per parameter`;
  if (per >= T.tradesPass) return item("trades-per-parameter", "pass", `${text} ≥ ${T.tradesPass}`, figures);
  return item("trades-per-parameter", per < T.tradesFail ? "fail" : "warn", `${text} < ${per < T.tradesFail ? T.tradesFail : T.tradesPass}: each parameter is fitted to a handful of trades`, figures, fix);
}

function complexityItem(c: ComplexityScore): ChecklistItem {
  const figures = { freeParameters: c.freeParameters, combinations: c.combinations, trades: c.trades, tradesPerParameter: c.tradesPerParameter, maxRelativeChange: c.maxRelativeChange };
  const head = `${c.freeParameters} free parameter${c.freeParameters === 1 ? "" : "s"}, ${n0(c.combinations)} combination${c.combinations === 1 ? "" : "s"} searched, ${f(c.tradesPerParameter, 1)} trades per parameter${Number.isFinite(c.maxRelativeChange) ? `, objective changes up to ${f(c.maxRelativeChange * 100, 0)}% one grid step away` : ""}`;
  return item("complexity", c.status, c.warnings.length ? `${head}: ${c.warnings.join("; ")}` : head, figures, "fewer free parameters (fix some in the space) or more data: lab.optimize({ ..., space: { /* fewer parameters */ } })");
}

// ---------------------------------------------------------------------------------------------
// Complexity

/**
 * Neighbours of the chosen trial on the grid: for each parameter, the trials with every other
 * parameter equal and this one at the next tried value down or up.
 */
export function parameterSensitivity(trials: readonly TrialRecord[], chosen: TrialRecord, names: readonly string[]): ParameterSensitivity[] {
  const usable = trials.filter((t) => t.status !== "failed" && Number.isFinite(t.objective));
  const key = (t: TrialRecord, skip: string): string => names.map((n) => (n === skip ? "" : JSON.stringify(t.params[n]))).join("|");
  return names.map((name) => {
    const mine = key(chosen, name);
    const line = usable.filter((t) => key(t, name) === mine);
    const values = [...new Set(line.map((t) => t.params[name]))];
    const numeric = values.every((v) => typeof v === "number");
    if (numeric) (values as number[]).sort((a, b) => a - b);
    const at = values.indexOf(chosen.params[name]!);
    const near = numeric && at >= 0 ? [values[at - 1], values[at + 1]].filter((v) => v !== undefined) : values.filter((v) => v !== chosen.params[name]);
    let maxChange = NaN;
    let count = 0;
    for (const v of near) {
      const t = line.find((x) => x.params[name] === v);
      if (!t) continue;
      count++;
      const d = Math.abs(t.objective - chosen.objective);
      if (!(d <= maxChange)) maxChange = d;
    }
    const scale = Math.abs(chosen.objective);
    return { parameter: name, neighbours: count, maxChange, maxRelativeChange: count > 0 && scale > 0 ? maxChange / scale : NaN };
  });
}

function complexityOf(freeParameters: number, combinations: number, trades: number, periods: number, sensitivity: ParameterSensitivity[]): ComplexityScore {
  const tradesPerParameter = freeParameters > 0 ? trades / freeParameters : Infinity;
  const measured = sensitivity.filter((s) => Number.isFinite(s.maxRelativeChange));
  const maxRelativeChange = measured.length ? Math.max(...measured.map((s) => s.maxRelativeChange)) : NaN;
  const warnings: string[] = [];
  let status: CheckStatus = "pass";
  if (freeParameters > 0 && tradesPerParameter < T.tradesPass) {
    warnings.push(`${f(tradesPerParameter, 1)} trades per free parameter (< ${T.tradesPass})`);
    status = worse(status, tradesPerParameter < T.tradesFail ? "fail" : "warn");
  }
  if (freeParameters > T.freeParameters) {
    warnings.push(`${freeParameters} free parameters (> ${T.freeParameters}): every one added multiplies the ways to fit noise`);
    status = worse(status, "warn");
  }
  if (combinations > 1 && Number.isFinite(trades) && combinations > trades) {
    warnings.push(`${n0(combinations)} combinations searched for ${n0(trades)} trades: more parameter sets than observations`);
    status = worse(status, "warn");
  }
  for (const s of measured) {
    if (s.maxRelativeChange > T.sensitivity) {
      warnings.push(`${s.parameter}: the objective changes by ${f(s.maxRelativeChange * 100, 0)}% one grid step away (> ${T.sensitivity * 100}%): a sharp peak`);
      status = worse(status, "warn");
    }
  }
  return { freeParameters, combinations, trades, periods, tradesPerParameter, sensitivity, maxRelativeChange, status, warnings };
}

// ---------------------------------------------------------------------------------------------
// The object

function statusMark(s: CheckStatus): string {
  return s === "pass" ? "✓" : s === "warn" ? "!" : "✗";
}

function checklistText(c: ChecklistJson): string {
  const lines = [`research checklist (${c.subject}): ${c.counts.pass} pass, ${c.counts.warn} warn, ${c.counts.fail} fail`];
  for (const i of c.items) {
    lines.push(`  ${statusMark(i.status)} ${i.status.padEnd(4)} ${i.title}: ${i.reason}`);
    if (i.fix) lines.push(`         fix: ${i.fix}`);
  }
  return lines.join("\n");
}

/** A few lines for a terminal: the counts, then each item that did not pass with its fix. */
export function checklistBrief(c: Checklist | ChecklistJson): string {
  const lines = [`checklist: ${c.counts.pass} pass, ${c.counts.warn} warn, ${c.counts.fail} fail`];
  for (const i of c.items) if (i.status !== "pass") lines.push(`  ${i.status} ${i.title}${i.fix ? ` → ${i.fix}` : ""}`);
  return lines.join("\n");
}

const COLORS: Record<CheckStatus, string> = { pass: "#1a7f37", warn: "#9a6700", fail: "#cf222e" };

/** The checklist as an HTML table (status, item, reason, fix) and the complexity figures. */
export function checklistHtml(c: ChecklistJson): string {
  const rows = c.items
    .map((i) => `<tr><td class="txt" style="color:${COLORS[i.status]};font-weight:600;white-space:nowrap">${statusMark(i.status)} ${i.status}</td><td class="txt">${escapeHtml(i.title)}</td><td class="txt" style="white-space:normal;max-width:520px">${escapeHtml(i.reason)}</td><td class="txt" style="white-space:normal;max-width:360px">${i.fix ? `<code>${escapeHtml(i.fix)}</code>` : ""}</td></tr>`)
    .join("");
  const cx = c.complexity;
  const sens = cx.sensitivity.length ? ` · sensitivity ${cx.sensitivity.map((s) => `${s.parameter} ${Number.isFinite(s.maxRelativeChange) ? `${f(s.maxRelativeChange * 100, 0)}%` : "n/a"}`).join(", ")}` : "";
  const head = `<div class="slab-checklist-head"><b>Research checklist</b> (${c.subject}): ${c.counts.pass} pass · ${c.counts.warn} warn · ${c.counts.fail} fail</div>`;
  const complexity = `<div class="note">complexity: ${cx.freeParameters} free parameter${cx.freeParameters === 1 ? "" : "s"} · ${n0(cx.combinations)} combination${cx.combinations === 1 ? "" : "s"} · ${n0(cx.trades)} trades · ${f(cx.tradesPerParameter, 1)} trades per parameter${escapeHtml(sens)}</div>`;
  return `${head}<table class="slab-checklist"><thead><tr><th class="txt">status</th><th class="txt">item</th><th class="txt">why</th><th class="txt">fix</th></tr></thead><tbody>${rows}</tbody></table>${complexity}`;
}

function makeChecklist(subject: Checklist["subject"], title: string, items: ChecklistItem[], complexity: ComplexityScore): Checklist {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const i of items) counts[i.status]++;
  const status = items.reduce<CheckStatus>((s, i) => worse(s, i.status), "pass");
  const json = (): ChecklistJson => ({ subject, title, status, counts, items, complexity });
  const list: Checklist = {
    subject,
    title,
    items,
    complexity,
    counts,
    status,
    item: (id) => items.find((i) => i.id === id),
    html: () => panel(checklistHtml(json()), "slab-checklist-panel"),
    toString: () => checklistText(json()),
    toJSON: json,
  };
  for (const k of ["item", "html", "toString", "toJSON"] as const) Object.defineProperty(list, k, { enumerable: false });
  return attachDisplay(list, "research-checklist");
}

registerDisplay("research-checklist", (value) => {
  const c = value as Checklist;
  return { "text/html": c.html(), "text/plain": c.toString() };
});

// ---------------------------------------------------------------------------------------------
// Backtests

export interface ChecklistOptions {
  /**
   * The trials tried before picking these parameters: `{ count, sharpeVariance }` or the sweep they
   * came from (its trial count, Sharpe variance and PBO are taken).
   */
  trials?: TrialsInfo | OptimizationResult;
}

/** PnL per counted grid period of a run: what its Sharpe ratio, PSR and DSR are computed from (as the tear sheet does). */
export function runChanges(run: BacktestResult): Float64Array {
  const grid = equityGrid(run.equity.ts, run.equity.equity, run.settings.equityIntervalNs);
  const hours = calendarOf(run.instruments.map((i) => i.venue)).tradingHours;
  const counted = grid.times.length > 0 ? sessionPeriods(grid.times[0]!, grid.intervalNs, grid.values.length, hours) : undefined;
  return countedChanges(grid.values, counted);
}

function sweepTrialsInfo(of: OverfittingReport): TrialsInfo | undefined {
  return of.trialCount >= 1 && of.sharpeVariance >= 0 ? { count: of.trialCount, sharpeVariance: of.sharpeVariance } : undefined;
}

function searchedParameters(sweep: OptimizationResult): string[] {
  return sweep.paramNames.filter((n) => new Set(sweep.trials.map((t) => JSON.stringify(t.params[n]))).size > 1);
}

/** The research checklist of a backtest (`run.checklist(options)`). */
export function runChecklist(run: BacktestResult, options: ChecklistOptions = {}): Checklist {
  if (!(run instanceof BacktestResult)) throw new LabError({ code: "BAD_OPTION", message: "checklist: expected a BacktestResult (what lab.backtest returns)", hint: "for a sweep, call sweep.checklist()" });
  const s = run.summary;
  const call = (opts: string): string => `lab.backtest(data, strategy, ${opts})`;
  const items: ChecklistItem[] = [];

  const ic = run.inputCheck;
  if (!ic) items.push(item("data-validated", "warn", "the input check was off: the data went into the run unchecked", { rowsChecked: 0 }, call(`{ check: "warn" }`)));
  else {
    const figures: ChecklistItem["figures"] = { rowsChecked: ic.rowsChecked, issues: ic.total, ...Object.fromEntries(Object.entries(ic.counts).map(([k, v]) => [`issues.${k}`, v ?? 0])) };
    const perClass = Object.entries(ic.counts).map(([k, v]) => `${k} ${n0(v ?? 0)}`).join(", ");
    const errors = ic.issues.some((i) => i.severity === "error") || ic.readIssues.some((i) => i.severity === "error");
    if (ic.total === 0) items.push(item("data-validated", "pass", `${n0(ic.rowsChecked)} rows checked (${ic.mode}), no issues`, figures));
    else items.push(item("data-validated", errors ? "fail" : "warn", `${n0(ic.total)} issue${ic.total === 1 ? "" : "s"} in ${n0(ic.rowsChecked)} rows: ${perClass}`, figures, "lab.data.validate(batch) for the full report; backtest its .clean rows"));
  }

  items.push(feesLatencyItem({ latency: run.settings.latency, fees: run.settings.fees, instruments: run.instruments, feesPaid: s.fees, trades: s.trades }, call));
  items.push(queueItem(run.settings.book, run.settings.queue, undefined, call));
  items.push(item("out-of-sample", "warn", "one in-sample backtest: the parameters were not evaluated on data they were not chosen on", { walkForwardWindows: 0 }, 'lab.optimize({ data, strategy, space, walkForward: "rolling:windows=4" })'));

  const sweep = options.trials instanceof OptimizationResult ? options.trials : undefined;
  const of = sweep ? overfitting(sweep) : undefined;
  const trials = sweep ? sweepTrialsInfo(of!) : (options.trials as TrialsInfo | undefined);
  const changes = runChanges(run);
  items.push(trialsItem({ returns: changes, trials }, "backtest", "run.checklist({ trials: sweep }) or run.report({ trials: { count, sharpeVariance } })"));
  items.push(pboItem(of));
  const calendar = calendarOf(run.instruments.map((i) => i.venue));
  items.push(trackRecordItem(changes, periodsPerSessionOf(calendar, run.settings.equityIntervalNs), "backtest a longer range of data: lab.backtest(moreData, strategy, options)"));

  const free = sweep ? searchedParameters(sweep).length : Object.keys(s.params).length;
  items.push(tradesItem(s.trades, free, "more data or fewer free parameters: lab.backtest(moreData, strategy, options)"));
  const complexity = complexityOf(free, sweep ? sweep.trialCount : (trials?.count ?? 1), s.trades, changes.length, []);
  items.push(complexityItem(complexity));
  const params = Object.entries(s.params).map(([k, v]) => `${k}=${String(v)}`).join(", ");
  return makeChecklist("backtest", `${s.strategy}(${params}) on ${run.instruments.map((i) => i.symbol).join("+")}`, items, complexity);
}

// ---------------------------------------------------------------------------------------------
// Sweeps

/** What a sweep's checklist reads besides the result: its data and backtest options. */
export interface SweepContext {
  /** The data the sweep ran on: input check, order-by-order or price levels, instruments' fees. */
  data?: TickBatch;
  /** The backtest options of its trials (fees, latency, queue, book). */
  backtest?: StrategyBacktestOptions | BacktestOptions;
  /** False for a sweep of a custom evaluator (no engine settings to check). @default true when data is given */
  engine?: boolean;
}

/** Hidden on an `OptimizationResult` made by `lab.optimize`: its data and backtest options. */
export const SWEEP_CONTEXT: unique symbol = Symbol.for("strategy-lab.sweep-context") as never;

/** Remembers a sweep's data and backtest options for its checklist (not enumerable: JSON ignores it). */
export function rememberSweepContext(sweep: OptimizationResult, context: SweepContext): OptimizationResult {
  Object.defineProperty(sweep, SWEEP_CONTEXT, { value: context, enumerable: false, configurable: true, writable: true });
  return sweep;
}

/** kind → 1 for the order-by-order kinds (the engine replays a batch with any of them as L3). */
const L3_KIND = new Uint8Array(256);
for (const k of [EventKind.Add, EventKind.Reduce, EventKind.Modify, EventKind.Delete, EventKind.Execute]) L3_KIND[k] = 1;

function isOrderByOrder(data: TickBatch): boolean {
  const kind = data.kind;
  for (let i = 0; i < data.length; i++) if (L3_KIND[kind[i]!] === 1) return true;
  return false;
}

/** The research checklist of an optimization (`sweep.checklist()`); `context` overrides what `lab.optimize` remembered. */
export function sweepChecklist(sweep: OptimizationResult, context: SweepContext = {}): Checklist {
  if (!(sweep instanceof OptimizationResult)) throw new LabError({ code: "BAD_OPTION", message: "checklist: expected an OptimizationResult (what lab.optimize returns)", hint: "for a backtest, call run.checklist()" });
  const remembered = (sweep as unknown as { [SWEEP_CONTEXT]?: SweepContext })[SWEEP_CONTEXT] ?? {};
  const ctx: SweepContext = { ...remembered, ...context };
  const data = ctx.data;
  const engine = ctx.engine ?? data !== undefined;
  const call = (opts: string): string => `lab.optimize({ ..., backtest: ${opts} })`;
  const items: ChecklistItem[] = [];

  if (!data) items.push(item("data-validated", "warn", "the sweep's data is not known here: it was not checked", {}, "sweep.checklist({ data }) or lab.data.validate(batch)"));
  else {
    const q = validate(data, { onReject: "report" });
    const total = q.issues.reduce((a, i) => a + i.count, 0);
    const figures: ChecklistItem["figures"] = { rowsChecked: q.summary.rows, issues: total, ...Object.fromEntries(q.issues.map((i) => [`issues.${i.class}`, i.count])) };
    if (total === 0) items.push(item("data-validated", "pass", `${n0(q.summary.rows)} rows validated, no issues`, figures));
    else items.push(item("data-validated", q.ok ? "warn" : "fail", `${n0(total)} issue${total === 1 ? "" : "s"} in ${n0(q.summary.rows)} rows: ${q.issues.map((i) => `${i.class} ${n0(i.count)}`).join(", ")}`, figures, "lab.data.validate(batch) for the full report; sweep its .clean rows"));
  }

  const dataL3 = data ? isOrderByOrder(data) : undefined;
  if (engine) {
    const o = normalizeBacktestOptions((ctx.backtest ?? {}) as BacktestOptions);
    items.push(feesLatencyItem({ latency: o.latency.name, fees: o.fees.name, instruments: data?.instruments ?? [] }, call));
    const book: "l2" | "l3" = o.book === "l3" || (o.book === "auto" && dataL3 === true) ? "l3" : "l2";
    items.push(queueItem(book, o.queue?.name ?? (book === "l3" ? "l3Fifo" : "riskAverse"), dataL3, call));
  } else {
    items.push(item("fees-latency", "warn", "a custom evaluator: fees and latency are whatever it models", {}, "lab.optimize({ data, strategy, space, backtest: { latencyNs: 50_000 } }) to run trials on the engine"));
    items.push(item("queue-model", "warn", "a custom evaluator: no queue model is known", {}, "lab.optimize({ data, strategy, space }) to run trials on the engine"));
  }

  const of = overfitting(sweep);
  const wf = sweep.walkForward;
  const stitched = wf ? sweep.stitchedOutOfSample() : undefined;
  if (wf) {
    const ws = sweep.windows;
    const evaluated = ws.filter((w) => w.oos !== undefined && w.oos.status !== "failed").length;
    const oos = ws.map((w) => w.oosObjective).filter((x) => Number.isFinite(x));
    const mean = oos.length ? oos.reduce((a, b) => a + b, 0) / oos.length : NaN;
    const figures = { walkForwardWindows: ws.length, evaluatedWindows: evaluated, scoredWindows: oos.length, meanOosObjective: mean, oosPeriods: stitched!.returns.length };
    const unscored = ws.filter((w) => w.oos !== undefined && w.oos.status !== "failed" && !Number.isFinite(w.oosObjective)).map((w) => w.index);
    if (evaluated === ws.length && evaluated > 0 && unscored.length > 0) items.push(item("out-of-sample", "warn", `walk-forward: ${evaluated} windows evaluated out of sample, but the ${sweep.objective.name} of window${unscored.length === 1 ? "" : "s"} ${unscored.join(", ")} is undefined there (too few periods or no change)`, figures, 'longer out-of-sample windows: lab.optimize({ ..., walkForward: "rolling:windows=4,ratio=2" })'));
    else if (evaluated === ws.length && evaluated > 0) items.push(item("out-of-sample", "pass", `walk-forward: ${evaluated} out-of-sample windows, mean OOS ${sweep.objective.name} ${f(mean, 4)} over ${n0(stitched!.returns.length)} stitched periods`, figures));
    else items.push(item("out-of-sample", "warn", `walk-forward: ${evaluated} of ${ws.length} windows evaluated out of sample (windows ${stitched!.missingWindows.join(", ")} have none)`, figures, 'lab.optimize({ ..., walkForward: "rolling:windows=4" }) over more data'));
  } else {
    items.push(item("out-of-sample", "fail", `the chosen parameters were picked and scored on the same data (${sweep.method} search, ${n0(sweep.trialCount)} trials, no walk-forward)`, { walkForwardWindows: 0 }, 'lab.optimize({ ..., walkForward: "rolling:windows=4" })'));
  }

  // A walk-forward's last window may have no feasible trial: the latest window that has one.
  const best = sweep.best ?? [...sweep.windows].reverse().find((w) => w.best)?.best;
  const bestReturns = best?.periodReturns ?? new Float64Array(0);
  // The DSR of what will be traded: the stitched out-of-sample returns of a walk-forward, else the chosen trial's.
  const dsrReturns = stitched && stitched.returns.length > 1 ? stitched.returns : bestReturns;
  const trials = sweepTrialsInfo(of);
  const trialsInfo = trials && stitched && stitched.returns.length > 1 ? { count: Math.max(1, sweep.trialCount), sharpeVariance: trials.sharpeVariance } : trials;
  if (!trialsInfo) items.push(item("trials-dsr", "fail", `${n0(sweep.trialCount)} trials recorded, but the DSR needs a Sharpe variance across at least 2 trials (${of.notes.join("; ") || "none"})`, { trials: sweep.trialCount }, "lab.optimize({ ..., space: { /* at least 2 values */ } })"));
  else items.push(trialsItem({ returns: dsrReturns, trials: trialsInfo }, "optimization", "lab.optimize({ ..., space: { /* fewer values */ } })"));
  items.push(pboItem(of));

  const interval = Number((ctx.backtest as BacktestOptions | undefined)?.equityIntervalNs ?? 1e9);
  const pps = data ? periodsPerSessionOf(calendarOf(data.instruments.map((i) => i.venue)), interval) : NaN;
  items.push(trackRecordItem(dsrReturns, pps, wf ? 'more data for more out-of-sample windows: lab.optimize({ ..., walkForward: "rolling:windows=8" })' : "sweep a longer range of data"));

  const free = searchedParameters(sweep);
  const trades = best?.metrics.trades ?? NaN;
  items.push(tradesItem(trades, free.length, "fix some parameters or add data: lab.optimize({ ..., space: { /* fewer parameters */ } })"));
  const sensitivity = best ? parameterSensitivity(sweep.windowTrials(), best, free) : [];
  const complexity = complexityOf(free.length, sweep.trialCount, trades, dsrReturns.length, sensitivity);
  items.push(complexityItem(complexity));
  return makeChecklist("optimization", `${sweep.method} ${sweep.objective.direction} ${sweep.objective.name} over ${free.join(", ") || "no parameters"}`, items, complexity);
}

declare module "../engine/result.js" {
  interface BacktestResult {
    /** The research checklist of this run: each item pass / warn / fail with its reason and fix (docs/research.md). */
    checklist(options?: ChecklistOptions): Checklist;
  }
}

declare module "../optimize/result.js" {
  interface OptimizationResult {
    /** The research checklist of this sweep with its complexity score (docs/research.md). */
    checklist(context?: SweepContext): Checklist;
  }
}

Object.defineProperty(BacktestResult.prototype, "checklist", {
  value: function checklist(this: BacktestResult, options?: ChecklistOptions): Checklist {
    return runChecklist(this, options);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

Object.defineProperty(OptimizationResult.prototype, "checklist", {
  value: function checklist(this: OptimizationResult, context?: SweepContext): Checklist {
    return sweepChecklist(this, context);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
