// DOM helpers. Every text goes in through textContent, never innerHTML, so a strategy name or an
// error message from the server cannot inject markup.

/** h("a", { href, class: "x", onclick }, "text", child, [children]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value" || k === "checked" || k === "selected" || k === "disabled") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces el's children; null, undefined and false children are skipped (Element.append would write "null"). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** An error box: code and message on one line, the hint under it. */
export function errorBox(err) {
  return h(
    "div",
    { class: "error", role: "alert" },
    h("div", { class: "error-line" }, err.code ? h("b", {}, `${err.code}: `) : null, err.message ?? String(err)),
    err.hint ? h("div", { class: "hint" }, err.hint) : null,
  );
}

/** A two-column key/value table; rows with an undefined value are left out. */
export function keyValues(rows, cls = "kv") {
  return h(
    "table",
    { class: cls },
    h(
      "tbody",
      {},
      rows.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v))),
    ),
  );
}

export function section(title, ...children) {
  return h("section", { class: "panel" }, h("h2", {}, title), ...children);
}
