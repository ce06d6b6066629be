/**
 * Reading a query's rows on another thread while this one works (a streamed backtest's engine).
 * DuckDB decodes on its own threads, but its result reaches JavaScript only through this thread's
 * event loop: read in the engine's thread, the next piece waited until the engine stopped for it,
 * and a streamed run took about as long as reading plus running. A worker thread with its own
 * DuckDB instance runs the query, copies each piece into typed arrays and moves them here without
 * copying; it stays at most `ahead` pieces ahead, so memory holds a bounded number of pieces.
 * The thread is started before its query is known (`readAheadThread`), so its start-up overlaps
 * the caller's planning, and its first piece is small (`firstRows`), so the consumer starts early.
 * Without a compiled worker (sources run without a build) the query runs in this thread.
 */
import { Worker } from "node:worker_threads";
import { LabError, isLabError, type LabErrorContext } from "../core/index.js";
import { compiledModuleUrlFrom } from "../core/internal.js";
import type { LabErrorCode } from "../core/index.js";
import { duckConnection, streamColumnChunks, type RawArray, type RawColumnSpec, type RawColumns, type RawType } from "./duck.js";

export interface ReadAheadInit {
  sql: string;
  specs: readonly RawColumnSpec[];
  chunkRows: number;
  /** Unused rows left before each piece's columns (see `streamColumnChunks`). */
  frontRows: number;
  /** Pieces the reader may run ahead of the consumer. */
  ahead: number;
  /** Rows of the first piece; later pieces double up to `chunkRows` (see `streamColumnChunks`). @default chunkRows */
  firstRows?: number;
}

/**
 * DuckDB threads of the read-ahead thread's instance. One: the engine's thread needs a core of
 * its own, and with one thread the query runs in the thread that fetches its chunks. (A larger
 * `streaming_buffer_size` only delayed the first rows then: the query fills it before its first
 * chunk, 0.1-0.4 s for 32 MB.)
 */
export const READ_AHEAD_DUCK_THREADS = 1;

export type ReadAheadMessage =
  | { type: "piece"; length: number; columns: { name: string; buffer: ArrayBuffer; byteOffset: number; length: number }[] }
  | { type: "end" }
  | { type: "error"; error: { code?: LabErrorCode; message: string; hint?: string; context?: LabErrorContext } };

/** What the reading side sends the thread. */
export type ReadAheadRequest = { type: "credit" | "stop" } | { type: "start"; init: ReadAheadInit } | { type: "recycle"; buffers: ArrayBuffer[] };

/** Pieces of a query, read ahead on a worker thread. `close()` stops the reader early. */
export interface PieceReader {
  next(): Promise<RawColumns | undefined>;
  /**
   * Gives a piece's memory back for later pieces: the caller reads none of `arrays` (nor any other
   * view of their buffers) again. Arrays this reader did not hand out are left alone.
   */
  recycle(arrays: readonly ArrayBufferView[]): void;
  close(): Promise<void>;
}

/** A read-ahead thread started before its query: `start` gives it the query once (else `close`). */
export interface ReadAheadThread {
  /** `failure` turns an error that is not a LabError into one (it names the source). */
  start(init: ReadAheadInit, failure: (message: string) => LabError): PieceReader;
  /** Stops a thread that was not started (the read was given up before its query). */
  close(): Promise<void>;
}

const ARRAY_OF: Record<RawType, new (buffer: ArrayBuffer, byteOffset: number, length: number) => RawArray> = {
  BIGINT: BigInt64Array,
  DOUBLE: Float64Array,
  UTINYINT: Uint8Array,
  TINYINT: Int8Array,
  USMALLINT: Uint16Array,
  UINTEGER: Uint32Array,
};

/**
 * Reads `init.sql` ahead on a worker thread; `failure` turns an error that is not a LabError into
 * one (it names the source).
 */
export function readAhead(init: ReadAheadInit, failure: (message: string) => LabError): PieceReader {
  return readAheadThread().start(init, failure);
}

