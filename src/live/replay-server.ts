/**
 * The replay server: a capture served as a venue would serve it, so the live path runs offline.
 *
 * - WebSocket (any path, e.g. `/stream?streams=...`): every line's JSON text as one text frame,
 *   as Binance's combined stream sends it (`{"stream": ..., "data": ...}`), in file order, paced
 *   by the recorded receive times divided by `speed`, or as fast as the client reads (`"max"`).
 *   REST snapshot lines are not streamed (a venue does not push them) unless `stamp` is set.
 * - `stamp: true`: each frame is the capture line itself, `<receive ns> <json>`, snapshots
 *   included at their recorded place. A feed reading stamped frames (`receiveTime: "stamped"`)
 *   sees the capture exactly as recorded, which is what parity with a backtest needs.
 * - REST `GET .../depth?limit=N` (Binance's `/fapi/v1/depth`, `/api/v3/depth`): the book as of
 *   the last diff sent, rebuilt by the book layer's sync (`BinanceDepthSync`), with that diff's
 *   `u` as `lastUpdateId`; before the capture's own snapshot has been reached, that snapshot.
 *
 * One playback cursor for all clients, like a venue's clock, except that it waits while no client
 * is connected (a test or a notebook never misses the start). At the end of the capture every
 * connection is closed with code 4000 ("end of capture"), which a feed takes as the end of its
 * stream. Listens on 127.0.0.1 only; at most `maxClients` connections; at full speed a client
 * that does not keep up holds the playback (its send buffer is bounded by `maxBufferedBytes`).
 *
 * Faults for tests and demonstrations: `dropAfter` closes every connection once after that many
 * frames (and loses `loseOnDrop` lines, as a venue keeps streaming while a client reconnects);
 * `omitLines` never sends those capture lines (a lost diff is a sequence gap).
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { LabError } from "../core/index.js";
import { binance } from "../venues/index.js";
import BinanceMessage = binance.Message;
import parseBinanceRaw = binance.parse;
import readBinanceRaw = binance.read;
type BinanceCapture = binance.Capture;
import BinanceDepthSync = binance.DepthSync;

const TEXT_FRAME = { binary: false } as const;

/** Close code that tells a client the capture is over (not a fault: do not reconnect). */
export const END_OF_CAPTURE = 4000;

export interface ReplayServerOptions {
  /** Recorded pace divided by this (1 = as recorded), or "max": as fast as the client reads. @default "max" */
  speed?: number | "max";
  /** @default 0 (a free port) */
  port?: number;
  /** Frames are whole capture lines `<ns> <json>`, snapshots included (see the module comment). @default false */
  stamp?: boolean;
  /**
   * Paced and unstamped: rewrite the exchange times (`E`, `T`) of every message and snapshot onto
   * the replay's clock, as the receive times are (recorded offset kept, scaled by the speed), so a
   * feed stamping receive times with this machine's clock sees exchange times of today, not of the
   * capture's day. Without it, a paper session on such a feed waits for the exchange-time cursor,
   * which starts years before the receive times, to pass the whole stream. @default true when paced and unstamped
   */
  retime?: boolean;
  /** Serve only the first n lines of the capture. */
  maxLines?: number;
  /** @default 4 */
  maxClients?: number;
  /** A slow client's send buffer above this holds the playback. @default 8 MiB */
  maxBufferedBytes?: number;
  /** Close every connection once after this many frames were sent (a dropped connection). */
  dropAfter?: number;
  /** Lines skipped at the drop (sent to nobody), as a venue goes on while the client is away. @default 0 */
  loseOnDrop?: number;
  /** 1-based capture lines never sent (a lost diff: a sequence gap). */
  omitLines?: readonly number[];
}

