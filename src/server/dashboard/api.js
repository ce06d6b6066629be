// Talks to the research server: REST under /api (the token travels in the HttpOnly cookie that
// `/?token=` sets, so the page never sees it), the live WebSocket, and Plotly loaded on demand.

export class ApiError extends Error {
  constructor(status, body) {
    const e = body?.error ?? {};
    super(e.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = e.code ?? `HTTP_${status}`;
    this.hint = e.hint ?? "";
    this.field = e.field;
  }
}

const listeners = { unauthorized: [] };

export function onUnauthorized(fn) {
  listeners.unauthorized.push(fn);
}

async function request(method, path, body) {
  const init = { method, headers: { accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { error: { code: `HTTP_${res.status}`, message: text.slice(0, 200) } };
  }
  if (!res.ok) {
    const err = new ApiError(res.status, json);
    if (res.status === 401) for (const fn of listeners.unauthorized) fn(err);
    throw err;
  }
  return json;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body) => request("POST", path, body ?? {}),
  del: (path) => request("DELETE", path),
};

/** A query string from the defined, non-empty entries of `params`. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    q.set(k, typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

// One WebSocket for the whole page; pages subscribe and unsubscribe as they come and go. It
// reconnects with a growing delay, and tells subscribers when it (re)connects so they can fetch
// what they missed while it was down.
const subscribers = new Set();
const statusListeners = new Set();
let socket;
let retryMs = 500;
let status = "connecting";

function setStatus(s) {
  status = s;
  for (const fn of statusListeners) fn(s);
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/live`;
  setStatus("connecting");
  try {
    socket = new WebSocket(url);
  } catch {
    setTimeout(connect, retryMs);
    return;
  }
  socket.addEventListener("open", () => {
    retryMs = 500;
    setStatus("live");
    for (const s of subscribers) s.onOpen?.();
  });
  socket.addEventListener("message", (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    const batch = Array.isArray(msg) ? msg : [msg];
    for (const m of batch) for (const s of subscribers) s.onMessage(m);
  });
  socket.addEventListener("close", () => {
    setStatus("offline");
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  });
}

export function live(onMessage, onOpen) {
  const sub = { onMessage, onOpen };
  subscribers.add(sub);
  if (!socket) connect();
  return () => subscribers.delete(sub);
}

export function onLiveStatus(fn) {
  statusListeners.add(fn);
  fn(status);
  if (!socket) connect();
}

let plotly;
// Where the server serves node_modules/plotly.js-dist-min/plotly.min.js; the second is tried when the first is missing.
const PLOTLY_PATHS = ["/vendor/plotly.min.js", "/assets/plotly.min.js"];

/** Plotly (4.6 MB) is fetched the first time a page draws a chart, so the runs table opens fast. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  plotly ??= new Promise((resolve, reject) => {
    const next = (k) => {
      if (k >= PLOTLY_PATHS.length) {
        plotly = undefined;
        reject(new Error(`could not load Plotly from ${PLOTLY_PATHS.join(" or ")}`));
        return;
      }
      const script = document.createElement("script");
      script.src = PLOTLY_PATHS[k];
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        script.remove();
        next(k + 1);
      };
      document.head.append(script);
    };
    next(0);
  });
  return plotly;
}

/** Calls fn at most once per `ms`, the last call winning (charts redraw at a readable pace). */
export function throttle(fn, ms) {
  let timer;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      last = Date.now();
      fn();
    }, wait);
  };
}
