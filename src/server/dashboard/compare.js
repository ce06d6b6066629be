// Two runs side by side: every metric with b − a, the parameters that differ, equity overlaid.
import { api, query } from "./api.js";
import { errorBox, fill, h, section } from "./dom.js";
import { chartBox, equityChart } from "./charts.js";
import * as fmt from "./format.js";

function runHeader(run, label) {
  return h(
    "div",
    { class: "compare-run", "data-side": label },
    h("div", { class: "card-title" }, `Run ${label.toUpperCase()}`),
    h("a", { href: `#/run/${encodeURIComponent(run.id)}`, class: "run-id" }, run.id),
    h("div", {}, `${run.strategy} · ${run.kind} · `, h("span", { class: `state ${run.state}` }, run.state)),
    h("div", { class: "muted" }, `${fmt.dateTime(run.createdAt)} UTC`),
  );
}

export function comparePage(root, a, b) {
  let alive = true;
  root.append(h("p", { class: "muted" }, "Loading comparison…"));
  (async () => {
    let r;
    try {
      r = await api.get(`/api/compare${query({ a, b })}`);
    } catch (err) {
      if (alive) fill(root, errorBox(err), h("p", {}, h("a", { href: "#/" }, "Back to the runs")));
      return;
    }
    if (!alive) return;
    // The compare answer may leave out equity (as the runs list does): fetch the runs for the chart.
    const [ra, rb] = await Promise.all(
      [r.a, r.b].map((run) => (run.equity ? Promise.resolve(run) : api.get(`/api/runs/${encodeURIComponent(run.id)}`).then((x) => x.run, () => run))),
    );
    if (!alive) return;
    const metrics = r.metrics ?? [];
    const paramNames = [...new Set([...Object.keys(ra.params ?? {}), ...Object.keys(rb.params ?? {})])];
    const chart = chartBox("compare-chart");
    fill(root, 
      h("h1", {}, "Compare runs"),
      h("div", { class: "compare-head" }, runHeader(ra, "a"), runHeader(rb, "b")),
      section(
        "Metrics",
        h(
          "table",
          { class: "grid", id: "compare-metrics" },
          h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", { class: "num" }, "A"), h("th", { class: "num" }, "B"), h("th", { class: "num" }, "B − A"))),
          h(
            "tbody",
            {},
            metrics.map((m) => {
              const d = fmt.num(m.diff);
              return h(
                "tr",
                { class: "metric-row", "data-metric": m.name },
                h("th", {}, fmt.metricTitle(m.name)),
                h("td", { class: "num" }, fmt.metric(m.name, m.a)),
                h("td", { class: "num" }, fmt.metric(m.name, m.b)),
                h("td", { class: `num ${d > 0 ? "up" : d < 0 ? "down" : ""}` }, fmt.metricDiff(m.name, m.diff)),
              );
            }),
          ),
        ),
      ),
      section(
        "Parameters",
        h(
          "table",
          { class: "grid compact", id: "compare-params" },
          h("thead", {}, h("tr", {}, h("th", {}, "Parameter"), h("th", { class: "num" }, "A"), h("th", { class: "num" }, "B"))),
          h(
            "tbody",
            {},
            paramNames.map((p) => {
              const va = fmt.value(ra.params?.[p]);
              const vb = fmt.value(rb.params?.[p]);
              return h("tr", { class: va === vb ? "" : "differs" }, h("th", {}, p), h("td", { class: "num" }, va), h("td", { class: "num" }, vb));
            }),
          ),
        ),
      ),
      section("Equity", chart),
    );
    equityChart(chart, [
      { ...ra, label: `A ${ra.id}` },
      { ...rb, label: `B ${rb.id}` },
    ]);
  })();
  return () => {
    alive = false;
  };
}
