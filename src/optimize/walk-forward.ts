/**
 * Walk-forward windows over the data's time axis.
 *
 *   rolling:   |--- IS ---|gap|-OOS-|
 *                    |--- IS ---|gap|-OOS-|
 *   anchored:  |--- IS -----|gap|-OOS-|
 *              |--- IS ----------|gap|-OOS-|
 *
 * Each window optimizes on its in-sample (IS) rows and evaluates the chosen parameters on its
 * out-of-sample (OOS) rows; OOS windows follow each other without overlap, so their returns stitch
 * into one out-of-sample series. The gap between IS end and OOS start is `purge + embargo`:
 * - purge: IS outcomes within this horizon of the OOS start could overlap OOS outcomes (a position
 *   opened in-sample and closed out-of-sample, a label computed over the next N seconds), so those
 *   IS rows are dropped (López de Prado, Advances in Financial Machine Learning, 2018, §7.4.1);
 * - embargo: an extra margin against serial correlation between the end of the IS data and the OOS
 *   data (ibid. §7.4.2; there it follows the test set, here IS always precedes OOS, so it widens
 *   the same gap).
 * So every IS row has time < OOS start − purge − embargo: parameters chosen for a window never see
 * data from the window, the gap, or anything later.
 *
 * Lengths: either explicit durations (`inSample`, `outOfSample`), or `windows` k and `ratio` r
 * (IS = r × OOS), with OOS = (span − gap) / (r + k) so the k OOS windows end at the data's end.
 */
import { LabError, parseDuration, type Nanos } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import type { TickBatch } from "../data/index.js";
import type { RowRange } from "./types.js";

export interface WalkForwardSpec {
  /** "rolling": IS has a fixed length; "anchored": IS always starts at the beginning. @default "rolling" */
  mode?: "rolling" | "anchored";
  /** Number of OOS windows. @default 4 (or as many as fit explicit durations) */
  windows?: number;
  /** IS length / OOS length when durations are not given. @default 3 */
  ratio?: number;
  /** IS length (duration: "30m", ns as number/bigint). Needs `outOfSample`. */
  inSample?: string | number | bigint;
  /** OOS length. */
  outOfSample?: string | number | bigint;
  /** Gap removing IS rows whose outcomes could overlap OOS. @default 0 */
  purge?: string | number | bigint;
  /** Extra gap against serial correlation. @default 0 */
  embargo?: string | number | bigint;
  /** Time axis. @default "localTs" (what a strategy sees) */
  time?: "localTs" | "exchTs";
}

export interface WalkForwardWindow {
  index: number;
  /** IS time span [isStartNs, isEndNs) and OOS span [oosStartNs, oosEndNs). */
  isStartNs: Nanos;
  isEndNs: Nanos;
  oosStartNs: Nanos;
  oosEndNs: Nanos;
  inSample: RowRange;
  outOfSample: RowRange;
}

const KEYS = ["mode", "windows", "ratio", "inSample", "outOfSample", "purge", "embargo", "time"] as const;

function bad(message: string, hint: string, option?: string): LabError {
  return new LabError({ code: "BAD_WALK_FORWARD", message, hint, context: option === undefined ? {} : { option } });
}

function duration(value: string | number | bigint | undefined, option: string): bigint {
  if (value === undefined) return 0n;
  const ns = parseDuration(typeof value === "number" ? Math.round(value) : value);
  if (ns < 0n) throw bad(`${option} must not be negative`, `e.g. ${option}: "1s"`, option);
  return ns;
}

/** First row in [from, to) whose time is ≥ t (binary search; times are non-decreasing). */
function lowerBound(time: BigInt64Array, from: number, to: number, t: bigint): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Parses the CLI form `rolling:windows=4,ratio=3,purge=1s,embargo=500ms` (or JSON). */
export function parseWalkForward(text: string): WalkForwardSpec {
  const t = text.trim();
  if (t.startsWith("{")) {
    try {
      return JSON.parse(t) as WalkForwardSpec;
    } catch (error) {
      throw bad(`walk-forward spec is not valid JSON: ${(error as Error).message}`, `e.g. '{"mode":"rolling","windows":4}'`);
    }
  }
  const [head = "", rest = ""] = t.includes(":") ? [t.slice(0, t.indexOf(":")), t.slice(t.indexOf(":") + 1)] : t.includes("=") ? ["rolling", t] : [t, ""];
  if (head !== "rolling" && head !== "anchored") throw bad(`walk-forward mode must be "rolling" or "anchored", got "${head}"`, "e.g. rolling:windows=4,ratio=3,embargo=1s");
  const spec: WalkForwardSpec = { mode: head };
  for (const part of rest.split(",").filter((p) => p.trim() !== "")) {
    const [k = "", v = ""] = part.split("=").map((s) => s.trim());
    switch (k) {
      case "windows":
      case "ratio": {
        const n = Number(v);
        if (v === "" || !Number.isFinite(n)) throw bad(`walk-forward ${k} must be a number, got "${v}"`, `e.g. ${k}=4`, k);
        spec[k] = n;
        break;
      }
      case "inSample":
      case "outOfSample":
      case "purge":
      case "embargo":
        spec[k] = v;
        break;
      case "time":
        if (v !== "localTs" && v !== "exchTs") throw bad(`walk-forward time must be localTs or exchTs, got "${v}"`, "e.g. time=localTs", k);
        spec.time = v;
        break;
      default:
        throw bad(`unknown walk-forward key "${k}"`, `keys: ${KEYS.join(", ")}`, k);
    }
  }
  return spec;
}

