/**
 * The catalog's read-ahead thread (see read-ahead.ts): runs one query on its own DuckDB instance
 * and posts its rows piece by piece, moving each piece's buffers to the reading thread (no copy).
 * It runs at most `ahead` pieces ahead of what the reader has taken.
 */
import { parentPort, workerData } from "node:worker_threads";
import { isLabError } from "../core/index.js";
import { duckConnection, streamColumnChunks } from "./duck.js";
import type { ReadAheadInit, ReadAheadMessage } from "./read-ahead.js";

const init = workerData as ReadAheadInit;
const port = parentPort!;
let credits = init.ahead;
let stopped = false;
let wake: (() => void) | undefined;
port.on("message", (message: { type: "credit" | "stop" }) => {
  if (message.type === "credit") credits++;
  else if (message.type === "stop") stopped = true;
  const resume = wake;
  wake = undefined;
  resume?.();
});

function post(message: ReadAheadMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function main(): Promise<void> {
  const connection = await duckConnection();
  try {
    for await (const piece of streamColumnChunks(connection, init.sql, init.specs, init.chunkRows, init.frontRows)) {
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
    connection.closeSync();
    port.close();
  }
}

void main();
