/**
 * The room the feed leaves before each piece's columns (src/live/rows.ts): it grows with the piece
 * (a small piece gets little, so a paced feed does not allocate ~15 KB per frame), it is really
 * free (no other column's rows lie there), and a streamed run that writes its kept rows there,
 * or copies when they do not fit, gives the result of the in-memory run on the same rows.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { TICK_COLUMN_NAMES, tickBatch, type TickBatch, type TickColumns } from "../../src/data/index.js";
import { binance } from "../../src/venues/index.js";
import { backtest, backtestStream, type TickChunkSource } from "../../src/engine/index.js";
import { strategies } from "../../src/strategy/index.js";
import { LiveRows, type ReceivedLine } from "../../src/live/index.js";
import { MAX_FRONT_ROWS, MIN_FRONT_ROWS, frontRowsOf, withFrontRoom } from "../../src/live/rows.js";
import { ROOT } from "../helpers/paths.js";

type ColumnView = { buffer: ArrayBufferLike; byteOffset: number; byteLength: number; BYTES_PER_ELEMENT: number };

function stamped(line: string): ReceivedLine {
  const space = line.indexOf(" ");
  return { bytes: Buffer.from(line, "utf8"), jsonStart: space + 1, ns: BigInt(line.slice(0, space)), whole: true };
}

/** The pieces' rows end to end, in fresh columns. */
function concatBatches(batches: readonly TickBatch[]): TickBatch {
  const n = batches.reduce((sum, b) => sum + b.length, 0);
  const cols = {} as Record<string, unknown>;
  for (const name of TICK_COLUMN_NAMES) {
    const Ctor = (batches[0]![name] as unknown as { constructor: new (n: number) => { set(a: unknown, at: number): void } }).constructor;
    const out = new Ctor(n);
    let at = 0;
    for (const b of batches) {
      out.set(b[name], at);
      at += b.length;
    }
    cols[name] = out;
  }
  return tickBatch(cols as unknown as TickColumns, batches[0]!.instruments, "pieces");
}

/** The capture's first lines as a feed lays them out, in pieces of 1 to 996 lines. */
function pieces(): TickBatch[] {
  const lines = gunzipSync(readFileSync(join(ROOT, "data", "binance", "usdm_futures_btcusdt_20240808.gz"))).toString("utf8").split("\n").filter((l) => l !== "").slice(0, 8_000);
  const rows = new LiveRows({ market: "futures", instrument: binance.btcUsdt("futures"), description: "t" });
  const out: TickBatch[] = [];
  for (let at = 0, size = 1; at < lines.length; at += size, size = (size * 7) % 997 || 1) {
    const piece = rows.pieceOf(lines.slice(at, at + size).map(stamped));
    if (piece.rows) out.push(piece.rows);
  }
  return out;
}

describe("room in front of a live feed's pieces", () => {
  const laid = pieces();

  it("grows with the piece, and no other column's bytes lie in it", () => {
    const sizes = new Set<number>();
    for (const batch of laid) {
      const room = frontRowsOf(batch);
      expect(room).toBe(Math.min(MAX_FRONT_ROWS, Math.max(MIN_FRONT_ROWS, batch.length)));
      sizes.add(room);
      // Every column's stretch [start - room, end) in the shared buffer overlaps no other column's.
      const stretches = TICK_COLUMN_NAMES.map((name) => {
        const c = batch[name] as unknown as ColumnView;
        return [c.byteOffset - room * c.BYTES_PER_ELEMENT, c.byteOffset + c.byteLength, c.buffer] as const;
      });
      for (const [start] of stretches) expect(start).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < stretches.length; i++) {
        for (let j = 0; j < stretches.length; j++) {
          if (i === j || stretches[i]![2] !== stretches[j]![2]) continue;
          const overlap = stretches[i]![0] < stretches[j]![1] && stretches[j]![0] < stretches[i]![1];
          expect(overlap, `${TICK_COLUMN_NAMES[i]} and ${TICK_COLUMN_NAMES[j]}`).toBe(false);
        }
      }
    }
    expect(sizes.has(MIN_FRONT_ROWS) && sizes.has(MAX_FRONT_ROWS)).toBe(true);
    // A batch the feed did not lay out has none.
    expect(frontRowsOf(concatBatches(laid.slice(0, 2)))).toBe(0);
  });

  it("a streamed run over the pieces (kept rows written into the room, or copied when they do not fit) equals the in-memory run", async () => {
    const strategy = strategies.marketMaker({ requoteMs: 20 });
    const options = { latencyNs: 200_000, queue: "prob" as const };
    const whole = backtest(concatBatches(laid), strategy, options);
    let next = 0;
    const source: TickChunkSource = {
      instruments: [laid[0]!.instruments[0]!],
      description: "pieces",
      frontRowsOf,
      next: async () => (next < laid.length ? withFrontRoom(laid[next++]!, source) : undefined),
    };
    const streamed = await backtestStream(source, strategy, options);
    expect(whole.fills.price.length).toBeGreaterThan(10);
    for (const column of ["ts", "price", "qty", "side", "fee"] as const) expect(Array.from(streamed.fills[column] as ArrayLike<number | bigint>), column).toEqual(Array.from(whole.fills[column] as ArrayLike<number | bigint>));
    expect(streamed.summary.pnl).toBe(whole.summary.pnl);
    expect(streamed.summary.finalPosition).toEqual(whole.summary.finalPosition);
  });
});
