// One run: its key metrics, research checklist, equity curve, artifacts (the report opens in a new
// tab), the manifest that makes it reproducible, and for an optimization its trials.
import { api, live, query, throttle } from "./api.js";
import { errorBox, fill, h, keyValues, section } from "./dom.js";
import { chartBox, equityChart } from "./charts.js";
import * as fmt from "./format.js";

const KEY_METRICS = ["pnl", "trades", "maxDrawdown", "makerShare"];
const TRIALS_PAGE = 50;

export function metricCards(metrics) {
  const has = (k) => metrics && k in metrics;
  const cards = [];
  const sharpeNotes = [];
  if (has("psr")) sharpeNotes.push(`PSR ${fmt.metric("psr", metrics.psr)}`);
  if (has("dsr")) sharpeNotes.push(`DSR ${fmt.metric("dsr", metrics.dsr)}`);
  cards.push(card("sharpe", "Sharpe", fmt.metric("sharpe", metrics?.sharpe), sharpeNotes.join(" · ")));
  for (const k of KEY_METRICS) cards.push(card(k, fmt.metricTitle(k), fmt.metric(k, metrics?.[k])));
  return h("div", { class: "cards", id: "key-metrics" }, cards);
}

function card(key, title, text, note) {
  return h("div", { class: "card", "data-metric": key }, h("div", { class: "card-title" }, title), h("div", { class: "card-value" }, text), note ? h("div", { class: "card-note" }, note) : null);
}

export function metricsTable(metrics) {
  const names = Object.keys(metrics ?? {}).sort();
  if (!names.length) return h("p", { class: "muted" }, "No metrics recorded.");
  return h(
    "table",
    { class: "grid compact", id: "all-metrics" },
    h("tbody", {}, names.map((n) => h("tr", {}, h("th", {}, fmt.metricTitle(n)), h("td", { class: "num" }, fmt.metric(n, metrics[n]))))),
  );
}

function paramsTable(params) {
  const names = Object.keys(params ?? {});
  if (!names.length) return h("p", { class: "muted" }, "No parameters.");
  return keyValues(names.map((n) => [n, fmt.value(params[n])]), "kv params");
}

/** JSON options as nested key/value rows: engine options are read, not parsed, by a reviewer. */
function optionsTable(options) {
  const rows = [];
  const walk = (prefix, value) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (!keys.length && prefix) rows.push([prefix, "{}"]);
      for (const k of keys) walk(prefix ? `${prefix}.${k}` : k, value[k]);
    } else rows.push([prefix, fmt.value(value)]);
  };
  walk("", options ?? {});
  return rows.length ? keyValues(rows, "kv options") : h("p", { class: "muted" }, "Defaults.");
}

function manifestView(m) {
  if (!m) return h("p", { class: "muted" }, "No manifest.");
  const data = m.data ?? {};
  const parts = [
    keyValues(
      [
        ["Version", m.version],
        ["Commit", m.commit ? h("code", {}, m.commit) : undefined],
        ["Host", m.host],
        ["Node", m.node],
        ["Seed", m.seed !== undefined ? String(m.seed) : undefined],
        ["From run", m.parent ? h("a", { href: `#/run/${encodeURIComponent(m.parent)}` }, m.parent) : undefined],
        ["Data batch", data.batch],
        ["Rows", data.rows !== undefined ? fmt.count(data.rows) : undefined],
        ["Symbols", data.symbols?.join(", ")],
        ["Data from", data.start],
        ["Data to", data.end],
      ],
      "kv manifest",
    ),
  ];
  if (data.files?.length) {
    parts.push(
      h("h3", {}, "Data files"),
      h(
        "table",
        { class: "grid compact", id: "data-files" },
        h("thead", {}, h("tr", {}, h("th", {}, "Path"), h("th", { class: "num" }, "Size"), h("th", {}, "SHA-256"))),
        h("tbody", {}, data.files.map((f) => h("tr", {}, h("td", {}, f.path), h("td", { class: "num" }, fmt.bytes(f.bytes)), h("td", {}, h("code", { class: "hash" }, f.sha256))))),
      ),
    );
  }
  parts.push(h("h3", {}, "Engine options"), optionsTable(m.engine));
  if (m.optimize) parts.push(h("h3", {}, "Optimization"), optionsTable(m.optimize));
  return h("div", { id: "manifest" }, parts);
}

