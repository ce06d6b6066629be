/**
 * Fills as the strategy saw them, in the columns of hftbacktest's reference fills CSV
 * (../shared/data/reference/hftbacktest-1.8.4/mm_squareprob_fills.csv):
 *
 *   step_local_ts_ns, exch_fill_ts_ns, order_id, side, exec_price_tick, exec_qty
 *
 * `step_local_ts_ns` is the local time at which the strategy acted on the fill: for a strategy on a
 * fixed-step clock (`stepNs`), the first point of its grid at or after the report's arrival (the
 * step whose processing included it, as `while elapse(step)` does), else the arrival itself. Rows
 * are ordered by that time, then by order id (the reference reads its orders dictionary, in id
 * order, at each step). `order_id` counts from 1 in the order sent (our ids count from 0), and
 * `exec_qty` is in instrument units with the lot size's decimals.
 */
import { LabError } from "../core/index.js";
import type { BacktestResult } from "./result.js";
import type { TimeBase } from "./clock.js";
import type { LocalView } from "./local.js";

interface Reports {
  local: LocalView;
  time: TimeBase;
}

const REPORTS = new WeakMap<BacktestResult, Reports>();

/** Keeps the strategy's fill reports beside a result (backtest() calls this). */
export function attachFillReports(result: BacktestResult, local: LocalView, time: TimeBase): void {
  REPORTS.set(result, { local, time });
}

/** What the strategy did, as hftbacktest's reference summary counts it: fixed-step iterations and cancels sent. */
export function strategyCounts(result: BacktestResult): { steps: number; cancelsSent: number } {
  const found = REPORTS.get(result);
  if (!found) throw new LabError({ code: "BAD_OPTION", message: "this result keeps no strategy counters (a streamed or restored run)", hint: "use an in-memory backtest (lab.backtest)", context: {} });
  return { steps: found.local.steps, cancelsSent: found.local.cancelsSent };
}

export interface FillsCsvOptions {
  /** The strategy's step (ns): rows are stamped with the first step at or after each report's arrival. */
  stepNs?: number;
  /** Where the step grid starts: "firstRow" (the data's first row) or "start" (the run's start). @default the run's everyOrigin */
  origin?: "start" | "firstRow";
}

export function fillsCsv(result: BacktestResult, options: FillsCsvOptions = {}): string {
  const found = REPORTS.get(result);
  if (!found) {
    throw new LabError({ code: "BAD_OPTION", message: "this result keeps no fill reports (a streamed or restored run)", hint: "write the fills CSV from an in-memory backtest (lab.backtest / strategy-lab backtest --data)", context: { option: "fillsCsv" } });
  }
  const { local, time } = found;
  const r = local.orders.reports;
  const spec = result.instruments[0]!;
  const lot = Number(spec.lotSize);
  const decimals = (spec.lotSize.split(".")[1] ?? "").length;
  const step = options.stepNs;
  const origin = (options.origin ?? local.everyOrigin) === "firstRow" ? local.firstRowT : local.startT;
  const rows: { at: number; order: number; j: number }[] = [];
  for (let j = 0; j < r.length; j++) {
    const t = r.localT[j]!;
    const at = step !== undefined && step > 0 ? origin + Math.ceil((t - origin) / step) * step : t;
    rows.push({ at, order: r.order[j]!, j });
  }
  rows.sort((a, b) => a.at - b.at || a.order - b.order || a.j - b.j);
  const lines = ["step_local_ts_ns,exch_fill_ts_ns,order_id,side,exec_price_tick,exec_qty"];
  for (const { at, order, j } of rows) {
    const side = result.orders.side[order]!;
    lines.push(`${time.toBigInt(at)},${time.toBigInt(r.exchT[j]!)},${order + 1},${side},${r.price[j]},${(r.qty[j]! * lot).toFixed(decimals)}`);
  }
  return lines.join("\n") + "\n";
}
