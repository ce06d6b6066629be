// The new-job form: strategy and dataset from the server, every parameter prefilled from the
// strategy's schema (a range to sweep, or a fixed value), submitted as POST /api/jobs. A 400 from
// the server is shown next to the field it names, with its hint.
import { api } from "./api.js";
import { clear, errorBox, h, section } from "./dom.js";
import * as fmt from "./format.js";

/** A round step (1, 2 or 5 × 10^k) near `raw`. */
function niceStep(raw, integer) {
  if (!(raw > 0)) return integer ? 1 : 0.1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  const step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  return integer ? Math.max(1, Math.round(step)) : Number(step.toPrecision(12));
}

/** A first range to sweep: around the default, inside the schema's bounds, about five values. */
export function defaultRange(spec) {
  const integer = spec.type === "integer";
  const def = Number(spec.default);
  let lo = def > 0 ? def / 2 : def < 0 ? def * 2 : 0;
  let hi = def > 0 ? def * 2 : def < 0 ? def / 2 : 1;
  if (spec.min !== undefined) lo = Math.max(lo, spec.min);
  if (spec.max !== undefined) hi = Math.min(hi, spec.max);
  if (integer) {
    lo = Math.ceil(lo);
    hi = Math.max(lo, Math.floor(hi));
  }
  let step = niceStep((hi - lo) / 4, integer);
  // The schema's step is the finest grid the strategy means: the range's step is a multiple of it.
  if (spec.step > 0) step = Math.max(1, Math.round(step / spec.step)) * spec.step;
  const round = (x) => Number(x.toPrecision(12));
  return { min: round(lo), max: round(hi), step: round(step) };
}

/** "space.spread.min", "/space/spread/min", ["space","spread"] and "body.trials" all name one field. */
export function fieldPath(field) {
  if (field === undefined || field === null) return "";
  const parts = Array.isArray(field) ? field.map(String) : String(field).replace(/^\$\.?/, "").split(/[./]/);
  const clean = parts.filter((p) => p !== "");
  if (clean[0] === "body") clean.shift();
  return clean.join(".");
}

