// The runs table: filters, sortable columns, paging, ticking two rows to compare, and the jobs
// the server is working on. Filters live in the address (#/runs?strategy=…) so Back and a reload
// keep them.
import { api, live, query, throttle } from "./api.js";
import { errorBox, fill, h, section } from "./dom.js";
import * as fmt from "./format.js";

const PAGE_SIZE = 25;
const METRIC_COLUMNS = ["sharpe", "psr", "pnl", "trades"];
const TEXT_COLUMNS = ["kind", "strategy", "state"];
const THRESHOLD_METRICS = ["sharpe", "psr", "dsr", "pnl", "trades", "maxDrawdown", "makerShare", "fees"];
const OPS = { gte: "≥", lte: "≤", gt: ">", lt: "<" };

function readState() {
  const q = new URLSearchParams(location.hash.split("?")[1] ?? "");
  return {
    strategy: q.get("strategy") ?? "",
    kind: q.get("kind") ?? "",
    state: q.get("state") ?? "",
    since: q.get("since") ?? "",
    until: q.get("until") ?? "",
    metric: q.get("metric") ?? "sharpe",
    op: q.get("op") ?? "gte",
    threshold: q.get("threshold") ?? "",
    sort: q.get("sort") ?? "createdAt",
    order: q.get("order") ?? "desc",
    page: Number(q.get("page") ?? 0) || 0,
  };
}

function writeState(state) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v !== "" && v !== undefined && !(k === "page" && v === 0)) q.set(k, String(v));
  const hash = `#/runs?${q}`;
  // replaceState: changing a filter should not add a Back step per keystroke.
  history.replaceState(null, "", hash);
}

function restQuery(state) {
  const serverSort = state.sort === "createdAt" || METRIC_COLUMNS.includes(state.sort);
  const threshold = Number(state.threshold);
  return query({
    strategy: state.strategy,
    kind: state.kind,
    state: state.state,
    since: state.since ? `${state.since}T00:00:00.000Z` : "",
    until: state.until ? `${state.until}T23:59:59.999Z` : "",
    where: state.threshold !== "" && Number.isFinite(threshold) ? { [state.metric]: { [state.op]: threshold } } : "",
    sort: serverSort ? state.sort : "createdAt",
    order: serverSort ? state.order : "desc",
    limit: PAGE_SIZE,
    offset: state.page * PAGE_SIZE,
  });
}

