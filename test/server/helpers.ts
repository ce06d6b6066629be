/**
 * Helpers of the server tests: requests with the token, a live-feed client that keeps every
 * message, and waiting for a condition (bounded, so a hang fails instead of blocking).
 */
import WebSocket from "ws";

export const TOKEN = "test-token-0123456789";

export async function api(url: string, path: string, init: RequestInit & { token?: string | null } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const res = await fetch(url + path, { ...init, headers, redirect: "manual" });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface LiveClient {
  messages: any[];
  socket: WebSocket;
  close(): Promise<void>;
}

/** Opens /api/live; resolves once the connection is open (rejects with the HTTP status otherwise). */
export function live(url: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<LiveClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, "ws") + "/api/live", { headers });
    const messages: any[] = [];
    // A frame is one message or an array of them (a flush of trials).
    socket.on("message", (data) => {
      const m = JSON.parse(String(data));
      messages.push(...(Array.isArray(m) ? m : [m]));
    });
    socket.on("unexpected-response", (req, res) => {
      req.destroy();
      res.destroy();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    socket.on("error", reject);
    socket.on("open", () =>
      resolve({
        messages,
        socket,
        close: () =>
          new Promise<void>((done) => {
            if (socket.readyState === WebSocket.CLOSED) return done();
            socket.once("close", () => done());
            socket.close();
          }),
      }),
    );
  });
}