function artifactsView(run) {
  if (!run.artifacts?.length) return h("p", { class: "muted" }, "No artifacts.");
  return h(
    "ul",
    { class: "artifacts", id: "artifacts" },
    run.artifacts.map((a) =>
      h(
        "li",
        {},
        h("a", { href: `/api/runs/${encodeURIComponent(run.id)}/artifacts/${encodeURIComponent(a.name)}`, target: "_blank", rel: "noopener", "data-artifact": a.name }, a.name === "report.html" ? "Report (report.html)" : a.name),
        h("span", { class: "muted" }, ` ${a.mediaType} · ${fmt.bytes(a.bytes)}`),
      ),
    ),
  );
}

const CHECKLIST_ARTIFACT = "checklist.json";

/** The run's research checklist (its checklist.json artifact): status, item, why, fix, then the complexity figures. */
export function checklistView(c) {
  const cx = c.complexity ?? {};
  return h(
    "div",
    { id: "checklist", "data-status": c.status },
    h("p", { id: "checklist-counts" }, `${fmt.count(c.counts?.pass ?? 0)} pass · ${fmt.count(c.counts?.warn ?? 0)} warn · ${fmt.count(c.counts?.fail ?? 0)} fail`),
    h(
      "table",
      { class: "grid compact" },
      h("thead", {}, h("tr", {}, h("th", {}, "Status"), h("th", {}, "Item"), h("th", {}, "Why"), h("th", {}, "Fix"))),
      h(
        "tbody",
        {},
        (c.items ?? []).map((i) =>
          h(
            "tr",
            { class: "check-row", "data-id": i.id, "data-status": i.status },
            h("td", {}, h("span", { class: `check ${i.status}` }, i.status)),
            h("td", {}, i.title),
            h("td", { class: "why" }, i.reason),
            h("td", { class: "fix" }, i.fix ? h("code", {}, i.fix) : ""),
          ),
        ),
      ),
    ),
    h(
      "p",
      { class: "muted", id: "checklist-complexity" },
      `Complexity: ${counted(cx.freeParameters, "free parameter")} · ${counted(cx.combinations, "combination")} · ${counted(cx.trades, "trade")} · ${fmt.fixed(cx.tradesPerParameter, 1)} trades per parameter`,
    ),
  );
}

function counted(n, noun) {
  return `${fmt.count(n ?? 0)} ${noun}${fmt.num(n) === 1 ? "" : "s"}`;
}

async function loadChecklist(box, id, alive) {
  try {
    const c = await api.get(`/api/runs/${encodeURIComponent(id)}/artifacts/${CHECKLIST_ARTIFACT}`);
    if (alive()) fill(box, checklistView(c));
  } catch (err) {
    if (alive()) fill(box, errorBox(err));
  }
}

/** A trials table: index, window/phase when walk-forward, status, objective, parameters, metrics. */
export function trialsTable(trials, id = "trials-table") {
  // Parameters fixed for the whole search say nothing per trial: only the swept ones get columns.
  const allParams = [...new Set(trials.flatMap((t) => Object.keys(t.params ?? {})))];
  const swept = allParams.filter((p) => new Set(trials.map((t) => JSON.stringify(t.params?.[p]))).size > 1);
  const paramNames = swept.length ? swept : allParams;
  const metricNames = [...new Set(trials.flatMap((t) => Object.keys(t.metrics ?? {})))].filter((n) => ["sharpe", "pnl", "trades", "psr"].includes(n));
  // Every trial has a window and a phase; they only say something in a walk-forward search.
  const walkForward = trials.some((t) => fmt.num(t.window) > 0 || t.phase === "oos");
  return h(
    "table",
    { class: "grid compact", id },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { class: "num" }, "#"),
        walkForward ? [h("th", {}, "Window"), h("th", {}, "Phase")] : null,
        h("th", {}, "Status"),
        h("th", { class: "num" }, "Objective"),
        paramNames.map((p) => h("th", { class: "num" }, p)),
        metricNames.map((m) => h("th", { class: "num" }, fmt.metricTitle(m))),
      ),
    ),
    h(
      "tbody",
      {},
      trials.map((t) =>
        h(
          "tr",
          { class: "trial-row", "data-index": t.index },
          h("td", { class: "num" }, fmt.count(t.index)),
          walkForward ? [h("td", {}, t.window ?? ""), h("td", {}, t.phase ?? "")] : null,
          h("td", {}, h("span", { class: `state ${t.status}` }, t.status ?? "")),
          h("td", { class: "num" }, fmt.metric("objective", t.objective)),
          paramNames.map((p) => h("td", { class: "num" }, fmt.value(t.params?.[p]))),
          metricNames.map((m) => h("td", { class: "num" }, fmt.metric(m, t.metrics?.[m]))),
        ),
      ),
    ),
  );
}

