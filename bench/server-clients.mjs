// Load clients of bench/server.bench.mjs, run as a child process (forked with an IPC channel), as
// browsers and scripts are other processes than the server: on a 2-core machine each side gets a
// core, and the figure is the server's, not a load generator sharing its event loop or its core.
//
//   rest <url> <token> <clients> <requests> <expectRuns> [warmup]: keep-alive HTTP/1.1 GETs, one request
//     in flight per connection (a client waits for its answer, as a page does); every answer is
//     checked (status 200, complete body, JSON with `expectRuns` runs). Sends the latencies, ms.
//   live <url> <token> <clients> <expected> <ws module path>: WebSocket clients that count the
//     trial messages in every frame (a frame is one message or an array of them); one of them
//     parses and checks them all. Sends {type:"open"} once all are connected and {type:"done", at}
//     when every client has counted `expected`.
import { connect } from "node:net";
import { createRequire } from "node:module";

const [mode, ...args] = process.argv.slice(2);
const send = (m) => process.send(m);
/** The last message: the process ends once it is out. */
const finish = (m) => process.send(m, () => process.exit(0));

/**
 * A minimal HTTP/1.1 client over one socket: `fetch` spends far more per request than the server
 * under test (headers objects, streams, abort signals), so the generator, not the server, would
 * be measured. Responses are framed by Content-Length (what the API sends).
 */
function httpClient(url, token) {
  const u = new URL(url);
  const request = Buffer.from(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${token}\r\nAccept: application/json\r\n\r\n`, "latin1");
  return new Promise((resolveClient, rejectClient) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    let pending;
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0 || pending === undefined) return;
      const head = buf.toString("latin1", 0, end);
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!m) return pending.reject(new Error("answer without content-length: " + head.split("\r\n")[0]));
      const total = end + 4 + Number(m[1]);
      if (buf.length < total) return;
      const status = Number(head.slice(9, 12));
      const body = buf.subarray(end + 4, total);
      buf = buf.length === total ? Buffer.alloc(0) : buf.subarray(total);
      const p = pending;
      pending = undefined;
      p.resolve({ status, body });
    });
    socket.on("error", (e) => (pending ? pending.reject(e) : rejectClient(e)));
    socket.on("connect", () =>
      resolveClient({
        get: () =>
          new Promise((resolve, reject) => {
            pending = { resolve, reject };
            socket.write(request);
          }),
        close: () => socket.destroy(),
      }),
    );
  });
}

if (mode === "rest") {
  const [url, token, clients, requests, expectRuns, warmup] = [args[0], args[1], Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5] ?? 1)];
  const latencies = [];
  // Answers are checked after the measured rounds: parsing one in the generator would delay
  // the answers of the other connections it reads in the same turn of its event loop.
  const answers = [];
  const check = ({ status, body }) => {
    const parsed = JSON.parse(body.toString("utf8"));
    if (status !== 200 || parsed.runs?.length !== expectRuns) throw new Error(`bad answer ${status}: ${body.toString("utf8").slice(0, 200)}`);
  };
  try {
    const conns = await Promise.all(Array.from({ length: clients }, () => httpClient(url, token)));
    // Warm-up: every connection answered `warmup` times, so the route is compiled and the listing ready.
    await Promise.all(
      conns.map(async (c) => {
        for (let i = 0; i < warmup; i++) check(await c.get());
      }),
    );
    send({ type: "measuring" });
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await Promise.all(
      conns.map(async (c) => {
        for (let i = 0; i < requests; i++) {
          const t0 = performance.now();
          const r = await c.get();
          latencies.push(performance.now() - t0);
          answers.push(r);
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    for (const c of conns) c.close();
    for (const r of answers) check(r);
    finish({ type: "done", latencies, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
  } catch (e) {
    finish({ type: "error", error: e.message });
  }
} else if (mode === "live") {
  const [url, token, clients, expected, wsPath] = [args[0], args[1], Number(args[2]), Number(args[3]), args[4]];
  const WebSocket = createRequire(import.meta.url)(wsPath);
  let open = 0;
  let finished = 0;
  const sockets = [];
  // Client 0 parses every frame and checks it got trial 0, 1, 2, ... each once and in order; the
  // others count the trial messages in each frame without parsing it (a trial message starts with
  // `{"type":"trial"`, which cannot occur inside a JSON string, where quotes are escaped, nor in a
  // trial's params or metrics, which hold no objects), so the figure is the server's delivery
  // rather than nine more copies of one client's JSON parsing.
  const MARK = Buffer.from('{"type":"trial"');
  const count = (data) => {
    let n = 0;
    for (let at = data.indexOf(MARK); at >= 0; at = data.indexOf(MARK, at + MARK.length)) n++;
    return n;
  };
  for (let i = 0; i < clients; i++) {
    let received = 0;
    const s = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    s.on("open", () => ++open === clients && send({ type: "open" }));
    s.on("message", (data) => {
      if (i === 0) {
        const msg = JSON.parse(data.toString("utf8"));
        for (const m of Array.isArray(msg) ? msg : [msg]) {
          if (m.type !== "trial") continue;
          if (m.trial.index !== received) return send({ type: "error", error: `client 0 got trial ${m.trial.index} where ${received} was due` });
          received++;
        }
      } else received += count(data);
      if (received === expected) {
        s.close();
        if (++finished === clients) finish({ type: "done", at: Date.now() });
      } else if (received > expected) send({ type: "error", error: `client ${i} got ${received} trial messages, ${expected} were sent` });
    });
    s.on("error", (e) => send({ type: "error", error: e.message }));
    sockets.push(s);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
