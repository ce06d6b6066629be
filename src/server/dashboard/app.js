// The dashboard's entry: a hash router (the server serves one page; links survive a reload and
// need no server-side routes), the navigation bar and the live-connection indicator.
import { api, onLiveStatus, onUnauthorized } from "./api.js";
import { clear, errorBox, fill, h } from "./dom.js";
import { runsPage } from "./runs.js";
import { runPage } from "./run.js";
import { comparePage } from "./compare.js";
import { livePage } from "./live.js";
import { newJobPage } from "./new-job.js";

const routes = [
  [/^#?\/?$/, () => runsPage],
  [/^#\/runs(?:\?.*)?$/, () => runsPage],
  [/^#\/run\/([^/?]+)$/, () => runPage],
  [/^#\/compare\/([^/?]+)\/([^/?]+)$/, () => comparePage],
  [/^#\/live\/([^/?]+)$/, () => livePage],
  [/^#\/new$/, () => newJobPage],
];

const main = document.getElementById("main");
let cleanup;
let signedOut = false;

function route() {
  if (signedOut) return;
  cleanup?.();
  cleanup = undefined;
  clear(main);
  const hash = location.hash || "#/";
  for (const [re, page] of routes) {
    const m = re.exec(hash);
    if (!m) continue;
    const args = m.slice(1).map(decodeURIComponent);
    const onRuns = /^#?\/?(runs.*)?$/.test(hash);
    for (const a of document.querySelectorAll("nav a[data-route]")) {
      const href = a.getAttribute("href");
      a.classList.toggle("active", href === "#/" ? onRuns : hash.startsWith(href));
    }
    try {
      const result = page()(main, ...args);
      cleanup = typeof result === "function" ? result : undefined;
    } catch (err) {
      main.append(errorBox(err));
    }
    return;
  }
  main.append(h("p", {}, "No such page. ", h("a", { href: "#/" }, "Back to the runs")));
}

onUnauthorized(() => {
  if (signedOut) return;
  signedOut = true;
  cleanup?.();
  fill(main, 
    h(
      "div",
      { class: "error signin", id: "signin" },
      h("div", { class: "error-line" }, h("b", {}, "UNAUTHORIZED: "), "this browser has no valid access token for the server."),
      h("div", { class: "hint" }, "Open the address `strategy-lab serve` printed (it ends in /?token=…), or add ?token=<token> to this page's address."),
    ),
  );
});

onLiveStatus((s) => {
  const el = document.getElementById("live-status");
  el.textContent = s === "live" ? "● live" : s === "connecting" ? "○ connecting" : "○ offline";
  el.className = `live-status ${s}`;
  el.title = s === "live" ? "Receiving live updates" : "Live updates paused; the page reconnects by itself";
});

api
  .get("/api/health")
  .then((health) => {
    const store = health.store ? `${health.store.kind} · ${health.store.location}` : "";
    document.getElementById("server-info").textContent = `v${health.version ?? "?"}${store ? ` · ${store}` : ""}`;
  })
  .catch(() => {});

window.addEventListener("hashchange", route);
route();