export function runPage(root, id) {
  let alive = true;
  let trialsOffset = 0;
  const trialsBox = h("div", { id: "trials" });

  async function loadTrials() {
    try {
      const r = await api.get(`/api/runs/${encodeURIComponent(id)}/trials${query({ limit: TRIALS_PAGE, offset: trialsOffset })}`);
      if (!alive) return;
      const total = r.total ?? 0;
      const last = Math.min(total, trialsOffset + TRIALS_PAGE);
      fill(trialsBox, 
        r.trials?.length ? trialsTable(r.trials) : h("p", { class: "muted" }, "No trials recorded."),
        total > TRIALS_PAGE
          ? h(
              "div",
              { class: "pager" },
              h("button", { disabled: trialsOffset === 0, onclick: () => ((trialsOffset -= TRIALS_PAGE), loadTrials()) }, "‹ Previous"),
              h("span", {}, `${fmt.count(trialsOffset + 1)}–${fmt.count(last)} of ${fmt.count(total)}`),
              h("button", { disabled: last >= total, onclick: () => ((trialsOffset += TRIALS_PAGE), loadTrials()) }, "Next ›"),
            )
          : null,
      );
    } catch (err) {
      if (alive) fill(trialsBox, errorBox(err));
    }
  }

  async function load() {
    let run;
    try {
      ({ run } = await api.get(`/api/runs/${encodeURIComponent(id)}`));
    } catch (err) {
      if (alive) fill(root, errorBox(err), h("p", {}, h("a", { href: "#/" }, "Back to the runs")));
      return;
    }
    if (!alive) return;
    const chart = chartBox("equity-chart");
    const hasChecklist = run.artifacts?.some((a) => a.name === CHECKLIST_ARTIFACT);
    const checklistBox = h("div", {}, h("p", { class: "muted" }, "Loading the checklist…"));
    fill(root, 
      h(
        "div",
        { class: "title-row" },
        h("h1", { id: "run-title" }, `${run.strategy} · ${run.kind}`),
        h("span", { class: `state ${run.state}`, id: "run-state" }, run.state),
      ),
      h(
        "p",
        { class: "muted", id: "run-meta" },
        h("span", { id: "run-id" }, run.id),
        ` · created ${fmt.dateTime(run.createdAt)} UTC`,
        run.finishedAt ? ` · finished ${fmt.dateTime(run.finishedAt)} UTC` : "",
        run.trials ? ` · ${fmt.count(run.trials)} trials` : "",
        run.resultHash ? h("span", {}, " · result ", h("code", { class: "hash" }, run.resultHash.slice(0, 16))) : "",
      ),
      run.error ? errorBox({ message: `The run failed: ${run.error}` }) : null,
      metricCards(run.metrics),
      hasChecklist ? section("Research checklist", checklistBox) : null,
      section("Equity", chart),
      section("Artifacts", artifactsView(run)),
      h("div", { class: "columns" }, section("Parameters", paramsTable(run.params)), section("Metrics", metricsTable(run.metrics))),
      section("Manifest", manifestView(run.manifest)),
      run.kind === "optimize" ? section("Trials", trialsBox) : null,
    );
    equityChart(chart, [run]);
    if (hasChecklist) loadChecklist(checklistBox, id, () => alive);
    if (run.kind === "optimize") loadTrials();
  }

  const reload = throttle(load, 1000);
  const stop = live((msg) => {
    if (msg.type === "run" && msg.run?.id === id) reload();
  });
  root.append(h("p", { class: "muted" }, "Loading run…"));
  load();
  return () => {
    alive = false;
    stop();
  };
}