/** Starts a read-ahead thread now (DuckDB loads and opens there) for a query given later. */
export function readAheadThread(): ReadAheadThread {
  let script: URL;
  try {
    script = compiledModuleUrlFrom(import.meta.url, "read-ahead-worker.js", "the catalog's read-ahead module");
  } catch {
    return { start: readInThread, close: async () => {} };
  }
  const worker = new Worker(script);
  // A reader left open must not keep the process alive.
  worker.unref();
  const queue: ReadAheadMessage[] = [];
  let waiting: ((message: ReadAheadMessage) => void) | undefined;
  let finished = false;
  let started = false;
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once("exit", () => {
    exited = true;
    resolve();
  }));
  const deliver = (message: ReadAheadMessage): void => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(message);
    } else queue.push(message);
  };
  worker.on("message", deliver);
  worker.on("error", (error) => deliver({ type: "error", error: { message: error.message } }));
  void exit.then(() => deliver({ type: "error", error: { message: "the read-ahead thread stopped before the end of the rows" } }));
  const send = (request: ReadAheadRequest, transfer: ArrayBuffer[] = []): void => worker.postMessage(request, transfer);
  /**
   * Stops the thread by asking it: terminating a thread while DuckDB's native code runs in it
   * aborts the whole process (the addon throws during the thread's teardown).
   */
  const stop = async (): Promise<void> => {
    finished = true;
    if (!exited) {
      worker.ref();
      send({ type: "stop" });
    }
    await exit;
  };
  const start = (init: ReadAheadInit, failure: (message: string) => LabError): PieceReader => {
    if (started || finished) throw new Error("a read-ahead thread reads one query");
    started = true;
    send({ type: "start", init });
    const types = new Map(init.specs.map((s) => [s.name, s.type]));
    /** Buffers handed out and not yet given back. */
    const lent = new Set<ArrayBuffer>();
    return {
      async next() {
        if (finished) return undefined;
        let message = queue.shift();
        if (!message) {
          // Waiting for the thread must keep the process alive (an idle reader must not).
          worker.ref();
          message = await new Promise<ReadAheadMessage>((resolve) => (waiting = resolve));
          worker.unref();
        }
        if (message.type === "end") {
          await stop();
          return undefined;
        }
        if (message.type === "error") {
          await stop();
          const e = message.error;
          throw e.code ? new LabError({ code: e.code, message: e.message, hint: e.hint ?? "", context: e.context ?? {} }) : failure(e.message);
        }
        send({ type: "credit" });
        const columns: Record<string, RawArray> = {};
        for (const c of message.columns) {
          columns[c.name] = new ARRAY_OF[types.get(c.name)!](c.buffer, c.byteOffset, c.length);
          lent.add(c.buffer);
        }
        return { length: message.length, columns };
      },
      recycle(arrays) {
        const buffers: ArrayBuffer[] = [];
        for (const a of arrays) {
          const buffer = a.buffer as ArrayBuffer;
          if (lent.delete(buffer)) buffers.push(buffer);
        }
        if (buffers.length > 0 && !finished) send({ type: "recycle", buffers }, buffers);
      },
      async close() {
        if (!finished) await stop();
      },
    };
  };
  return {
    start,
    async close() {
      if (!finished) await stop();
    },
  };
}

/** The same pieces read in this thread (no compiled worker module). */
function readInThread(init: ReadAheadInit, failure: (message: string) => LabError): PieceReader {
  let pieces: AsyncGenerator<RawColumns> | undefined;
  let connection: Awaited<ReturnType<typeof duckConnection>> | undefined;
  let finished = false;
  const close = async (): Promise<void> => {
    if (finished) return;
    finished = true;
    await pieces?.return(undefined);
    connection?.closeSync();
  };
  return {
    async next() {
      if (finished) return undefined;
      try {
        connection ??= await duckConnection();
        pieces ??= streamColumnChunks(connection, init.sql, init.specs, init.chunkRows, init.frontRows, undefined, init.firstRows);
        const piece = await pieces.next();
        if (!piece.done) return piece.value;
      } catch (error) {
        await close();
        throw isLabError(error) ? error : failure((error as Error)?.message ?? String(error));
      }
      await close();
      return undefined;
    },
    recycle() {},
    close,
  };
}
