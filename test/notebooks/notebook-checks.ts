// Checks of the figures each notebook prints. A notebook test runs the notebook headless, then the
// check for that notebook reads the exported HTML page and compares the numbers shown in its
// outputs with numbers computed here: from the data's own files (LOBSTER's orderbook file, the raw
// DBN records, the CSV samples), from the stores the notebook wrote, by hand from the formulas, or by
// calling the library directly. A figure that changes, or a page that stops showing it, fails.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { unzipSync } from "fflate";
import { decompress } from "fzstd";
import { expect } from "vitest";
import * as lab from "../../dist/index.js";
import { ROOT } from "../helpers/paths.js";

const DATA = join(ROOT, "data");

// ---------------------------------------------------------------------------------------------
// Reading an exported notebook page
// ---------------------------------------------------------------------------------------------

/** An exported notebook: the text of each code cell's outputs (inputs and markdown left out). */
export interface NotebookPage {
  file: string;
  html: string;
  /** One entry per code cell, in order: its outputs as text (table cells end with " |"). */
  outputs: string[];
  /** The same outputs as HTML (for their tables). */
  outputHtml: string[];
  /** Every output, one after the other. */
  text: string;
}

/** HTML to plain text: scripts, styles and SVG dropped, table cells closed by " |", one line per row or block. */
export function htmlText(html: string): string {
  let h = html.replace(/<script\b[\s\S]*?<\/script>/gi, " ").replace(/<style\b[\s\S]*?<\/style>/gi, " ").replace(/<svg\b[\s\S]*?<\/svg>/gi, " ");
  h = h.replace(/<\/(td|th)>/gi, " | ").replace(/<\/(tr|p|div|pre|h\d|li|caption|summary)>/gi, "\n").replace(/<br\s*\/?>/gi, "\n").replace(/<[^>]+>/g, "");
  h = h
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&nbsp;/g, " ")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&");
  return h
    .split("\n")
    .map((l) => l.replace(/[ \t]+/g, " ").trim())
    .filter(Boolean)
    .join("\n");
}

