// Number formats of the dashboard. They follow the product's report formats (src/report/format.ts)
// so a figure reads the same in a notebook, a tear sheet and here: "," thousands, fixed decimals
// per quantity, percentages with one decimal (whole-run returns with two), non-finite as "n/a".

const NA = "n/a";

/** REST sends non-finite metrics as the strings "NaN", "Infinity", "-Infinity"; undefined stays NaN. */
export function num(value) {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") return Number(value);
  return NaN;
}

export function groupDigits(text) {
  const m = /^([+-]?)(\d+)(\.\d*)?$/.exec(text);
  if (!m) return text;
  return `${m[1]}${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${m[3] ?? ""}`;
}

export function fixed(value, decimals) {
  const x = num(value);
  if (!Number.isFinite(x)) return NA;
  let text = x.toFixed(Math.max(0, Math.min(20, decimals)));
  if (/^-0(\.0*)?$/.test(text)) text = text.slice(1);
  return groupDigits(text);
}

/** Up to `digits` significant digits, trailing zeros dropped: 0.012345678 → "0.0123457", 12345 → "12,345". */
export function number(value, digits = 6) {
  const x = num(value);
  if (!Number.isFinite(x)) return NA;
  if (x === 0) return "0";
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return groupDigits(String(x));
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  if (magnitude < -9) return x.toExponential(Math.max(0, digits - 1));
  const text = fixed(x, Math.max(0, digits - 1 - magnitude));
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

export function count(value) {
  const x = num(value);
  if (!Number.isFinite(x)) return NA;
  return groupDigits(String(Math.round(x) + 0));
}

export function pct(fraction, decimals = 1) {
  const x = num(fraction);
  return Number.isFinite(x) ? `${fixed(x * 100, decimals)}%` : NA;
}

/** Money: two decimals; below 0.1 three significant digits so a small fee does not read 0.00. */
export function money(value) {
  const x = num(value);
  if (!Number.isFinite(x)) return NA;
  const abs = Math.abs(x);
  if (abs === 0 || Number(abs.toPrecision(3)) >= 0.1) return fixed(x, 2);
  const text = fixed(x, Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(abs)))));
  return /^-?0\.0*$/.test(text) ? "0.00" : text;
}

const RATIOS = new Set(["sharpe", "sortino", "calmar", "omega", "tailRatio", "profitFactor", "skewness", "kurtosis", "excessKurtosis", "sharpeAnnualized", "sharpePerPeriod", "objective"]);
const PROBABILITIES = new Set(["psr", "dsr", "probabilisticSharpe", "deflatedSharpe", "pbo"]);
const MONEY = new Set(["pnl", "fees", "netPnl", "grossPnl", "realizedPnl", "unrealizedPnl", "notional", "rebates", "feesPaid", "finalEquity", "startEquity", "maxDrawdownMoney", "maxDrawdown"]);
const COUNTS = new Set(["trades", "fills", "orders", "events", "filledLots", "buys", "sells", "roundTrips", "longestDrawdown", "trials", "rows", "makerFills", "takerFills", "cancels"]);
// maxDrawdown of a run or a trial is in account currency (the run summary's figure), not a return.
const RUN_RETURNS = new Set(["totalReturn", "annualReturn", "annualVolatility"]);
const SHARES = new Set(["makerShare", "hitRate", "fillRatio", "adverseShare", "winRate"]);

/** A metric by its name, in the format the product uses for it. */
export function metric(name, value) {
  if (RATIOS.has(name)) return fixed(value, 2);
  if (PROBABILITIES.has(name)) return fixed(value, 3);
  if (MONEY.has(name)) return money(value);
  if (COUNTS.has(name)) return count(value);
  if (RUN_RETURNS.has(name)) return pct(value, 2);
  if (SHARES.has(name)) return pct(value, 1);
  return number(value, 6);
}

/** A difference b - a in the metric's own format, signed ("+0.12", "-3"). */
export function metricDiff(name, value) {
  const x = num(value);
  if (!Number.isFinite(x)) return NA;
  const text = metric(name, x);
  return x > 0 ? `+${text}` : text;
}

/** Titles of the metrics the product records; other names are shown as they come. */
export const METRIC_TITLES = {
  sharpe: "Sharpe",
  psr: "PSR",
  dsr: "DSR",
  pnl: "PnL",
  trades: "Trades",
  maxDrawdown: "Max drawdown",
  makerShare: "Maker share",
  fees: "Fees",
  sortino: "Sortino",
  calmar: "Calmar",
  totalReturn: "Total return",
  annualReturn: "Annual return",
  annualVolatility: "Annual volatility",
  hitRate: "Hit rate",
  profitFactor: "Profit factor",
  fillRatio: "Fill ratio",
  objective: "Objective",
  realizedPnl: "Realized PnL",
  unrealizedPnl: "Unrealized PnL",
  filledLots: "Filled lots",
  orders: "Orders",
  events: "Events",
  volume: "Volume",
};

export function metricTitle(name) {
  return METRIC_TITLES[name] ?? name;
}

/** An ISO time as "2026-12-07 05:13:34" (UTC; the product's times are UTC). */
export function dateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().slice(0, 19).replace("T", " ");
}

export function duration(seconds) {
  const s = Math.round(num(seconds));
  if (!Number.isFinite(s) || s < 0) return "–";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function bytes(n) {
  const x = num(n);
  if (!Number.isFinite(x)) return NA;
  if (x < 1024) return `${count(x)} B`;
  if (x < 1024 * 1024) return `${fixed(x / 1024, 1)} KiB`;
  if (x < 1024 ** 3) return `${fixed(x / 1024 / 1024, 1)} MiB`;
  return `${fixed(x / 1024 ** 3, 2)} GiB`;
}

/** A parameter value: numbers with up to 6 significant digits, everything else as text. */
export function value(v) {
  if (typeof v === "number" || (typeof v === "string" && /^(NaN|-?Infinity)$/.test(v))) return number(v, 6);
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
