// A job as it runs: progress bar, a trials table that grows as trials finish, and objective
// against one parameter (scatter) or two (heatmap of the best objective per cell). Updates come
// from the WebSocket; on every (re)connect the page fetches the job and its trials again so
// nothing missed while offline stays missing.
import { api, live, query, throttle } from "./api.js";
import { clear, errorBox, fill, h, section } from "./dom.js";
import { chartBox, layout, react, tickFormat } from "./charts.js";
import { trialsTable } from "./run.js";
import * as fmt from "./format.js";

const SHOWN_TRIALS = 200;
const DONE_STATES = new Set(["finished", "failed", "cancelled", "interrupted"]);

function bestText(best) {
  if (best === undefined || best === null) return "–";
  if (typeof best === "object") {
    const objective = best.objective ?? best.value;
    const params = best.params ? Object.entries(best.params).map(([k, v]) => `${k}=${fmt.value(v)}`).join(", ") : "";
    return `${fmt.metric("objective", objective)}${params ? ` (${params})` : ""}`;
  }
  return fmt.metric("objective", best);
}

function trialKey(t) {
  return `${t.window ?? ""}:${t.phase ?? ""}:${t.index}`;
}

export function livePage(root, jobId) {
  let alive = true;
  let job;
  const trials = new Map();
  const bar = h("progress", { id: "progress-bar", max: 1, value: 0 });
  const progressText = h("div", { id: "progress-text", class: "progress-text" }, "waiting for the server…");
  const stateBadge = h("span", { class: "state queued", id: "job-state" }, "…");
  const actions = h("span", { class: "actions" });
  const runLink = h("span", { id: "run-link" });
  const trialsBox = h("div", { id: "live-trials" }, h("p", { class: "muted" }, "No trials yet."));
  const trialsCount = h("span", { class: "muted", id: "trials-count" }, "");
  // Until someone picks an axis, x follows the first swept parameter as trials reveal which vary.
  let axesPicked = false;
  const pick = () => {
    axesPicked = true;
    drawChart();
  };
  const xSelect = h("select", { id: "axis-x", onchange: pick });
  const ySelect = h("select", { id: "axis-y", onchange: pick });
  const chart = chartBox("sweep-chart");
  const errorSlot = h("div");

  root.append(
    h("div", { class: "title-row" }, h("h1", { id: "job-title" }, `Job ${jobId}`), stateBadge, actions),
    h("p", { class: "muted" }, runLink),
    errorSlot,
    section("Progress", h("div", { class: "progress", id: "progress" }, bar, progressText)),
    section("Objective by parameter", h("div", { class: "toolbar" }, h("label", {}, "x ", xSelect), h("label", {}, "y ", ySelect), h("span", { class: "muted" }, "Pick a y parameter for a heatmap of the best objective.")), chart),
    section(h("span", {}, "Trials ", trialsCount), trialsBox),
  );

  function setProgress(p) {
    if (!p) return;
    const done = fmt.num(p.done);
    const total = fmt.num(p.total);
    if (Number.isFinite(total) && total > 0) bar.max = total;
    if (Number.isFinite(done)) bar.value = done;
    bar.dataset.done = String(Number.isFinite(done) ? done : 0);
    bar.dataset.total = String(Number.isFinite(total) ? total : 0);
    const pieces = [
      `${fmt.count(done)} / ${Number.isFinite(total) ? fmt.count(total) : "?"}`,
      Number.isFinite(total) && total > 0 ? fmt.pct(done / total) : null,
      Number.isFinite(fmt.num(p.eventsPerSecond)) ? `${fmt.count(p.eventsPerSecond)} events/s` : null,
      job && DONE_STATES.has(job.state) ? null : `ETA ${fmt.duration(fmt.num(p.etaMs) / 1000)}`,
      `best ${bestText(p.best)}`,
    ];
    progressText.textContent = pieces.filter(Boolean).join(" · ");
  }

  function setJob(j) {
    job = { ...job, ...j };
    stateBadge.textContent = job.state;
    stateBadge.className = `state ${job.state}`;
    document.getElementById("job-title").textContent = `${job.kind ?? "job"} · ${job.strategy ?? ""}`;
    fill(runLink, 
      `job ${job.id}`,
      job.runId ? [" · run ", h("a", { href: `#/run/${encodeURIComponent(job.runId)}`, id: "job-run" }, job.runId)] : null,
      job.createdAt ? ` · started ${fmt.dateTime(job.createdAt)} UTC` : null,
    );
    clear(errorSlot);
    if (job.error) errorSlot.append(errorBox(typeof job.error === "object" ? job.error : { message: `The job failed: ${job.error}` }));
    clear(actions);
    if (job.state === "running" || job.state === "queued") actions.append(h("button", { id: "cancel-job", onclick: () => act(() => api.del(`/api/jobs/${encodeURIComponent(jobId)}`)) }, "Cancel"));
    if (job.state === "interrupted" || job.state === "cancelled") actions.append(h("button", { id: "resume-job", onclick: () => act(() => api.post(`/api/jobs/${encodeURIComponent(jobId)}/resume`)) }, "Resume"));
    setProgress(job.progress);
  }

  async function act(call) {
    try {
      const r = await call();
      if (r?.job) setJob(r.job);
    } catch (err) {
      fill(errorSlot, errorBox(err));
    }
  }

  const drawTrials = throttle(() => {
    if (!alive) return;
    const list = [...trials.values()].sort((a, b) => fmt.num(a.index) - fmt.num(b.index) || String(a.window).localeCompare(String(b.window)));
    trialsCount.textContent = `(${fmt.count(list.length)})`;
    trialsCount.dataset.count = String(list.length);
    // The newest trials stay visible; the run page pages through all of them once it is done.
    const shown = list.length > SHOWN_TRIALS ? list.slice(-SHOWN_TRIALS) : list;
    fill(trialsBox, list.length ? trialsTable(shown, "live-trials-table") : h("p", { class: "muted" }, "No trials yet."), list.length > SHOWN_TRIALS ? h("p", { class: "muted" }, `Showing the last ${SHOWN_TRIALS}.`) : null);
    updateAxes();
    drawChart();
  }, 250);

  function updateAxes() {
    const list = [...trials.values()];
    const all = [...new Set(list.flatMap((t) => Object.keys(t.params ?? {})))];
    // The swept parameters are the axes worth plotting; the fixed ones would draw one column.
    const swept = all.filter((p) => new Set(list.map((t) => JSON.stringify(t.params?.[p]))).size > 1);
    const names = swept.length ? swept : all;
    const current = [...xSelect.options].map((o) => o.value).filter(Boolean);
    if (names.join() === current.join()) return;
    const x = axesPicked && names.includes(xSelect.value) ? xSelect.value : names[0] ?? "";
    const y = axesPicked ? ySelect.value : "";
    xSelect.replaceChildren(...names.map((n) => h("option", { value: n, selected: n === x }, n)));
    ySelect.replaceChildren(h("option", { value: "" }, "—"), ...names.map((n) => h("option", { value: n, selected: n === y }, n)));
  }

  const drawChart = throttle(() => {
    if (!alive) return;
    const x = xSelect.value;
    const y = ySelect.value;
    const done = [...trials.values()].filter((t) => Number.isFinite(fmt.num(t.objective)));
    if (!x || !done.length) return;
    if (!y || y === x) {
      const xs = done.map((t) => t.params?.[x]);
      const zs = done.map((t) => fmt.num(t.objective));
      react(chart, [{ type: "scatter", mode: "markers", x: xs, y: zs, text: done.map((t) => `trial ${t.index}`), marker: { size: 8, color: zs, colorscale: "Viridis", showscale: false } }], layout({ xaxis: { title: { text: x } }, yaxis: { title: { text: "objective" }, tickformat: tickFormat(zs) } }));
      return;
    }
    const xv = [...new Set(done.map((t) => t.params?.[x]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const yv = [...new Set(done.map((t) => t.params?.[y]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const z = yv.map(() => xv.map(() => null));
    for (const t of done) {
      const i = yv.indexOf(t.params?.[y]);
      const j = xv.indexOf(t.params?.[x]);
      const o = fmt.num(t.objective);
      // Several trials can share a cell (walk-forward windows, other parameters): the best one shows.
      if (z[i][j] === null || o > z[i][j]) z[i][j] = o;
    }
    react(chart, [{ type: "heatmap", x: xv.map(fmt.value), y: yv.map(fmt.value), z, colorscale: "Viridis", colorbar: { title: { text: "objective" }, tickformat: tickFormat(z.flat().filter((v) => v !== null)) }, hoverongaps: false }], layout({ xaxis: { title: { text: x }, type: "category" }, yaxis: { title: { text: y }, type: "category" } }));
  }, 300);

  function addTrial(t) {
    if (!t || t.index === undefined) return;
    trials.set(trialKey(t), t);
    drawTrials();
  }

  async function loadTrials() {
    if (!job?.runId) return;
    try {
      const r = await api.get(`/api/runs/${encodeURIComponent(job.runId)}/trials${query({ limit: 5000, offset: 0 })}`);
      for (const t of r.trials ?? []) trials.set(trialKey(t), t);
      drawTrials();
    } catch (err) {
      // A job whose run is not written yet has no trials: the WebSocket brings them.
      if (err.status !== 404) fill(errorSlot, errorBox(err));
    }
  }

  async function load() {
    try {
      const r = await api.get(`/api/jobs/${encodeURIComponent(jobId)}`);
      if (!alive) return;
      setJob(r.job);
      await loadTrials();
    } catch (err) {
      if (alive) fill(errorSlot, errorBox(err));
    }
  }

  const stop = live((msg) => {
    if (!alive) return;
    if (msg.type === "job" && msg.job?.id === jobId) {
      const hadRun = job?.runId;
      setJob(msg.job);
      if (!hadRun && job.runId) loadTrials();
    } else if (msg.type === "progress" && msg.jobId === jobId) {
      if (job) job.progress = { done: msg.done, total: msg.total, eventsPerSecond: msg.eventsPerSecond, etaMs: msg.etaMs, best: msg.best };
      if (!job?.runId && msg.runId) setJob({ runId: msg.runId });
      setProgress(msg);
    } else if (msg.type === "trial" && job?.runId && msg.runId === job.runId) {
      for (const t of Array.isArray(msg.trial) ? msg.trial : [msg.trial]) addTrial(t);
      if (Array.isArray(msg.trials)) for (const t of msg.trials) addTrial(t);
    } else if (msg.type === "run" && job?.runId && msg.run?.id === job.runId && msg.run.state !== "running") {
      // The run's final state arrives before or after the job's: fetch the job to settle it.
      load();
    }
  }, load);

  load();
  return () => {
    alive = false;
    stop();
  };
}