export interface ReplayServer {
  /** `ws://127.0.0.1:<port>/stream` */
  readonly url: string;
  /** The REST depth snapshot endpoint (`http://127.0.0.1:<port>/fapi/v1/depth?symbol=...&limit=1000`). */
  readonly snapshotUrl: string;
  readonly port: number;
  /** Frames sent so far (to all clients: one per line). */
  sent(): number;
  /** Connections accepted so far. */
  connections(): number;
  /** Resolves when the last line has been sent. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

interface Line {
  ns: bigint;
  /** What a frame carries: the JSON text (or the whole line when stamped). */
  text: string;
  /** The same as UTF-8 bytes (a view of the capture's text), sent as they are unless retimed. */
  bytes: Buffer;
  /** Message index in the parsed capture, -1 for lines the reader skipped. */
  message: number;
  snapshot: boolean;
  /** Never sent (`omitLines`), though the venue's book (the REST snapshot) includes it. */
  omit: boolean;
}

/** Splits a capture into lines (gzip or plain), keeping each line's raw text. */
function captureText(path: string): string {
  const bytes = readFileSync(path);
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** Frames' bytes, each a view of one buffer: encoded once, not once per frame sent. */
function frameBytes(texts: readonly string[]): Buffer[] {
  let size = 0;
  for (const t of texts) size += Buffer.byteLength(t, "utf8");
  const all = Buffer.allocUnsafe(size);
  const out: Buffer[] = [];
  let at = 0;
  for (const t of texts) {
    const n = all.write(t, at, "utf8");
    out.push(all.subarray(at, at + n));
    at += n;
  }
  return out;
}

function loadLines(path: string, options: ReplayServerOptions): { lines: Line[]; capture: BinanceCapture; recordedSnapshot: string | undefined } {
  // Coded errors for a missing or unreadable capture, and the market/instrument it holds.
  const checked = readBinanceRaw(path, { onBadRows: "quarantine" });
  const text = captureText(path);
  const raw = text.split("\n");
  if (raw.length > 0 && raw[raw.length - 1] === "") raw.pop();
  const limit = options.maxLines === undefined ? raw.length : Math.min(raw.length, options.maxLines);
  const kept = raw.slice(0, limit);
  const capture = limit === raw.length ? checked : parseBinanceRaw(kept.join("\n"), path, { market: checked.market, instrument: checked.instrument });
  const byLine = new Int32Array(limit + 1).fill(-1);
  for (let m = 0; m < capture.messages; m++) if (capture.line[m]! <= limit) byLine[capture.line[m]!] = m;
  const omit = new Set(options.omitLines ?? []);
  const lines: Omit<Line, "bytes">[] = [];
  let ns = 0n;
  let recordedSnapshot: string | undefined;
  for (let i = 0; i < limit; i++) {
    let line = kept[i]!;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "") continue;
    const space = line.indexOf(" ");
    const prefix = space > 0 ? line.slice(0, space) : "";
    // A line without a receive time keeps the previous one for pacing; its text is sent as is.
    if (/^\d{1,19}$/.test(prefix)) ns = BigInt(prefix);
    const json = /^\d{1,19}$/.test(prefix) ? line.slice(space + 1) : line;
    const message = byLine[i + 1]!;
    const snapshot = message >= 0 && capture.kind[message] === BinanceMessage.Snapshot;
    if (snapshot) recordedSnapshot ??= json;
    lines.push({ ns, text: options.stamp ? line : json, message, snapshot, omit: omit.has(i + 1) });
  }
  const bytes = frameBytes(lines.map((l) => l.text));
  return { lines: lines.map((l, i) => ({ ...l, bytes: bytes[i]! })), capture, recordedSnapshot };
}