/** The windows of `spec` over rows `range` of `data` (all rows by default). */
export function walkForwardWindows(data: TickBatch, spec: WalkForwardSpec, range: RowRange = { start: 0, end: data.length }): WalkForwardWindow[] {
  checkOptionKeys(spec, KEYS, "walkForward");
  const mode = spec.mode ?? "rolling";
  if (mode !== "rolling" && mode !== "anchored") throw bad(`mode must be "rolling" or "anchored", got ${JSON.stringify(mode)}`, 'e.g. mode: "anchored"', "mode");
  const column = spec.time ?? "localTs";
  const time = data[column];
  const { start, end } = range;
  if (end - start < 2) throw bad(`walk-forward needs data, got ${end - start} rows`, "pass more data");
  for (let i = start + 1; i < end; i++) {
    if (time[i]! < time[i - 1]!) {
      throw new LabError({ code: "UNSORTED_TIME", message: `${column} decreases at row ${i} (${time[i]} < ${time[i - 1]})`, hint: `sort the data by ${column} (lab.data.mergeBatches sorts by localTs), or use time: "${column === "localTs" ? "exchTs" : "localTs"}"`, context: { row: i, column } });
    }
  }
  const t0 = time[start]!;
  const t1 = time[end - 1]! + 1n;
  const span = t1 - t0;
  const gap = duration(spec.purge, "purge") + duration(spec.embargo, "embargo");
  let isLen: bigint;
  let oosLen: bigint;
  let k: number;
  if (spec.inSample !== undefined || spec.outOfSample !== undefined) {
    if (spec.inSample === undefined || spec.outOfSample === undefined) throw bad("give both inSample and outOfSample durations (or neither, and use windows/ratio)", 'e.g. inSample: "30m", outOfSample: "10m"');
    isLen = duration(spec.inSample, "inSample");
    oosLen = duration(spec.outOfSample, "outOfSample");
    if (isLen <= 0n || oosLen <= 0n) throw bad("inSample and outOfSample must be positive durations", 'e.g. inSample: "30m", outOfSample: "10m"');
    const fit = span - isLen - gap <= 0n ? 0 : Number((span - isLen - gap) / oosLen);
    k = spec.windows === undefined ? fit : Math.min(fit, spec.windows);
    if (k < 1) throw bad(`no window fits: the data spans ${Number(span) / 1e9} s, one window needs ${Number(isLen + gap + oosLen) / 1e9} s`, "use shorter inSample/outOfSample or more data");
  } else {
    k = spec.windows ?? 4;
    const r = spec.ratio ?? 3;
    if (!Number.isInteger(k) || k < 1) throw bad(`windows must be an integer ≥ 1, got ${k}`, "e.g. windows: 4", "windows");
    if (!(r > 0)) throw bad(`ratio must be positive, got ${r}`, "e.g. ratio: 3 (in-sample three times as long as out-of-sample)", "ratio");
    if (span <= gap) throw bad(`the purge + embargo gap (${Number(gap) / 1e9} s) is not shorter than the data (${Number(span) / 1e9} s)`, "use a smaller gap");
    // Fixed-point so a fractional ratio stays exact enough: OOS = (span − gap) / (r + k).
    const scale = 1_000_000n;
    oosLen = ((span - gap) * scale) / BigInt(Math.round((r + k) * 1_000_000));
    isLen = (oosLen * BigInt(Math.round(r * 1_000_000))) / scale;
  }
  if (spec.windows !== undefined && (!Number.isInteger(spec.windows) || spec.windows < 1)) throw bad(`windows must be an integer ≥ 1, got ${spec.windows}`, "e.g. windows: 4", "windows");
  const out: WalkForwardWindow[] = [];
  for (let i = 0; i < k; i++) {
    const oosStart = t0 + isLen + gap + BigInt(i) * oosLen;
    const oosEnd = i === k - 1 && spec.inSample === undefined ? t1 : oosStart + oosLen;
    const isEnd = oosStart - gap;
    const isStart = mode === "anchored" ? t0 : isEnd - isLen;
    const w: WalkForwardWindow = {
      index: i,
      isStartNs: isStart,
      isEndNs: isEnd,
      oosStartNs: oosStart,
      oosEndNs: oosEnd,
      inSample: { start: lowerBound(time, start, end, isStart), end: lowerBound(time, start, end, isEnd) },
      outOfSample: { start: lowerBound(time, start, end, oosStart), end: lowerBound(time, start, end, oosEnd) },
    };
    if (w.inSample.end - w.inSample.start < 1 || w.outOfSample.end - w.outOfSample.start < 1) {
      throw bad(`walk-forward window ${i} has ${w.inSample.end - w.inSample.start} in-sample and ${w.outOfSample.end - w.outOfSample.start} out-of-sample rows`, "use fewer windows or longer durations");
    }
    out.push(w);
  }
  return out;
}