/** Reads an exported notebook page (nbconvert's lab template) into the outputs of its code cells. */
export function readNotebookPage(file: string): NotebookPage {
  const html = readFileSync(file, "utf8");
  const outputs: string[] = [];
  const outputHtml: string[] = [];
  for (const cell of html.split(/<div class="jp-Cell /).slice(1)) {
    if (!cell.startsWith("jp-CodeCell")) continue;
    const at = cell.indexOf('<div class="jp-Cell-outputWrapper');
    outputHtml.push(at < 0 ? "" : cell.slice(at));
    outputs.push(at < 0 ? "" : htmlText(cell.slice(at)));
  }
  return { file, html, outputs, outputHtml, text: outputs.join("\n") };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The value of a two-column row "label | value |" (lab.show.summary, key-value tables); the first such row in `text`. */
export function field(text: string, label: string): string {
  const m = new RegExp(`(?:^|\\n)${escapeRegExp(label)} \\| ([^\\n]*?) \\|`).exec(text);
  if (!m) expect.fail(`no row "${label} | ... |" in the notebook's output:\n${text.slice(0, 2000)}`);
  return m[1]!;
}

/** The tables in `html`: caption and rows of cell texts (the header row first). */
export function tables(html: string): { caption: string; rows: string[][] }[] {
  const out: { caption: string; rows: string[][] }[] = [];
  for (const table of html.match(/<table\b[\s\S]*?<\/table>/gi) ?? []) {
    const caption = /<caption\b[^>]*>([\s\S]*?)<\/caption>/i.exec(table);
    const rows = (table.match(/<tr\b[\s\S]*?<\/tr>/gi) ?? []).map((tr) => Array.from(tr.matchAll(/<t[hd]\b[^>]*>([\s\S]*?)<\/t[hd]>/gi), (m) => htmlText(m[1]!).replace(/\n/g, " ")));
    out.push({ caption: caption ? htmlText(caption[1]!) : "", rows });
  }
  return out;
}

/**
 * Data rows of the first table in `html` whose header row is `header` ("a | b | c |", as the text
 * shows it) and, when given, whose caption contains `caption`.
 */
export function tableRows(html: string, header: string, caption?: string): string[][] {
  const want = header.replace(/ \|$/, "").split(" | ");
  const found = tables(html).find((t) => t.rows[0]?.join("\u0000") === want.join("\u0000") && (caption === undefined || t.caption.includes(caption)));
  if (!found) expect.fail(`no table with header "${header}"${caption ? ` and caption "${caption}"` : ""}; tables: ${tables(html).map((t) => `${t.caption}: ${t.rows[0]?.join(" | ")}`).join("; ")}`);
  return found.rows.slice(1);
}

/** The first match of `re` in `text` (fails the test, showing the text, when there is none). */
export function match(text: string, re: RegExp): RegExpExecArray {
  const m = re.exec(text);
  if (!m) expect.fail(`nothing matches ${re} in the notebook's output:\n${text.slice(0, 3000)}`);
  return m;
}

/** A number as shown: "1,234.5", "-2,708.38 USD", "52.39%" (→ 52.39), "1.79e-33", "$12.3". */
export function shownNumber(shown: string): number {
  const m = /[-−]?\$?[\d,]*\.?\d+(?:e[-+]?\d+)?/i.exec(shown.trim());
  if (!m) expect.fail(`not a number: "${shown}"`);
  return Number(m[0].replace(/[,$]/g, "").replace("−", "-"));
}

/**
 * `shown` is `value` at the precision it is shown with: a figure printed with d decimals must lie
 * within half a unit of its last digit of the computed value ("52.39%" is value × 100). With
 * significant figures (1.79e-33), within half a unit of the last significant digit.
 */
export function expectShown(shown: string, value: number, what: string): void {
  const text = shown.trim();
  const number = shownNumber(text);
  const target = /%/.test(text) ? value * 100 : value;
  const mantissa = /([\d,]*)(?:\.(\d+))?(?:e([-+]?\d+))?/i.exec(text.replace(/^[^\d]*/, ""))!;
  const decimals = mantissa[2]?.length ?? 0;
  const exponent = mantissa[3] ? Number(mantissa[3]) : 0;
  const unit = 10 ** (exponent - decimals);
  expect(Math.abs(number - target), `${what}: shown "${shown}", computed ${target}`).toBeLessThanOrEqual(unit / 2 + Math.abs(target) * 1e-12 + 1e-300);
}

/** A count as shown ("147,916"): exactly `value`. */
export function expectCount(shown: string, value: number, what: string): void {
  expect(shownNumber(shown), `${what}: shown "${shown}"`).toBe(value);
}

// ---------------------------------------------------------------------------------------------
// The data's own files, read without the library
// ---------------------------------------------------------------------------------------------

/** A member of a zip, as text. */
function zipMember(zip: string, suffix: string): string {
  const files = unzipSync(readFileSync(zip), { filter: (f) => f.name.endsWith(suffix) });
  const name = Object.keys(files)[0];
  if (!name) throw new Error(`${zip} has no member ending in ${suffix}`);
  return new TextDecoder().decode(files[name]);
}

/** LOBSTER's message and orderbook files, parsed as LOBSTER's ReadMe describes them. */
interface LobsterFiles {
  /** Seconds after midnight (New York) per message. */
  seconds: Float64Array;
  /** Message type per message (1 add .. 7 halt). */
  type: Uint8Array;
  levels: number;
  /** Per message, per level: ask price, ask size, bid price, bid size (prices in 1e-4 USD). */
  book: Float64Array;
}

const lobsterCache = new Map<number, LobsterFiles>();

function lobsterFiles(levels: 5 | 10): LobsterFiles {
  const cached = lobsterCache.get(levels);
  if (cached) return cached;
  const zip = join(DATA, "lobster", `LOBSTER_SampleFile_GOOG_2012-06-21_${levels}.zip`);
  const messages = zipMember(zip, `message_${levels}.csv`).trim().split("\n");
  const book = zipMember(zip, `orderbook_${levels}.csv`).trim().split("\n");
  expect(book.length).toBe(messages.length);
  const seconds = new Float64Array(messages.length);
  const type = new Uint8Array(messages.length);
  messages.forEach((line, i) => {
    const cells = line.split(",");
    seconds[i] = Number(cells[0]);
    type[i] = Number(cells[1]);
  });
  const values = new Float64Array(book.length * levels * 4);
  book.forEach((line, i) => {
    const cells = line.split(",");
    for (let k = 0; k < levels * 4; k++) values[i * levels * 4 + k] = Number(cells[k]);
  });
  const files = { seconds, type, levels, book: values };
  lobsterCache.set(levels, files);
  return files;
}

/** Level k (0 = best) of one side of LOBSTER's book after message i; undefined where the level is empty. */
function lobsterLevel(f: LobsterFiles, i: number, side: "bid" | "ask", k: number): { price: number; size: number } | undefined {
  const at = i * f.levels * 4 + k * 4 + (side === "ask" ? 0 : 2);
  const price = f.book[at]!;
  const size = f.book[at + 1]!;
  // LOBSTER marks an empty level with a dummy price of ±9999999999 and size 0.
  if (Math.abs(price) >= 9_999_999_999 || size === 0) return undefined;
  return { price: price / 10_000, size };
}

/** Index of the last message at or before `seconds` after midnight. */
function lastMessageAtOrBefore(f: LobsterFiles, seconds: number): number {
  let i = -1;
  while (i + 1 < f.seconds.length && f.seconds[i + 1]! <= seconds) i++;
  return i;
}

/** Lines of a CSV file without its header. */
function csvRows(file: string): string[][] {
  return readFileSync(file, "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
}

// ---------------------------------------------------------------------------------------------
// Numbers by hand
// ---------------------------------------------------------------------------------------------

/** Standard normal CDF (erfc by the continued-fraction-free Chebyshev fit of Numerical Recipes, |error| < 1.2e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Mean, sample standard deviation (n − 1), per-period Sharpe, skewness and raw kurtosis (population moments). */
function moments(x: ArrayLike<number>): { n: number; mean: number; sd: number; sharpe: number; skew: number; kurt: number } {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  const sd = Math.sqrt(m2 / (n - 1));
  const pop2 = m2 / n;
  return { n, mean, sd, sharpe: mean / sd, skew: m3 / n / pop2 ** 1.5, kurt: m4 / n / pop2 ** 2 };
}

/** PSR of a per-period Sharpe against `benchmark` (Bailey & López de Prado 2012), raw kurtosis. */
function psr(m: { n: number; sharpe: number; skew: number; kurt: number }, benchmark: number): number {
  const sr = m.sharpe;
  return normalCdf(((sr - benchmark) * Math.sqrt(m.n - 1)) / Math.sqrt(1 - m.skew * sr + ((m.kurt - 1) / 4) * sr * sr));
}

/** Expected maximum Sharpe of `n` unskilled trials with Sharpe variance `variance` (Bailey & López de Prado 2014). */
function expectedMaxSharpe(n: number, variance: number): number {
  const gamma = 0.5772156649015329;
  return Math.sqrt(variance) * ((1 - gamma) * normalQuantile(1 - 1 / n) + gamma * normalQuantile(1 - 1 / (n * Math.E)));
}

/** Largest fall of `equity` below its running peak, as a fraction of the peak. */
function maxDrawdown(equity: ArrayLike<number>): number {
  let peak = -Infinity, worst = 0;
  for (let i = 0; i < equity.length; i++) {
    peak = Math.max(peak, equity[i]!);
    worst = Math.max(worst, (peak - equity[i]!) / peak);
  }
  return worst;
}

/** PnL of a run from its fills alone (cash paid and received, fees), marking any open position at `mark`. */
function ledgerPnl(fills: { side: ArrayLike<number>; price: ArrayLike<number>; qty: ArrayLike<number>; fee: ArrayLike<number> }, multiplier: number, mark = 0): number {
  let cash = 0, position = 0;
  for (let i = 0; i < fills.side.length; i++) {
    cash -= fills.side[i]! * fills.price[i]! * fills.qty[i]! * multiplier + fills.fee[i]!;
    position += fills.side[i]! * fills.qty[i]!;
  }
  return cash + position * mark * multiplier;
}

// ---------------------------------------------------------------------------------------------
// 00-welcome
// ---------------------------------------------------------------------------------------------

function checkWelcome(page: NotebookPage): void {
  const html = page.html;
  expect(html).toMatch(/<table>.*<caption>Simulated quotes \(seed 42\)<\/caption>/s);
  expect(html).toMatch(/<svg[^>]*class="plot-/);
  // Plotly is inlined exactly once and the chart calls it; no network URL in any src/href.
  expect(html.split("window.Plotly = Plotly").length - 1).toBe(1);
  expect(html).toContain("window.Plotly.newPlot(");
  expect(html).not.toMatch(/\b(src|href)\s*=\s*["'`]?(https?:)?\/\//i);
  // The progress bar's final state replaced its earlier states in place.
  expect(html).toMatch(/random walk 100% 3,000,000\/3,000,000 steps .* in \d+s final value/);
  expect(html.match(/random walk \d+% /g)).toHaveLength(1);
  expect(html).toMatch(/OFF_TICK<\/b>: price 5537\.30 is not a multiple of tick size 0\.25/);
  // The table shows the seeded walk: its first mid, computed here with the same seed.
  const rng = lab.rng(42);
  const firstMid = Math.round((100 + rng.normal(0, 0.02)) * 100) / 100;
  const spread = 0.01 * (1 + rng.int(3));
  const row = match(page.text, /\n2024-08-08T23:54:15\.030314667Z \| ([\d.]+) \| ([\d.]+) \|/);
  expectShown(row[1]!, firstMid, "first simulated mid");
  expectShown(row[2]!, spread, "first simulated spread");
}

// ---------------------------------------------------------------------------------------------
// 01-ingest-and-validate
// ---------------------------------------------------------------------------------------------

async function checkIngest(page: NotebookPage): Promise<void> {
  const text = page.text;
  // Deribit: one Clear row (Tardis' snapshot reset) before the file's rows.
  const deribitRows = csvRows(join(DATA, "tardis-csv-samples", "deribit_incremental_book_L2_BTC-PERPETUAL.csv")).length;
  expect(page.outputs[0]).toContain(`${deribitRows + 1} rows; BTC-PERPETUAL tick 0.5`);

  // Binance depth CSVs: every line a level, one Clear before the snapshot; the update group does
  // not chain on the snapshot, so the one gap names the update's pu and the snapshot's last id.
  const dir = join(DATA, "binance-futures-depth-csv-samples");
  const snap = csvRows(join(dir, "btcusdt-depth-snap.csv"));
  const update = csvRows(join(dir, "btcusdt-depth-update.csv"));
  const quality = page.outputs[3]!;
  expectCount(field(quality, "rows"), snap.length + update.length + 1, "Binance rows");
  expect(field(quality, "kinds")).toBe(`LevelSet ${snap.length + update.length}, Clear 1`);
  expectCount(field(quality, "snapshot rows"), snap.length + 1, "snapshot rows");
  const gap = `previous id ${update[0]![8]}, expected ${snap[snap.length - 1]![3]}`;
  expect(quality).toContain(`Sequence gap | sequence-gap | warning | warn | 1 | row ${snap.length + 1} · aux · ${gap} |`);
  expect(page.outputs[4]).toContain(`'sequence-gap: 1 (${gap})'`);
  expect(page.outputs[4]).toContain("ok: true");

  // The generated stream: the same seed gives the same rows, and the validator finds nothing.
  const generated = lab.data.generateTicks({ events: 300_000, seed: 7, mode: "l2" });
  const genReport = lab.data.validate(generated);
  const gen = page.outputs[5]!;
  expectCount(field(gen, "rows"), generated.length, "generated rows");
  expectCount(field(gen, "messages"), genReport.summary.messages, "generated messages");
  expectCount(field(gen, "issues"), 0, "issues in the generated stream");
  let lastFlags = 0;
  for (let i = 0; i < generated.length; i++) if ((generated.flags[i]! & lab.EventFlag.Last) !== 0) lastFlags++;
  expect(genReport.summary.messages).toBe(lastFlags);

  // The bad file: the second data line's price is "61800.3O".
  const bad = page.outputs[6]!;
  expect(bad).toMatch(/error BAD_VALUE: \S+fills\.csv: row 1 \(line 3\), column "px": price is not a number \("61800\.3O"\); 1 bad row of 3/);
  expectCount(field(bad, "rows kept"), 2, "rows kept");
  expectCount(field(bad, "rows quarantined"), 1, "rows quarantined");
  expect(bad).toContain("Value cannot be parsed | type-error | error | quarantine | 1 | line 3 · px · 61800.3O |");

  // Catalog: one partition per venue/symbol/date; the minute read back equals a count over the batch.
  const day = lab.formatNs(generated.exchTs[0]!).slice(0, 10);
  expect(page.outputs[7]).toContain(`venue=SIM/symbol=SYN/date=${day} | 1 |`);
  expect(page.outputs[7]).toContain("venue=deribit/symbol=BTC-PERPETUAL/date=2020-04-01 | 1 |");
  const t0 = generated.exchTs[0]!;
  let inMinute = 0;
  for (let i = 0; i < generated.length; i++) if (generated.exchTs[i]! >= t0 + 10_000_000_000n && generated.exchTs[i]! < t0 + 70_000_000_000n) inMinute++;
  expect(inMinute).toBeGreaterThan(0);
  expect(page.outputs[8]).toContain(`read ${inMinute} rows for the minute, expected ${inMinute}`);

  // Arrow round trip.
  expect(page.outputs[9]).toContain(`${deribitRows + 1} exchTs:Int64 localTs:Int64 kind:Uint8`);
  expect(page.outputs[9]).toContain("identical prices: true");
  expect(text).not.toContain("identical prices: false");
}

// ---------------------------------------------------------------------------------------------
// 02-order-book
// ---------------------------------------------------------------------------------------------

async function checkOrderBook(page: NotebookPage): Promise<void> {
  const f = lobsterFiles(10);
  const f5 = lobsterFiles(5);
  const n = f.seconds.length;
  const day = "2012-06-21";
  // LOBSTER times are seconds after midnight New York (EDT = UTC−4 in June).
  const utc = (s: number) => lab.formatNs(lab.parseIso(`${day}T00:00:00Z`) + BigInt(Math.round((s + 4 * 3600) * 1e9)));

  const head = page.outputs[0]!;
  expectCount(field(head, "messages"), n, "messages");
  expectCount(field(head, "levels in the reference book"), 10, "levels");
  expect(field(head, "first message (UTC)").slice(0, 23)).toBe(utc(f.seconds[0]!).slice(0, 23));
  expect(field(head, "last message (UTC)").slice(0, 23)).toBe(utc(f.seconds[n - 1]!).slice(0, 23));
  const types = ["add", "partialCancel", "delete", "execute", "hiddenExecute", "cross", "halt"];
  types.forEach((name, t) => expectCount(field(head, name), f.type.filter((x) => x === t + 1).length, `${name} messages`));

  // Verification: every row after the first compared, no mismatch, and the figures the library reports.
  const goog = lab.data.readLobster({ messages: join(DATA, "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip") });
  const goog5 = lab.data.readLobster({ messages: join(DATA, "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip") });
  const [v10, v5] = page.outputs[1]!.split("L = 5: levels 1-4 after every message");
  for (const [shown, report, rows] of [
    [v10!, lab.book.verifyLobster(goog, { levels: 10 }), n - 1],
    [v5!, lab.book.verifyLobster(goog5, { levels: 5 }), f5.seconds.length - 1],
  ] as const) {
    expectCount(field(shown, "rows"), rows, "rows verified");
    expectCount(field(shown, "mismatches"), 0, "mismatches");
    expectCount(field(shown, "cells compared"), report.compared, "cells compared");
    expectCount(field(shown, "not comparable (entered the window from beyond it)"), report.notComparable, "cells not comparable");
    expect(report.mismatches).toBe(0);
  }

  const l2 = lab.book.lobsterL2Batch(goog);
  expectCount(field(page.outputs[2]!, "L2 rows"), l2.batch.length, "L2 rows");
  expectCount(field(page.outputs[2]!, "level-L sizes seeded from the reference"), l2.seeded, "seeded sizes");
  expectCount(field(page.outputs[2]!, "corrections on levels 1-9"), 0, "corrections");

  // The order-by-order replay compared every listed level of LOBSTER's book after every message.
  let listed = 0;
  for (let i = 0; i < n; i++) for (const side of ["bid", "ask"] as const) for (let k = 0; k < 10; k++) if (lobsterLevel(f, i, side, k)) listed++;
  expectCount(field(page.outputs[3]!, "levels compared"), listed, "levels compared");
  expectCount(field(page.outputs[3]!, "mismatched"), 0, "mismatched levels");

  // The queue at the close: LOBSTER's last best bid, and (all orders shown) its size.
  const closeBid = lobsterLevel(f, n - 1, "bid", 0)!;
  const caption = match(page.outputs[4]!, /GOOG bid ([\d.]+) at the close: (\d+) orders/);
  expect(Number(caption[1])).toBe(closeBid.price);
  const queue = tableRows(page.outputHtml[4]!, "order id | size | size ahead |");
  expect(queue).toHaveLength(Number(caption[2]));
  if (queue.length <= 12) expect(queue.reduce((a, r) => a + shownNumber(r[1]!), 0)).toBe(closeBid.size);

  // Ladders: the book after the last message at or before each instant, from the orderbook file.
  for (const [at, seconds] of [["09:30:05", 9.5 * 3600 + 5], ["12:00:00", 12 * 3600], ["15:59:00", 15 * 3600 + 59 * 60]] as const) {
    const i = lastMessageAtOrBefore(f, seconds);
    const rows = tableRows(page.outputHtml[5]!, "bid total | bid size | price | ask size | ask total |", `GOOG at ${at} New York`);
    expect(rows).toHaveLength(12);
    const asks = rows.slice(0, 6).reverse();
    const bids = rows.slice(6);
    for (let k = 0; k < 6; k++) {
      const ask = lobsterLevel(f, i, "ask", k)!;
      const bid = lobsterLevel(f, i, "bid", k)!;
      expect([shownNumber(asks[k]![2]!), shownNumber(asks[k]![3]!)], `${at} ask level ${k + 1}`).toEqual([ask.price, ask.size]);
      expect([shownNumber(bids[k]![2]!), shownNumber(bids[k]![1]!)], `${at} bid level ${k + 1}`).toEqual([bid.price, bid.size]);
    }
  }

  // Features at noon from the orderbook row: spread, level-1 microprice, 5-level imbalance.
  const noon = lastMessageAtOrBefore(f, 12 * 3600);
  const a1 = lobsterLevel(f, noon, "ask", 0)!, b1 = lobsterLevel(f, noon, "bid", 0)!;
  let bidSize = 0, askSize = 0;
  for (let k = 0; k < 5; k++) {
    bidSize += lobsterLevel(f, noon, "bid", k)!.size;
    askSize += lobsterLevel(f, noon, "ask", k)!.size;
  }
  const features = match(page.outputs[6]!, /\{ spread: '([\d.]+)', microprice: '([\d.]+)', imbalance5: '(-?[\d.]+)' \}/);
  expectShown(features[1]!, a1.price - b1.price, "spread at noon");
  expectShown(features[2]!, (b1.price * a1.size + a1.price * b1.size) / (a1.size + b1.size), "microprice at noon");
  expectShown(features[3]!, (bidSize - askSize) / (bidSize + askSize), "5-level imbalance at noon");

  // One sample per minute that has messages; the book is never crossed or locked.
  const minutes = new Set(Array.from(f.seconds, (s) => Math.floor(s / 60))).size;
  expect(page.outputs[7]).toContain(`{ samples: ${minutes}, crossed: 0, locked: 0,`);
}

// ---------------------------------------------------------------------------------------------
// 03-backtest
// ---------------------------------------------------------------------------------------------

/** "pnl X fees Y trades Z" of a BacktestResult's text, checked against the result's summary. */
function expectResultLine(shown: string, run: lab.BacktestResult, what: string): void {
  const m = match(shown, /pnl (-?[\d,.]+) fees (-?[\d,.]+) trades ([\d,]+) maker ([\d.]+)%/);
  expectShown(m[1]!, run.summary.pnl, `${what} pnl`);
  expectShown(m[2]!, run.summary.fees, `${what} fees`);
  expectCount(m[3]!, run.summary.trades, `${what} trades`);
  expectShown(m[4]! + "%", run.summary.makerShare, `${what} maker share`);
}

async function checkBacktest(page: NotebookPage): Promise<void> {
  const f = lobsterFiles(10);
  const lobster = lab.data.readLobster({ messages: join(DATA, "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_10.zip") });
  const goog = lab.book.lobsterL2Batch(lobster).batch;
  expect(page.outputs[1]).toContain(`${f.seconds.length.toLocaleString("en-US")} messages → ${goog.length.toLocaleString("en-US")} level rows of GOOG, tick 0.01`);
  expect(page.outputs[2]).toMatch(/GOOG: the book crossed \(best bid > best ask\)/);

  const nasdaq = lab.fees.perUnit({ maker: -0.002, taker: 0.003 });
  const imbalance = lab.strategies.imbalance({ threshold: 0.3, cooldownMs: 100, maxPosition: 5 });
  const latencies = [0, 50_000, 500_000, 5_000_000, 50_000_000];
  const runs = latencies.map((latencyNs) => lab.backtest(goog, imbalance, { latencyNs, fees: nasdaq }));
  expectResultLine(page.outputs[3]!, runs[1]!, "imbalance on GOOG");
  const byLatency = tableRows(page.outputHtml[4]!, "latency (µs) | pnl | trades | fees | max drawdown |");
  expect(byLatency.map((r) => shownNumber(r[0]!))).toEqual(latencies.map((ns) => ns / 1000));
  byLatency.forEach((r, i) => {
    const s = runs[i]!.summary;
    expectShown(r[1]!, s.pnl, `pnl at ${latencies[i]} ns`);
    expectCount(r[2]!, s.trades, `trades at ${latencies[i]} ns`);
    expectShown(r[3]!, s.fees, `fees at ${latencies[i]} ns`);
    expectShown(r[4]!, s.maxDrawdown, `max drawdown at ${latencies[i]} ns`);
  });
  // Each fill pays the taker fee per share: fees are the shares traded × 0.003.
  const first = runs[0]!;
  const shares = Array.from(first.fills.qty).reduce((a, q) => a + q, 0);
  expect(first.summary.fees).toBeCloseTo(shares * 0.003, 9);

  const mmGoog = lab.backtest(goog, lab.strategies.marketMaker({ maxPosition: 5 }), { latencyNs: 50_000, fees: nasdaq, queue: "prob" });
  expectShown(field(page.outputs[5]!, "pnl"), mmGoog.summary.pnl, "market maker pnl");
  expectCount(field(page.outputs[5]!, "trades"), mmGoog.summary.trades, "market maker trades");
  // Every fill earns the maker rebate: fees are minus the shares traded × 0.002.
  const mmShares = Array.from(mmGoog.fills.qty).reduce((a, q) => a + q, 0);
  expectShown(field(page.outputs[5]!, "fees (− = rebates)"), -mmShares * 0.002, "market maker rebates");
  const googL3 = lab.book.lobsterL3Batch(lobster);
  const mmL3 = lab.backtest(googL3.batch, lab.strategies.marketMaker({ maxPosition: 5 }), { latencyNs: 50_000, fees: nasdaq });
  const books = tableRows(page.outputHtml[6]!, "book | queue | fills | pnl | crossed event groups | warnings |");
  expect(books.map((r) => r[1])).toEqual(["prob(n=3)", "l3Fifo"]);
  [mmGoog, mmL3].forEach((run, i) => {
    expectCount(books[i]![2]!, run.summary.trades, `fills (${books[i]![0]})`);
    expectShown(books[i]![3]!, run.summary.pnl, `pnl (${books[i]![0]})`);
    expectCount(books[i]![4]!, 0, "crossed event groups");
    expectCount(books[i]![5]!, 0, "warnings");
  });

  const futures = await lab.data.readFile(join(DATA, "binance", "usdm_futures_btcusdt_20240808.gz"), { format: "binance-raw" });
  expect(page.outputs[7]).toContain(`${futures.length.toLocaleString("en-US")} rows, maker fee 0.0002, taker fee 0.0005`);
  const binance = { latencyNs: 2_000_000, feedLatencyNs: 5_000_000 };
  const maker = lab.strategies.marketMaker({ maxPosition: 5, requoteMs: 20 });
  const queues = ["riskAverse", "prob", "log"] as const;
  const byQueue = queues.map((queue) => lab.backtest(futures, maker, { ...binance, queue }));
  const queueRows = tableRows(page.outputHtml[8]!, "queue | fills | maker share | pnl | fees |");
  expect(queueRows.map((r) => r[0])).toEqual([...queues]);
  queueRows.forEach((r, i) => {
    const run = byQueue[i]!;
    expectCount(r[1]!, run.summary.trades, `fills (${queues[i]})`);
    expectShown(r[3]!, run.summary.pnl, `pnl (${queues[i]})`);
    expectShown(r[4]!, run.summary.fees, `fees (${queues[i]})`);
    // The base tier's 0.02 % maker fee on every (maker) fill's notional.
    const notional = Array.from(run.fills.price).reduce((a, p, j) => a + p * run.fills.qty[j]!, 0);
    expect(run.summary.fees).toBeCloseTo(notional * 0.0002, 6);
  });

  const withRebate = lab.backtest(futures, maker, { ...binance, queue: "prob", fees: { maker: -0.0001, taker: 0.0004 } });
  const fees = tableRows(page.outputHtml[9]!, "schedule | pnl | fees |");
  expectShown(fees[0]![1]!, byQueue[1]!.summary.pnl, "base tier pnl");
  expectShown(fees[1]![1]!, withRebate.summary.pnl, "rebate pnl");
  expectShown(fees[1]![2]!, withRebate.summary.fees, "rebate fees");
  // Same quotes and fills, so the PnL differs by exactly the fee difference.
  expect(withRebate.summary.pnl - byQueue[1]!.summary.pnl).toBeCloseTo(byQueue[1]!.summary.fees - withRebate.summary.fees, 6);

  const bounce = lab.backtest(futures, lab.strategies.bidAskBounce({ entryTimeoutMs: 200 }), { ...binance, fees: { maker: -0.0001, taker: 0.0004 } });
  expect(page.outputs[10]).toContain(`Fills (${bounce.fills.ts.length})`);
  expectResultLine(page.outputs[10]!, bounce, "bid-ask bounce");
  // It ends flat, so its PnL is the cash its fills paid and received, less fees.
  expect(bounce.summary.finalPosition[0]).toBe(0);
  expect(ledgerPnl(bounce.fills, 1)).toBeCloseTo(bounce.summary.pnl, 6);

  const spot = await lab.data.readFile(join(DATA, "binance", "spot_btcusdt_20240808.gz"), { format: "binance-raw" });
  const both = lab.backtest([futures, spot], lab.strategies.imbalance({ threshold: 0.6, cooldownMs: 500, size: 1 }), binance);
  const two = tableRows(page.outputHtml[11]!, "instrument | final position (lots) | fills |");
  expect(two.map((r) => r[0])).toEqual(both.instruments.map((s) => `${s.symbol}@${s.venue}`));
  two.forEach((r, k) => {
    expectCount(r[1]!, both.summary.finalPosition[k]!, `final position ${r[0]}`);
    const fills = Array.from(both.fills.instrument ?? []).filter((i) => i === k);
    expectCount(r[2]!, fills.length, `fills ${r[0]}`);
  });
}

// ---------------------------------------------------------------------------------------------
// 04-optimize
// ---------------------------------------------------------------------------------------------

async function checkOptimize(page: NotebookPage): Promise<void> {
  const f = lobsterFiles(5);
  const lobster = lab.data.readLobster({ messages: join(DATA, "lobster", "LOBSTER_SampleFile_GOOG_2012-06-21_5.zip") });
  const ticks = lab.book.lobsterL2Batch(lobster).batch;
  expect(page.outputs[0]).toContain(`GOOG 2012-06-21: ${f.seconds.length.toLocaleString("en-US")} messages → ${ticks.length.toLocaleString("en-US")} L2 rows`);

  // The sweep's trials, as the store the notebook wrote holds them.
  const runId = match(page.text, /thisRun: '([^']+)'/)[1]!;
  const store = await lab.store.duckdbStore(join(DATA, "generated", "04-optimize.duckdb"));
  let trials: Awaited<ReturnType<typeof store.loadTrials>>;
  try {
    trials = await store.loadTrials(runId);
  } finally {
    await store.close();
  }
  const search = trials.filter((t) => t.phase === "search");
  const oos = trials.filter((t) => t.phase === "oos");
  expect(page.text).toMatch(new RegExp(`trialsStored: ${trials.length},\\s*searchTrials: ${search.length},\\s*outOfSample: ${oos.length}`));

  const rows = tableRows(page.outputHtml[4]!, "window | chosen | trials | isPnl | oosPnl | oosTrades | efficiency |");
  expect(rows).toHaveLength(3);
  for (const row of rows) {
    const w = Number(row[0]);
    const inWindow = search.filter((t) => t.window === w);
    expectCount(row[2]!, inWindow.length, `trials in window ${w}`);
    // The choice: the highest PnL among the trials that met the constraint (at least 20 trades).
    const feasible = inWindow.filter((t) => t.status === "ok" && t.metrics.trades! >= 20);
    const best = feasible.reduce((a, t) => (t.objective > a.objective ? t : a));
    expect(row[1]).toBe(["threshold", "cooldownMs", "levels"].map((n) => `${n}=${best.params[n]}`).join(" "));
    expectShown(row[3]!, best.objective, `in-sample pnl of window ${w}`);
    const out = oos.find((t) => t.window === w)!;
    expectShown(row[4]!, out.objective, `out-of-sample pnl of window ${w}`);
    expectCount(row[5]!, out.metrics.trades!, `out-of-sample trades of window ${w}`);
    // The chosen parameters, backtested here on the window's in-sample rows, earn the PnL shown.
    const run = lab.backtest(lab.data.sliceBatch(ticks, best.range.start, best.range.end), lab.strategies.get("imbalance")(best.params), { latencyNs: 100_000, equityIntervalNs: 60_000_000_000 });
    expectShown(row[3]!, run.summary.pnl, `in-sample pnl of window ${w}, rerun`);
  }

  // Overfitting statistics of the last window, from its trials' per-minute returns.
  const last = search.filter((t) => t.window === 2 && t.status === "ok" && t.periodReturns);
  const stats = page.outputs[5]!;
  expectCount(field(stats, "trials in the last window (N)"), search.filter((t) => t.window === 2).length, "N");
  expectCount(field(stats, "trials in all windows"), search.length, "trials in all windows");
  const sharpes = last.map((t) => moments(t.periodReturns!).sharpe).filter(Number.isFinite);
  const mean = sharpes.reduce((a, s) => a + s, 0) / sharpes.length;
  const variance = sharpes.reduce((a, s) => a + (s - mean) ** 2, 0) / (sharpes.length - 1);
  expectShown(field(stats, "variance of the trials' Sharpe ratios"), variance, "variance of the trials' Sharpe ratios");
  const n = search.filter((t) => t.window === 2).length;
  const sr0 = expectedMaxSharpe(n, variance);
  expectShown(field(stats, "expected max Sharpe of N unskilled trials (SR₀)"), sr0, "SR₀");
  // The chosen trial's Sharpe, and its PSR against SR₀: the Deflated Sharpe Ratio.
  const chosen = last.filter((t) => t.metrics.trades! >= 20).reduce((a, t) => (t.objective > a.objective ? t : a));
  const best = moments(chosen.periodReturns!);
  expectShown(field(stats, "per-minute Sharpe of the best trial"), best.sharpe, "Sharpe of the best trial");
  expectShown(field(stats, "Deflated Sharpe Ratio"), psr(best, sr0), "DSR");
}

// ---------------------------------------------------------------------------------------------
// 05-report
// ---------------------------------------------------------------------------------------------

async function checkReport(page: NotebookPage): Promise<void> {
  // The notebook's seeded returns, drawn here in the same order.
  const random = lab.rng(2024);
  const n = 756;
  const returns = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const shock = random.float() < 0.02 ? random.normal(0, 0.04) : 0;
    returns[i] = 0.0006 + random.normal(0, 0.01) + shock;
  }
  const m = moments(returns);
  const head = match(page.outputs[0]!, /756 daily returns, mean ([\d.]+) bp, sd ([\d.]+) %/);
  expectShown(head[1]!, m.mean * 1e4, "mean return (bp)");
  expectShown(head[2]!, m.sd * 100, "sd (%)");

  const equity = new Float64Array(n + 1);
  equity[0] = 1;
  for (let i = 0; i < n; i++) equity[i + 1] = equity[i]! * (1 + returns[i]!);
  const metrics = page.outputs[1]!;
  expectShown(field(metrics, "Total return"), equity[n]! - 1, "total return");
  expectShown(field(metrics, "Annual return (CAGR)"), equity[n]! ** (252 / n) - 1, "CAGR");
  expectShown(field(metrics, "Annual volatility"), m.sd * Math.sqrt(252), "annual volatility");
  expectShown(field(metrics, "Sharpe ratio (annualized)"), m.sharpe * Math.sqrt(252), "annual Sharpe");
  expectShown(field(metrics, "Max drawdown"), maxDrawdown(equity), "max drawdown");
  expectShown(field(metrics, "Skewness"), m.skew, "skewness");
  expectShown(field(metrics, "Kurtosis (raw, normal = 3)"), m.kurt, "raw kurtosis");
  expectShown(field(metrics, "Hit rate"), returns.filter((r) => r > 0).length / n, "hit rate");

  // PSR, SR₀, DSR and the minimum track record, from their formulas.
  const sr0 = expectedMaxSharpe(240, 0.0004);
  const minTrack = Math.ceil(1 + (1 - m.skew * m.sharpe + ((m.kurt - 1) / 4) * m.sharpe ** 2) * (normalQuantile(0.95) / m.sharpe) ** 2);
  const inference = page.outputs[3]!;
  expectShown(field(inference, "Sharpe ratio per period"), m.sharpe, "Sharpe per period");
  expectShown(field(inference, "Probabilistic Sharpe (vs 0)"), psr(m, 0), "PSR");
  expectShown(field(inference, "Deflated Sharpe"), psr(m, sr0), "DSR");
  expectCount(field(inference, "Minimum track record (periods)"), minTrack, "minimum track record");
  const formulas = page.outputs[4]!;
  const printed = (key: string) => Number(match(formulas, new RegExp(`\\b${key}: (-?[\\d.e-]+)`))[1]);
  expect(printed("sharpePerPeriod")).toBeCloseTo(m.sharpe, 12);
  expect(printed("expectedMaxSharpe")).toBeCloseTo(sr0, 8);
  expect(printed("psr")).toBeCloseTo(psr(m, 0), 6);
  expect(printed("dsr")).toBeCloseTo(psr(m, sr0), 6);
  expect(formulas).toContain(`minTrackRecordDays: ${minTrack},`);

  // Bootstrap: the point estimates are the sample's own; the mean block length is n^(1/3).
  const boot = page.outputs[5]!;
  expectShown(field(boot, "annual Sharpe"), m.sharpe * Math.sqrt(252), "bootstrap Sharpe estimate");
  expectShown(field(boot, "max drawdown"), maxDrawdown(equity), "bootstrap drawdown estimate");
  expectShown(field(boot, "mean block length"), Math.cbrt(n), "mean block length");

  // PBO of the synthetic sweep, with and without trial 12's edge.
  const sweepRandom = lab.rng(99);
  const rows = Array.from({ length: 1000 }, () => Float64Array.from({ length: 30 }, (_, j) => sweepRandom.normal(j === 12 ? 0.002 : 0, 0.01)));
  const pbo = lab.stats.probabilityOfOverfitting(rows, { partitions: 16 }).pbo;
  const noise = lab.stats.probabilityOfOverfitting(rows.map((row) => row.map((v, j) => (j === 12 ? v - 0.002 : v))), { partitions: 16 }).pbo;
  expect(page.outputs[6]).toContain(`PBO ${pbo.toFixed(2)}:`);
  expect(page.outputs[7]).toContain(`{ pboWithEdge: ${pbo}, pboNoiseOnly: ${noise} }`);
  // PBO counts splits: a multiple of 1 / C(16, 8).
  expect(Math.abs(pbo * 12_870 - Math.round(pbo * 12_870))).toBeLessThan(1e-6);

  // The tear sheet's Sharpe is that of the equity's changes on its daily grid.
  const pnl = new Float64Array(n);
  for (let i = 0; i < n; i++) pnl[i] = (equity[i + 1]! - equity[i]!) * 1_000_000;
  const sheet = page.outputs[8]!;
  const pm = moments(pnl);
  expectShown(field(sheet.slice(sheet.indexOf("Is the Sharpe ratio real?")), "Sharpe ratio per period"), pm.sharpe, "tear sheet Sharpe per period");
  expectShown(field(sheet, "Total return"), equity[n]! - 1, "tear sheet total return");

  // The real backtest, rerun here.
  const spec = lab.instrument({ symbol: "BTCUSDT", venue: "BINANCE_FUTURES", tickSize: "0.1", lotSize: "0.001" });
  const ticks = await lab.data.readFile(join(DATA, "binance", "usdm_futures_btcusdt_20240808.gz"), { format: "binance-raw", instrument: spec });
  const run = lab.backtest(ticks, lab.strategies.marketMaker({ gamma: 0.1, kappa: 5, minHalfSpreadTicks: 1 }), { latencyNs: 1_000_000, equityIntervalNs: 100_000_000, initialCash: 100_000 });
  expectResultLine(page.outputs[11]!, run, "market maker on BTCUSDT");
  const trading = page.outputs[12]!;
  const buys = Array.from(run.fills.side).filter((s) => s === 1).length;
  expect(field(trading, "Fills (buys / sells)")).toBe(`${run.fills.ts.length} (${buys} / ${run.fills.ts.length - buys})`);
  // Fill ratio: orders that ended filled, over the orders sent.
  const orders = run.summary.orders;
  const filledOrders = run.countStatus(lab.OrderStatus.Filled);
  expect(orders).toBe(run.orders.status.length);
  expectShown(field(trading, "Fill ratio"), filledOrders / orders, "fill ratio");
  const numbers = page.outputs[13]!;
  expect(numbers).toContain(`fillRatio: ${filledOrders / orders}`);
  const trades = lab.stats.tradeAnalytics(run.fills, run.mid, { orders });
  expect(numbers).toContain(`roundTrips: ${trades.summary.roundTrips.count},`);
  expect(numbers).toContain(`netPnl: ${trades.summary.roundTrips.netPnl},`);
  expectCount(field(trading, "Round trips (FIFO)"), trades.summary.roundTrips.count, "round trips");
}

// ---------------------------------------------------------------------------------------------
// 06-runs-and-dashboard
// ---------------------------------------------------------------------------------------------

async function checkRuns(page: NotebookPage): Promise<void> {
  const { store } = await lab.store.openRunStore(join(DATA, "generated", "06-runs.duckdb"));
  let runs: lab.store.RunRecord[];
  try {
    runs = (await (store as lab.store.RunStore).listRuns({})).runs;
  } finally {
    await store.close();
  }
  const kinds = (k: string) => runs.filter((r) => r.kind === k);
  // Five backtests recorded first, then the sweep (one run), its best backtest and the report.
  expect(kinds("backtest")).toHaveLength(6);
  expect(kinds("optimize")).toHaveLength(1);
  expect(kinds("report")).toHaveLength(1);
  expect(page.outputs[1]).toMatch(/^5 of 5 runs$/m);
  expect(page.outputs[6]).toMatch(new RegExp(`^3 of ${runs.length} runs$`, "m"));

  // The first five backtests, with the metrics the store holds for them.
  const first = [...kinds("backtest")].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).slice(0, 5);
  const listed = tableRows(page.outputHtml[1]!, "id | kind | strategy | state | createdAt | params | pnl | sharpe | psr | trades | maxDrawdown | makerShare |");
  expect(listed.map((r) => r[0]).sort()).toEqual(first.map((r) => r.id).sort());
  for (const row of listed) {
    const run = runs.find((r) => r.id === row[0])!;
    expectShown(row[6]!, run.metrics.pnl!, `pnl of ${run.id}`);
    expectCount(row[9]!, run.metrics.trades!, `trades of ${run.id}`);
  }

  // The prob-queue run, rerun here, has the PnL the store recorded.
  const futures = await lab.data.readFile(join(DATA, "binance", "usdm_futures_btcusdt_20240808.gz"), { format: "binance-raw" });
  const prob = lab.backtest(futures, lab.strategies.marketMaker({ maxPosition: 5, requoteMs: 20 }), { latencyNs: 2_000_000, feedLatencyNs: 5_000_000, queue: "prob" });
  const makers = first.filter((r) => r.strategy === "marketMaker");
  expect(makers.map((r) => r.metrics.pnl)).toContain(prob.summary.pnl);

  // The best market maker by PnL is the one shown in full and rerun bit for bit.
  const best = makers.filter((r) => r.metrics.trades! >= 1).reduce((a, r) => (r.metrics.pnl! > a.metrics.pnl! ? r : a));
  expect(page.outputs[2]!.split("\n")[2]).toMatch(new RegExp(`^${best.id} \\|`));
  expect(field(page.outputs[3]!, "result hash")).toBe(best.resultHash);
  expect(page.outputs[5]).toContain(`reproduced bit for bit (result hash ${best.resultHash})`);
  expect(page.outputs[5]).toContain("option latencyNs: 2000000 → 5000000");

  // Comparing the first two market makers: the difference column is b − a of the stored metrics.
  const [a, b] = [...makers].sort((x, y) => x.createdAt.localeCompare(y.createdAt));
  const cmp = tableRows(page.outputHtml[4]!, "metric | a | b | b − a |");
  const pnlRow = cmp.find((r) => r[0] === "pnl")!;
  expectShown(pnlRow[1]!, a!.metrics.pnl!, "compare a pnl");
  expectShown(pnlRow[2]!, b!.metrics.pnl!, "compare b pnl");
  expectShown(pnlRow[3]!, b!.metrics.pnl! - a!.metrics.pnl!, "compare b − a pnl");

  // The sweep: one run with its 4 trials, whose chosen params are its best trial's.
  const sweep = kinds("optimize")[0]!;
  expect(sweep.trials).toBe(4);
  const newest = kinds("backtest").reduce((x, r) => (r.createdAt > x.createdAt ? r : x));
  expect(newest.params.requoteMs).toBe(sweep.params.requoteMs);
  expect(newest.metrics.pnl).toBe(sweep.metrics.pnl);
  const report = kinds("report")[0]!;
  expect(page.outputs[6]).toContain(`${report.id} | report | marketMaker | finished`);
  expect(page.outputs[6]).toContain(`${sweep.id} | optimize | marketMaker | finished`);
}

// ---------------------------------------------------------------------------------------------
// 07-databento-l3
// ---------------------------------------------------------------------------------------------

/** MBO records of a DBN file, read from the bytes as Databento's DBN layout describes them. */
interface MboRecords {
  count: number;
  action: string[];
  side: string[];
  price: Float64Array;
  size: Float64Array;
  orderId: bigint[];
  flags: Uint8Array;
  tsEvent: bigint[];
}

function readMbo(file: string): MboRecords {
  let bytes = readFileSync(file);
  if (file.endsWith(".zst")) bytes = Buffer.from(decompress(bytes));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(new TextDecoder().decode(bytes.subarray(0, 3))).toBe("DBN");
  let at = 8 + view.getUint32(4, true);
  const out: MboRecords = { count: 0, action: [], side: [], price: new Float64Array(0), size: new Float64Array(0), orderId: [], flags: new Uint8Array(0), tsEvent: [] };
  const price: number[] = [], size: number[] = [], flags: number[] = [];
  while (at < bytes.length) {
    const length = bytes[at]! * 4;
    const rtype = bytes[at + 1]!;
    if (rtype === 0xa0) {
      out.tsEvent.push(view.getBigUint64(at + 8, true));
      out.orderId.push(view.getBigUint64(at + 16, true));
      price.push(Number(view.getBigInt64(at + 24, true)) / 1e9);
      size.push(view.getUint32(at + 32, true));
      flags.push(bytes[at + 36]!);
      out.action.push(String.fromCharCode(bytes[at + 38]!));
      out.side.push(String.fromCharCode(bytes[at + 39]!));
    }
    at += length;
  }
  out.count = out.action.length;
  out.price = Float64Array.from(price);
  out.size = Float64Array.from(size);
  out.flags = Uint8Array.from(flags);
  return out;
}

interface RestingOrder {
  side: string;
  price: number;
  size: number;
  priority: number;
}

/** Replays MBO records with Databento's order-book rules; the book as of each record's end. */
function replayMbo(r: MboRecords, upTo = r.count): Map<bigint, RestingOrder> {
  const book = new Map<bigint, RestingOrder>();
  let priority = 0;
  for (let i = 0; i < upTo; i++) {
    const id = r.orderId[i]!;
    switch (r.action[i]) {
      case "R":
        book.clear();
        break;
      case "A":
        book.set(id, { side: r.side[i]!, price: r.price[i]!, size: r.size[i]!, priority: priority++ });
        break;
      case "C": {
        const o = book.get(id);
        if (!o) break;
        o.size -= r.size[i]!;
        if (o.size <= 0) book.delete(id);
        break;
      }
      case "M": {
        const o = book.get(id);
        if (!o) {
          book.set(id, { side: r.side[i]!, price: r.price[i]!, size: r.size[i]!, priority: priority++ });
          break;
        }
        // A new price or a larger size loses the order's place in the queue.
        if (o.price !== r.price[i] || r.size[i]! > o.size) o.priority = priority++;
        o.price = r.price[i]!;
        o.size = r.size[i]!;
        if (o.size <= 0) book.delete(id);
        break;
      }
      default: // T and F (fills) and N: no change to the book
    }
  }
  return book;
}

/** Best price of a side and the orders resting there, front of the queue first. */
function touch(book: Map<bigint, RestingOrder>, side: "B" | "A"): { price: number; orders: RestingOrder[] } {
  const orders = [...book.values()].filter((o) => o.side === side);
  const price = side === "B" ? Math.max(...orders.map((o) => o.price)) : Math.min(...orders.map((o) => o.price));
  return { price, orders: orders.filter((o) => o.price === price).sort((a, b) => a.priority - b.priority) };
}

async function checkDatabento(page: NotebookPage): Promise<void> {
  const dir = join(DATA, "databento");
  const esm4 = readMbo(join(dir, "esm4-orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst"));
  const head = page.outputs[0]!;
  expectCount(field(head, "rows"), esm4.count, "ESM4 records");
  const byAction: Record<string, number> = {};
  for (const a of esm4.action) byAction[a] = (byAction[a] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(byAction).sort(([x], [y]) => x.localeCompare(y)));
  expect(field(head, "actions")).toBe(JSON.stringify(sorted));
  const flagged = (bit: number) => esm4.flags.filter((x) => (x & bit) !== 0).length;
  // DBN flags: F_LAST 128, F_SNAPSHOT 32, F_BAD_TS_RECV 8, F_PUBLISHER_SPECIFIC 2 (Databento's spec).
  expect(JSON.parse(field(head, "flags"))).toEqual({ Last: flagged(128), Snapshot: flagged(32), BadTsRecv: flagged(8), PublisherSpecific: flagged(2) });

  // The published book: every record of ESM4 ends with F_LAST, so the last book is the file's end.
  expect(esm4.flags[esm4.count - 1]! & 128).toBe(128);
  const book = replayMbo(esm4);
  const checks = page.outputs[2]!;
  expect(field(checks, "ok")).toBe("true");
  expectCount(field(checks, "F_LAST points"), flagged(128), "F_LAST points");
  expectCount(field(checks, "crossed points"), 0, "crossed points");
  expectCount(field(checks, "orders at the end"), book.size, "orders at the end");
  const trades = esm4.action.filter((a) => a === "T").length;
  expect(field(checks, "trades inside the touch")).toBe(`${trades} of ${trades}`);
  const bid = touch(book, "B");
  const ask = touch(book, "A");
  expect(page.outputs[3]).toContain(`L3 book: ${book.size} orders, ${new Set([...book.values()].filter((o) => o.side === "B").map((o) => o.price)).size} bid / ${new Set([...book.values()].filter((o) => o.side === "A").map((o) => o.price)).size} ask levels`);
  const lots = bid.orders.reduce((a, o) => a + o.size, 0);
  expect(page.outputs[3]).toContain(`Bid ${bid.price.toLocaleString("en-US", { minimumFractionDigits: 2 })}: ${bid.orders.length} orders, ${lots} lots`);
  const ladder = tableRows(page.outputHtml[3]!, "side | price | qty | orders | queue (sizes, front first) |");
  const bestAskRow = ladder.filter((r) => r[0] === "ask").at(-1)!;
  expect(shownNumber(bestAskRow[1]!)).toBe(ask.price);
  expectCount(bestAskRow[2]!, ask.orders.reduce((a, o) => a + o.size, 0), "best ask size");
  expectCount(bestAskRow[3]!, ask.orders.length, "best ask orders");
  // The queue at the best bid, front first, with the size ahead of each order.
  const queue = tableRows(page.outputHtml[3]!, "position | order | qty | ahead | priority |");
  let ahead = 0;
  queue.forEach((row, k) => {
    const o = bid.orders[k]!;
    expectCount(row[2]!, o.size, `queue position ${k} size`);
    expectCount(row[3]!, ahead, `queue position ${k} size ahead`);
    ahead += o.size;
  });

  // ESH4: the book at the end of the file.
  const esh4 = readMbo(join(dir, "esh4-glbx-mdp3-20231225.mbo.dbn.zst"));
  const endBook = replayMbo(esh4);
  const b = touch(endBook, "B"), a = touch(endBook, "A");
  const size = (o: RestingOrder[]) => o.reduce((x, y) => x + y.size, 0);
  expect(page.outputs[4]).toContain(`final top ${b.price} x ${size(b.orders)} / ${a.price} x ${size(a.orders)}`);
  expect(page.outputs[4]).toContain("ok: true");
  expect(page.outputs[4]).toContain("7 fills name orders not in the book");
}

// ---------------------------------------------------------------------------------------------
// 08-multi-day, 09-cross-engine
// ---------------------------------------------------------------------------------------------

/** Notebook 08: the streamed run equals the in-memory one, and its days add up to it. */
function checkMultiDay(page: NotebookPage): void {
  const html = page.html;
  for (const what of ["identicalFills", "identicalEquity", "identicalOrders"]) expect(html).toContain(`${what}: true`);
  expect(html).toContain("partitions: [ &#39;BTCUSDT 2024-08-08&#39;, &#39;BTCUSDT 2024-08-09&#39; ]");
  const sums = /sumOfDays: &#39;(-?[\d.]+)&#39;,\s*run: &#39;(-?[\d.]+)&#39;/.exec(html);
  expect(sums).not.toBeNull();
  expect(sums![1]).toBe(sums![2]);
  expect(html).toMatch(/receive clock behind by 1\.27\d{4} s/);
}

/** Notebook 09: hftbacktest's reference run reproduced (every figure, the fills file), the raw capture's match. */
function checkCrossEngine(page: NotebookPage): void {
  const html = page.html;
  expect(html).toContain("identicalFiles: true");
  expect(html).toContain("differingRows: 0");
  expect(html).not.toMatch(/<td[^>]*>false<\/td>/);
  // the raw capture read as hftbacktest's converter reads it: every reference fill matched (test/fidelity/cli.test.ts checks the fills row by row)
  expect(html).toContain("329 of 329 (100.0 %)");
}

/** The figure checks per notebook (by file name); notebook 10 is checked in test/live/notebook.test.ts. */
export const NOTEBOOK_CHECKS: Record<string, (page: NotebookPage) => void | Promise<void>> = {
  "00-welcome.ipynb": checkWelcome,
  "01-ingest-and-validate.ipynb": checkIngest,
  "02-order-book.ipynb": checkOrderBook,
  "03-backtest.ipynb": checkBacktest,
  "04-optimize.ipynb": checkOptimize,
  "05-report.ipynb": checkReport,
  "06-runs-and-dashboard.ipynb": checkRuns,
  "07-databento-l3.ipynb": checkDatabento,
  "08-multi-day.ipynb": checkMultiDay,
  "09-cross-engine.ipynb": checkCrossEngine,
};