export function runsPage(root) {
  const state = readState();
  const ticked = new Set();
  const jobsBox = h("div", { id: "jobs" });
  const tableBox = h("div", { id: "runs-box" });
  const pager = h("div", { class: "pager" });
  const compareButton = h("button", { id: "compare-button", disabled: true, onclick: () => go(`#/compare/${[...ticked].map(encodeURIComponent).join("/")}`) }, "Compare 2 runs");
  let lastRuns = [];
  let alive = true;

  const input = (name, attrs = {}) =>
    h("input", {
      name,
      value: state[name],
      ...attrs,
      onchange: (ev) => {
        state[name] = ev.target.value;
        state.page = 0;
        reload();
      },
    });
  const select = (name, options) =>
    h(
      "select",
      {
        name,
        onchange: (ev) => {
          state[name] = ev.target.value;
          state.page = 0;
          reload();
        },
      },
      options.map(([v, label]) => h("option", { value: v, selected: state[name] === v }, label)),
    );
  const strategyList = h("datalist", { id: "strategy-names" });
  api
    .get("/api/strategies")
    .then((r) => strategyList.replaceChildren(...(r.strategies ?? []).map((s) => h("option", { value: s.name }))))
    .catch(() => {});

  const filters = h(
    "form",
    { class: "filters", id: "run-filters", onsubmit: (ev) => ev.preventDefault() },
    h("label", {}, "Strategy ", input("strategy", { list: "strategy-names", placeholder: "any", size: 16 }), strategyList),
    h("label", {}, "Kind ", select("kind", [["", "any"], ["backtest", "backtest"], ["optimize", "optimize"], ["report", "report"]])),
    h("label", {}, "State ", select("state", [["", "any"], ["running", "running"], ["finished", "finished"], ["failed", "failed"], ["interrupted", "interrupted"]])),
    h("label", {}, "From ", input("since", { type: "date" })),
    h("label", {}, "to ", input("until", { type: "date" })),
    h(
      "label",
      {},
      "Where ",
      select("metric", THRESHOLD_METRICS.map((m) => [m, fmt.metricTitle(m)])),
      " ",
      select("op", Object.entries(OPS)),
      " ",
      input("threshold", { type: "number", step: "any", placeholder: "value", size: 8 }),
    ),
    h(
      "button",
      {
        type: "button",
        class: "link",
        onclick: () => {
          Object.assign(state, { strategy: "", kind: "", state: "", since: "", until: "", threshold: "", page: 0 });
          go("#/runs");
        },
      },
      "Clear",
    ),
  );

  root.append(section("Jobs", jobsBox), section("Runs", filters, h("div", { class: "toolbar" }, compareButton, h("span", { class: "muted", id: "tick-hint" }, "Tick two runs to compare them.")), tableBox, pager));

  function go(hash) {
    location.hash = hash;
  }

  function updateCompare() {
    compareButton.disabled = ticked.size !== 2;
  }

  function header(label, key) {
    const active = state.sort === key;
    const arrow = active ? (state.order === "asc" ? " ▲" : " ▼") : "";
    return h(
      "th",
      {
        class: `sortable${METRIC_COLUMNS.includes(key) ? " num" : ""}${active ? " sorted" : ""}`,
        "data-sort": key,
        title: TEXT_COLUMNS.includes(key) ? "Sorts the rows of this page" : "Sorts all runs",
        onclick: () => {
          state.order = active && state.order === "desc" ? "asc" : active ? "desc" : key === "createdAt" || METRIC_COLUMNS.includes(key) ? "desc" : "asc";
          state.sort = key;
          state.page = 0;
          reload();
        },
      },
      label + arrow,
    );
  }

  function draw(runs, total) {
    lastRuns = runs;
    // Text columns are sorted here, within the page: the store sorts by time or by a metric.
    if (TEXT_COLUMNS.includes(state.sort)) {
      const dir = state.order === "asc" ? 1 : -1;
      runs = [...runs].sort((a, b) => dir * String(a[state.sort]).localeCompare(String(b[state.sort])));
    }
    const rows = runs.map((run) =>
      h(
        "tr",
        {
          class: "run-row",
          "data-id": run.id,
          onclick: (ev) => {
            if (ev.target.closest("input,a")) return;
            go(`#/run/${encodeURIComponent(run.id)}`);
          },
        },
        h(
          "td",
          { class: "tick" },
          h("input", {
            type: "checkbox",
            "aria-label": `select run ${run.id}`,
            checked: ticked.has(run.id),
            onchange: (ev) => {
              if (ev.target.checked) {
                ticked.add(run.id);
                // Two at most: ticking a third drops the oldest pick.
                if (ticked.size > 2) ticked.delete(ticked.values().next().value);
              } else ticked.delete(run.id);
              for (const box of tableBox.querySelectorAll("tr.run-row")) box.querySelector("input").checked = ticked.has(box.dataset.id);
              updateCompare();
            },
          }),
        ),
        h("td", { class: "time" }, h("a", { href: `#/run/${encodeURIComponent(run.id)}` }, fmt.dateTime(run.createdAt))),
        h("td", {}, run.kind),
        h("td", {}, run.strategy),
        h("td", {}, h("span", { class: `state ${run.state}` }, run.state)),
        METRIC_COLUMNS.map((m) => h("td", { class: "num", "data-metric": m }, fmt.metric(m, run.metrics?.[m]))),
      ),
    );
    const table = h(
      "table",
      { class: "grid", id: "runs-table" },
      h("thead", {}, h("tr", {}, h("th", {}, ""), header("Created (UTC)", "createdAt"), header("Kind", "kind"), header("Strategy", "strategy"), header("State", "state"), METRIC_COLUMNS.map((m) => header(fmt.metricTitle(m), m)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 4 + 1 + METRIC_COLUMNS.length, class: "muted empty" }, "No runs match these filters."))),
    );
    fill(tableBox, table);
    const first = total === 0 ? 0 : state.page * PAGE_SIZE + 1;
    const last = Math.min(total, (state.page + 1) * PAGE_SIZE);
    fill(pager, 
      h(
        "button",
        {
          disabled: state.page === 0,
          onclick: () => {
            state.page--;
            reload();
          },
        },
        "‹ Previous",
      ),
      h("span", { id: "runs-count" }, `${fmt.count(first)}–${fmt.count(last)} of ${fmt.count(total)}`),
      h(
        "button",
        {
          disabled: last >= total,
          onclick: () => {
            state.page++;
            reload();
          },
        },
        "Next ›",
      ),
    );
  }

  async function reload() {
    writeState(state);
    try {
      const { runs, total } = await api.get(`/api/runs${restQuery(state)}`);
      if (alive) draw(runs ?? [], total ?? 0);
    } catch (err) {
      if (alive) fill(tableBox, errorBox(err));
    }
  }

  const jobs = new Map();
  function drawJobs() {
    const list = [...jobs.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt))).slice(0, 8);
    if (!list.length) {
      fill(jobsBox, h("p", { class: "muted" }, "No jobs yet. ", h("a", { href: "#/new" }, "Start one"), "."));
      return;
    }
    fill(jobsBox, 
      h(
        "table",
        { class: "grid", id: "jobs-table" },
        h("thead", {}, h("tr", {}, ["Created (UTC)", "Kind", "Strategy", "State", "Progress", ""].map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          list.map((job) =>
            h(
              "tr",
              { "data-job": job.id },
              h("td", {}, h("a", { href: `#/live/${encodeURIComponent(job.id)}` }, fmt.dateTime(job.createdAt))),
              h("td", {}, job.kind),
              h("td", {}, job.strategy),
              h("td", {}, h("span", { class: `state ${job.state}` }, job.state)),
              h("td", { class: "num" }, job.progress ? `${fmt.count(job.progress.done)} / ${fmt.count(job.progress.total)}` : ""),
              h("td", {}, job.runId ? h("a", { href: `#/run/${encodeURIComponent(job.runId)}` }, "run") : ""),
            ),
          ),
        ),
      ),
    );
  }
  async function loadJobs() {
    try {
      const r = await api.get("/api/jobs");
      jobs.clear();
      for (const j of r.jobs ?? []) jobs.set(j.id, j);
      if (alive) drawJobs();
    } catch (err) {
      if (alive && err.status !== 401) fill(jobsBox, errorBox(err));
    }
  }

  const refreshRuns = throttle(reload, 1000);
  const redrawJobs = throttle(() => alive && drawJobs(), 500);
  const stop = live(
    (msg) => {
      if (msg.type === "run") refreshRuns();
      else if (msg.type === "hello" && Array.isArray(msg.jobs)) {
        for (const j of msg.jobs) jobs.set(j.id, j);
        redrawJobs();
      }
      else if (msg.type === "job" && msg.job) {
        jobs.set(msg.job.id, msg.job);
        redrawJobs();
      } else if (msg.type === "progress") {
        const job = jobs.get(msg.jobId);
        if (job) {
          job.progress = { ...job.progress, done: msg.done, total: msg.total };
          redrawJobs();
        }
      }
    },
    () => {
      loadJobs();
      refreshRuns();
    },
  );

  updateCompare();
  reload();
  loadJobs();
  return () => {
    alive = false;
    stop();
  };
}
