/**
 * The catalog's read-ahead thread (see read-ahead.ts): runs one query on its own DuckDB instance
 * and posts its rows piece by piece, moving each piece's buffers to the reading thread (no copy).
 * It starts before it knows its query (the caller plans the read meanwhile), so loading DuckDB and
 * opening its instance do not delay the first piece; the query comes in a "start" message. It
 * runs at most `ahead` pieces ahead of what the reader has taken. Buffers the reader is done
 * with come back ("recycle") and hold later pieces: fresh memory costs a page fault per page on
 * first touch, and allocating every piece anew took 70-160 ns per row of this thread's time
 * (1M-row pieces of eight columns), a third or more of what the thread spends per row.
 */
import { parentPort, workerData } from "node:worker_threads";
import { isLabError } from "../core/index.js";
import { BufferPool, streamColumnChunks, streamingConnection } from "./duck.js";
import { READ_AHEAD_DUCK_THREADS, type ReadAheadInit, type ReadAheadMessage, type ReadAheadRequest } from "./read-ahead.js";

const port = parentPort!;
let init = workerData as ReadAheadInit | undefined;
let credits = 0;
let stopped = false;
let wake: (() => void) | undefined;
/** Buffers the reader gave back. */
const pool = new BufferPool();
port.on("message", (message: ReadAheadRequest) => {
  if (message.type === "recycle") {
    for (const buffer of message.buffers) pool.give(buffer);
    return;
  }
  if (message.type === "credit") credits++;
  else if (message.type === "stop") stopped = true;
  else if (message.type === "start") {
    init = message.init;
    credits = init.ahead;
  }
  const resume = wake;
  wake = undefined;
  resume?.();
});

function post(message: ReadAheadMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function main(): Promise<void> {
  if (init) credits = init.ahead;
  let connection: Awaited<ReturnType<typeof streamingConnection>> | undefined;
  try {
    connection = await streamingConnection(READ_AHEAD_DUCK_THREADS);
    while (!init && !stopped) await new Promise<void>((resolve) => (wake = resolve));
    if (!init || stopped) return;
    const pieces = streamColumnChunks(connection, init.sql, init.specs, init.chunkRows, init.frontRows, pool.allocate, init.firstRows);
    for await (const piece of pieces) {
      while (credits === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
      // asked to stop: leaving the loop ends the query (the generator's cleanup) and the thread
      if (stopped) break;
      credits--;
      const columns = init.specs.map((spec) => {
        const array = piece.columns[spec.name]!;
        return { name: spec.name, buffer: array.buffer as ArrayBuffer, byteOffset: array.byteOffset, length: array.length };
      });
      post({ type: "piece", length: piece.length, columns }, columns.map((c) => c.buffer));
    }
    if (!stopped) post({ type: "end" });
  } catch (error) {
    const e = error as Error;
    post({ type: "error", error: isLabError(error) ? { code: error.code, message: error.message, hint: error.hint, context: error.context } : { message: e?.message ?? String(error) } });
  } finally {
    connection?.closeSync();
    port.close();
  }
}

void main();