/** Starts a replay server on 127.0.0.1 (see the module comment). */
export async function startReplayServer(capturePath: string, options: ReplayServerOptions = {}): Promise<ReplayServer> {
  const speed = options.speed ?? "max";
  if (speed !== "max" && !(typeof speed === "number" && Number.isFinite(speed) && speed > 0)) {
    throw new LabError({ code: "BAD_OPTION", message: `replay speed must be a positive number or "max", got ${JSON.stringify(speed)}`, hint: 'e.g. 1 (as recorded), 10 (ten times faster) or "max"', context: { option: "speed" } });
  }
  const maxClients = options.maxClients ?? 4;
  const maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const { lines, capture, recordedSnapshot } = loadLines(capturePath, options);
  const futures = capture.market === "futures";
  const sync = new BinanceDepthSync(futures);
  const instrument = capture.instrument;
  let lastExchMs = 0;
  const retime = speed !== "max" && !options.stamp && (options.retime ?? true);
  // The replay's clock: capture time t (ms) is shown as epochStart + (t - captureStart) / speed.
  let clockStartMs = NaN;
  let captureStartMs = NaN;
  const retimed = (text: string): string => {
    if (!retime || Number.isNaN(clockStartMs)) return text;
    return text.replace(/"([ET])":(\d{10,16})(?=[,}])/g, (_all, key: string, ms: string) => `"${key}":${Math.round(clockStartMs + (Number(ms) - captureStartMs) / (speed as number))}`);
  };

  const http: Server = createServer((req, res) => serveRest(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  // Each connection's socket, to cork it for a burst: the frames of a burst leave in one write
  // (one system call) instead of one each, which is what limits a full-speed replay otherwise.
  const sockets = new WeakMap<WebSocket, Duplex>();
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(ws, socket);
      wss.emit("connection", ws, req);
    });
  });
  const clients = new Set<WebSocket>();
  let connections = 0;
  let cursor = 0;
  let sent = 0;
  let dropped = false;
  let closed = false;
  let wake: (() => void) | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  function serveRest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" || !url.pathname.endsWith("/depth")) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"code":-1,"msg":"not found: the replay server serves GET .../depth"}');
      return;
    }
    const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get("limit") ?? 1000) || 1000));
    let body: string | undefined;
    if (sync.synced) {
      const side = (s: 1 | -1): string[][] => {
        const n = Math.min(limit, sync.book.levelCount(s));
        const prices = new Float64Array(n);
        const qtys = new Float64Array(n);
        const w = sync.book.levels(s, n, prices, qtys);
        const out: string[][] = [];
        for (let k = 0; k < w; k++) out.push([instrument.priceString(prices[k]!), instrument.sizeString(qtys[k]!)]);
        return out;
      };
      body = retimed(JSON.stringify({ lastUpdateId: sync.lastAppliedId, E: lastExchMs, T: lastExchMs, bids: side(1), asks: side(-1) }));
    } else body = recordedSnapshot === undefined ? undefined : retimed(recordedSnapshot);
    if (body === undefined) {
      res.writeHead(503, { "content-type": "application/json" }).end('{"code":-1,"msg":"the capture holds no depth snapshot"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  }

  wss.on("connection", (ws) => {
    if (clients.size >= maxClients) {
      ws.close(1013, "too many clients");
      return;
    }
    connections++;
    clients.add(ws);
    ws.on("close", () => clients.delete(ws));
    ws.on("error", () => clients.delete(ws));
    // Requests (SUBSCRIBE ...) are acknowledged as Binance does; the streams are whatever the capture holds.
    ws.on("message", (data) => {
      try {
        const request = JSON.parse(data.toString()) as { id?: unknown };
        ws.send(JSON.stringify({ result: null, id: request.id ?? null }));
      } catch {
        ws.send('{"code":2,"msg":"Invalid request"}');
      }
    });
    wake?.();
  });

  const waitFor = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  /** The book the REST endpoint serves follows every line sent, whether a client got it or not. */
  const track = (line: Line): void => {
    const m = line.message;
    if (m < 0) return;
    const k = capture.kind[m]!;
    if (k !== BinanceMessage.Diff && k !== BinanceMessage.Snapshot) return;
    sync.push(capture, m);
    if (capture.exchTs[m]! >= 0n) lastExchMs = Number(capture.exchTs[m]! / 1_000_000n);
  };

  const play = async (): Promise<void> => {
    let startWall = 0;
    let startNs = 0n;
    let started = false;
    let pausedAt = -1;
    while (cursor < lines.length && !closed) {
      if (clients.size === 0) {
        if (pausedAt < 0) pausedAt = performance.now();
        await waitFor(1000);
        continue;
      }
      if (pausedAt >= 0) {
        startWall += performance.now() - pausedAt;
        clockStartMs += performance.now() - pausedAt;
        pausedAt = -1;
      }
      if (!started) {
        started = true;
        startWall = performance.now();
        startNs = lines[cursor]!.ns;
        clockStartMs = performance.timeOrigin + startWall;
        captureStartMs = Number(startNs) / 1e6;
      }
      // One burst: every line due now (all of them at full speed, up to a bound so I/O interleaves).
      let burst = 0;
      const corked: Duplex[] = [];
      for (const ws of clients) {
        const socket = sockets.get(ws);
        if (socket) {
          socket.cork();
          corked.push(socket);
        }
      }
      while (cursor < lines.length && burst < 4096) {
        const line = lines[cursor]!;
        if (speed !== "max") {
          const due = startWall + Number(line.ns - startNs) / 1e6 / speed;
          const wait = due - performance.now();
          if (wait > 0.5) break;
        }
        cursor++;
        track(line);
        if (line.omit || (!options.stamp && line.snapshot)) continue;
        const frame = retime ? retimed(line.text) : line.bytes;
        for (const ws of clients) ws.send(frame, TEXT_FRAME);
        sent++;
        burst++;
        if (options.dropAfter !== undefined && !dropped && sent >= options.dropAfter) {
          dropped = true;
          for (const ws of clients) ws.terminate();
          clients.clear();
          for (let k = 0; k < (options.loseOnDrop ?? 0) && cursor < lines.length; k++) track(lines[cursor++]!);
          break;
        }
      }
      for (const socket of corked) socket.uncork();
      if (cursor >= lines.length) break;
      if (speed !== "max") {
        const due = startWall + Number(lines[cursor]!.ns - startNs) / 1e6 / speed;
        const wait = due - performance.now();
        if (wait > 1) await waitFor(Math.min(wait - 0.5, 1000));
        else await new Promise((resolve) => setImmediate(resolve));
      } else {
        // Let the sockets drain: a client slower than the file holds the playback, never the memory.
        while (!closed && [...clients].some((ws) => ws.bufferedAmount > maxBuffered)) await waitFor(2);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    // The close handshake completes before `done`: a client must read code 4000, not a dropped socket.
    // A client still reading its backlog reads the close frame after it: give it time.
    await closeAll(END_OF_CAPTURE, "end of capture", 15_000);
    finish();
  };

  const closeAll = async (code: number, reason: string, waitMs = 2000): Promise<void> => {
    const open = [...clients];
    const closedAll = Promise.all(open.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once("close", () => resolve())))));
    for (const ws of open) ws.close(code, reason);
    await Promise.race([closedAll, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    for (const ws of open) if (ws.readyState !== ws.CLOSED) ws.terminate();
  };

  await new Promise<void>((resolve, reject) => {
    http.once("error", (error: NodeJS.ErrnoException) =>
      reject(new LabError({ code: "BAD_OPTION", message: `the replay server cannot listen on 127.0.0.1:${options.port ?? 0}: ${error.message}`, hint: "choose another --port, or 0 for a free one", context: { option: "port" }, cause: error })),
    );
    http.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  void play();
  const symbol = instrument.symbol;
  return {
    url: `ws://127.0.0.1:${port}/stream`,
    snapshotUrl: `http://127.0.0.1:${port}${futures ? "/fapi/v1/depth" : "/api/v3/depth"}?symbol=${symbol}&limit=1000`,
    port,
    sent: () => sent,
    connections: () => connections,
    done,
    close: async () => {
      closed = true;
      wake?.();
      await closeAll(1001, "replay server closing");
      clients.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
      finish();
    },
  };
}