export function newJobPage(root) {
  let alive = true;
  let strategies = [];
  let datasets = [];
  const form = h("form", { id: "job-form", class: "job-form", novalidate: true });
  const paramsBox = h("div", { id: "param-rows" });
  const formError = h("div", { id: "form-error" });
  root.append(h("h1", {}, "New job"), section("Job", form));

  const field = (path, label, control, note) =>
    h("div", { class: "field", "data-field": path }, h("label", {}, h("span", { class: "field-label" }, label), control), note ? h("span", { class: "muted note" }, note) : null, h("div", { class: "field-error" }));

  function clearErrors() {
    for (const el of form.querySelectorAll(".field-error")) el.replaceChildren();
    for (const el of form.querySelectorAll(".invalid")) el.classList.remove("invalid");
    clear(formError);
  }

  function showError(err) {
    const path = fieldPath(err.field);
    const parts = path ? path.split(".") : [];
    // The nearest field that exists: "space.spread.max" → the spread row's max box, else its row.
    for (let n = parts.length; n > 0; n--) {
      const target = form.querySelector(`[data-field="${CSS.escape(parts.slice(0, n).join("."))}"]`);
      if (!target) continue;
      target.classList.add("invalid");
      target.closest(".field")?.classList.add("invalid");
      const slot = target.querySelector(".field-error") ?? target.closest(".field")?.querySelector(".field-error");
      if (slot) {
        slot.replaceChildren(h("span", { class: "error-text" }, `${err.message}`), err.hint ? h("span", { class: "hint" }, ` ${err.hint}`) : null);
        slot.closest(".field")?.scrollIntoView({ block: "center" });
        return;
      }
    }
    formError.append(errorBox(err));
  }

  function paramRow(spec, kind, preferred) {
    const name = spec.name;
    const numeric = spec.type === "number" || spec.type === "integer";
    const sweepable = kind === "optimize";
    const sweepDefault = sweepable && preferred.includes(name);
    const sweep = h("input", { type: "checkbox", name: `sweep-${name}`, checked: sweepDefault, disabled: !sweepable, title: "Sweep this parameter", onchange: () => toggle() });
    const fixed = spec.type === "boolean"
      ? h("select", { name: `value-${name}` }, h("option", { value: "true", selected: spec.default === true }, "true"), h("option", { value: "false", selected: spec.default === false }, "false"))
      : spec.type === "choice"
        ? h("select", { name: `value-${name}` }, spec.choices.map((c) => h("option", { value: String(c), selected: c === spec.default }, String(c))))
        : h("input", { type: "number", step: "any", name: `value-${name}`, value: String(spec.default) });
    const range = h("span", { class: "range" });
    if (numeric) {
      const r = defaultRange(spec);
      range.append(
        h("label", { "data-field": `space.${name}.min` }, "min ", h("input", { type: "number", step: "any", name: `min-${name}`, value: String(r.min) })),
        h("label", { "data-field": `space.${name}.max` }, " max ", h("input", { type: "number", step: "any", name: `max-${name}`, value: String(r.max) })),
        h("label", { "data-field": `space.${name}.step` }, " step ", h("input", { type: "number", step: "any", name: `step-${name}`, value: String(r.step) })),
      );
    } else {
      const values = spec.type === "boolean" ? [true, false] : spec.choices;
      range.append(...values.map((v) => h("label", { class: "choice" }, h("input", { type: "checkbox", name: `values-${name}`, value: String(v), checked: true }), ` ${v}`)));
    }
    const bounds = numeric && (spec.min !== undefined || spec.max !== undefined) ? `${spec.type}, ${spec.min ?? "−∞"} … ${spec.max ?? "∞"}` : spec.type;
    const row = h(
      "div",
      { class: "field param-row", "data-field": `params.${name}`, "data-param": name },
      h("span", { class: "field-label" }, h("code", {}, name)),
      h("label", { class: "sweep" }, sweep, " sweep"),
      // The fixed value and the range share a cell; only one shows.
      h("span", { class: "fixed", "data-field": `space.${name}` }, fixed, range),
      h("span", { class: "muted note" }, `${bounds}; default ${fmt.value(spec.default)}${spec.description ? ` — ${spec.description}` : ""}`),
      h("div", { class: "field-error" }),
    );
    function toggle() {
      const on = sweep.checked && !sweep.disabled;
      fixed.hidden = on;
      range.hidden = !on;
      row.classList.toggle("swept", on);
    }
    toggle();
    row.sweepInput = sweep;
    row.spec = spec;
    return row;
  }

  const kindSelect = h("select", { name: "kind", onchange: () => drawParams() }, h("option", { value: "optimize" }, "optimize (sweep)"), h("option", { value: "backtest" }, "backtest (one run)"));
  const strategySelect = h("select", { name: "strategy", onchange: () => drawParams() });
  const eventsInput = h("input", { type: "number", name: "events", min: "1", step: "1", value: "20000" });
  const eventsField = field("events", "Events", eventsInput, "rows of synthetic data (seeded, so a job can be repeated)");
  const dataSelect = h("select", { name: "data", onchange: () => (eventsField.hidden = dataSelect.value !== "generated") });
  const methodSelect = h("select", { name: "method" }, ["grid", "random", "genetic"].map((m) => h("option", { value: m }, m)));
  const trialsInput = h("input", { type: "number", name: "trials", min: "1", step: "1", value: "16" });
  const backtestInput = h("textarea", { name: "backtest", rows: 3, placeholder: '{ "latencyMs": 5 }' });
  const submit = h("button", { type: "submit", id: "submit-job", class: "primary" }, "Start job");
  const optimizeOnly = h("div", { class: "optimize-only" }, field("method", "Method", methodSelect), field("trials", "Trials", trialsInput, "for random and genetic search; a grid runs every combination"));

  form.append(
    field("kind", "Kind", kindSelect),
    field("strategy", "Strategy", strategySelect),
    field("data", "Dataset", dataSelect),
    eventsField,
    optimizeOnly,
    h("h3", {}, "Parameters"),
    paramsBox,
    field("backtest", "Backtest options (JSON, optional)", backtestInput),
    formError,
    h("div", { class: "toolbar" }, submit),
  );

  function drawParams() {
    const kind = kindSelect.value;
    optimizeOnly.hidden = kind !== "optimize";
    const s = strategies.find((x) => x.name === strategySelect.value);
    clear(paramsBox);
    if (!s) return;
    if (!s.params?.length) paramsBox.append(h("p", { class: "muted" }, "This strategy has no parameters."));
    // Swept at first: two numeric parameters, those with a grid step in the schema first (a step
    // marks a parameter meant for search; e.g. a size of 0 meaning "derived" has none).
    const numeric = s.params.filter((p) => p.type === "number" || p.type === "integer");
    const preferred = [...numeric.filter((p) => p.step !== undefined), ...numeric.filter((p) => p.step === undefined)].slice(0, 2).map((p) => p.name);
    for (const spec of s.params) paramsBox.append(paramRow(spec, kind, preferred));
  }

  function readBody() {
    const kind = kindSelect.value;
    const body = { kind, strategy: strategySelect.value, data: dataSelect.value };
    if (body.data === "generated" && eventsInput.value !== "") body.events = Number(eventsInput.value);
    const params = {};
    const space = {};
    for (const row of paramsBox.querySelectorAll(".param-row")) {
      const spec = row.spec;
      const name = spec.name;
      const get = (prefix) => form.elements.namedItem(`${prefix}-${name}`);
      if (row.sweepInput.checked && !row.sweepInput.disabled) {
        if (spec.type === "number" || spec.type === "integer") {
          space[name] = { min: Number(get("min").value), max: Number(get("max").value), step: Number(get("step").value) };
        } else {
          const ticked = [...form.querySelectorAll(`input[name="values-${CSS.escape(name)}"]:checked`)].map((el) => el.value);
          space[name] = { values: ticked.map((v) => (spec.type === "boolean" ? v === "true" : typeof spec.choices[0] === "number" ? Number(v) : v)) };
        }
      } else {
        const raw = get("value").value;
        params[name] = spec.type === "boolean" ? raw === "true" : spec.type === "choice" ? spec.choices.find((c) => String(c) === raw) ?? raw : raw === "" ? raw : Number(raw);
      }
    }
    if (Object.keys(params).length) body.params = params;
    if (kind === "optimize") {
      body.space = space;
      body.method = methodSelect.value;
      if (trialsInput.value !== "") body.trials = Number(trialsInput.value);
    }
    const text = backtestInput.value.trim();
    if (text) {
      try {
        body.backtest = JSON.parse(text);
      } catch (e) {
        throw Object.assign(new Error(`backtest options are not valid JSON: ${e.message}`), { code: "BAD_JSON", field: "backtest", hint: 'write an object, e.g. { "latencyMs": 5 }' });
      }
    }
    return body;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors();
    let body;
    try {
      body = readBody();
    } catch (err) {
      showError(err);
      return;
    }
    submit.disabled = true;
    try {
      const r = await api.post("/api/jobs", body);
      location.hash = `#/live/${encodeURIComponent(r.job.id)}`;
    } catch (err) {
      if (alive) showError(err);
    } finally {
      submit.disabled = false;
    }
  });

  Promise.all([api.get("/api/strategies"), api.get("/api/datasets")])
    .then(([s, d]) => {
      if (!alive) return;
      strategies = s.strategies ?? [];
      datasets = d.datasets ?? [];
      strategySelect.replaceChildren(...strategies.map((x) => h("option", { value: x.name }, x.name)));
      dataSelect.replaceChildren(
        ...datasets.map((x) => h("option", { value: x.path }, `${x.name}${x.rows !== undefined ? ` (${fmt.count(x.rows)} rows)` : ""} · ${x.format}`)),
        h("option", { value: "generated" }, "synthetic (generated)"),
      );
      eventsField.hidden = dataSelect.value !== "generated";
      form.dataset.ready = "true";
      drawParams();
    })
    .catch((err) => alive && formError.append(errorBox(err)));

  return () => {
    alive = false;
  };
}
