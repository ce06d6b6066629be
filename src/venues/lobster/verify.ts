/**
 * Verifies L2 reconstruction against LOBSTER's own orderbook file (row i = the top L levels after
 * message i).
 *
 * The book is a price-level book driven by the messages: type 1 adds its size at (side, price);
 * types 2, 3 and 4 remove theirs; 5 (hidden), 6 (cross) and 7 (halt) leave the visible book alone.
 * It starts from orderbook row 0 (the state after message 0), and after every later message
 * levels 1..L-1 of both sides are compared with the reference row.
 *
 * Why level L cannot always be known: the messages only speak about prices that change, and the
 * starting state shows only L levels. When a level inside the window disappears (a delete or an
 * execution empties it), every deeper level moves up one place and a level that was never in view
 * becomes level L. Its size is the total of orders resting there, some placed before anything we
 * saw; no message in the window says how much. So after each message the verifier copies into its
 * book any level that has just come into view (and drops a level that only its partial knowledge
 * of the hidden depth put there) and counts that cell as "not comparable". Levels 1..L-1 never
 * need this: at most one level changes per message, so a level entering the window lands at L.
 */
import { L2Book } from "../../book/index.js";
import { LabError } from "../../core/index.js";
import { EventKind, type TickBatch } from "../../data/index.js";
import { readLobster, type LobsterData, type LobsterOrderbook } from "./read.js";

export interface LobsterMismatch {
  /** 0-based message/orderbook row. */
  row: number;
  side: "bid" | "ask";
  /** 1-based level. */
  level: number;
  expected: { price: number; size: number };
  actual: { price: number; size: number };
}

export interface LobsterVerifyReport {
  /** Rows compared (every row after the starting row 0). */
  rows: number;
  levels: number;
  /** Level cells compared (a cell = one side, one level, one row). */
  compared: number;
  mismatches: number;
  firstMismatch: LobsterMismatch | null;
  /** Level-L cells that had just come into view and cannot be known from the messages. */
  notComparable: number;
}

export interface LobsterVerifyOptions {
  /** Compare levels 1..levels-1 plus level `levels` when knowable. Default: the orderbook's L. */
  levels?: number;
}

function sideLevels(book: L2Book, side: 1 | -1, n: number, prices: Float64Array, sizes: Float64Array): number {
  prices.fill(NaN);
  sizes.fill(0);
  return book.levels(side, n, prices, sizes);
}

/** The files (or already-read parts) to verify, for `verifyLobster({ messages, orderbook, levels })`. */
export interface LobsterVerifyInput extends LobsterVerifyOptions {
  /** Message CSV or LOBSTER zip, or the message batch `readLobster` returned. */
  messages: string | TickBatch;
  /** Orderbook CSV or zip (default: inside the messages zip), or the orderbook `readLobster` returned. */
  orderbook?: string | LobsterOrderbook;
  /** Session date when the file name does not carry it. */
  date?: string;
}

function isLobsterData(x: LobsterData | LobsterVerifyInput): x is LobsterData {
  return "batch" in x;
}

/**
 * Replays the messages as price levels and compares levels 1..L-1 with the orderbook after every
 * message. Takes what `readLobster` returned, or `{ messages, orderbook, levels }` as file paths
 * (read here) or as the parts already read.
 */
export function verifyLobster(input: LobsterData | LobsterVerifyInput, options: LobsterVerifyOptions = {}): LobsterVerifyReport {
  let data: LobsterData;
  if (isLobsterData(input)) data = input;
  else {
    if (typeof input.messages === "string") {
      const orderbookFile = typeof input.orderbook === "string" ? input.orderbook : undefined;
      data = readLobster({ messages: input.messages, ...(orderbookFile ? { orderbook: orderbookFile } : typeof input.orderbook === "object" ? { orderbook: false } : {}), ...(input.date ? { date: input.date } : {}) });
    } else data = { batch: input.messages, date: "", symbol: "", counts: { add: 0, partialCancel: 0, delete: 0, execute: 0, hiddenExecute: 0, cross: 0, halt: 0 } };
    if (typeof input.orderbook === "object") data = { ...data, orderbook: input.orderbook };
    if (input.levels !== undefined && options.levels === undefined) options = { levels: input.levels };
  }
  const ob = data.orderbook;
  if (!ob) {
    throw new LabError({ code: "NO_ORDERBOOK", message: "LOBSTER verification needs the orderbook file", hint: "read the LOBSTER zip (it holds both files) or pass { orderbook: <file> } to readLobster" });
  }
  const L = options.levels ?? ob.levels;
  if (!Number.isInteger(L) || L < 2 || L > ob.levels) {
    throw new LabError({ code: "BAD_OPTION", message: `levels must be an integer in 2..${ob.levels}, got ${L}`, hint: `the orderbook file has ${ob.levels} levels` });
  }
  const { batch } = data;
  const book = new L2Book();
  const W = ob.levels;
  // Row 0 is the starting state.
  for (let k = 0; k < L; k++) {
    if (ob.bidSize[k]! > 0) book.setLevel(1, ob.bidPrice[k]!, ob.bidSize[k]!);
    if (ob.askSize[k]! > 0) book.setLevel(-1, ob.askPrice[k]!, ob.askSize[k]!);
  }
  const mine = new Float64Array(L + 1);
  const mineSize = new Float64Array(L + 1);
  const scan = new Float64Array(L + 16);
  const scanSize = new Float64Array(L + 16);
  // Prices in the previous row's window: a level-L price is knowable only if it was in view.
  const prevBid = new Float64Array(L);
  const prevAsk = new Float64Array(L);
  let compared = 0, mismatches = 0, notComparable = 0;
  let firstMismatch: LobsterMismatch | null = null;

  for (let r = 1; r < batch.length; r++) {
    for (let k = 0; k < L; k++) {
      prevBid[k] = ob.bidPrice[(r - 1) * W + k]!;
      prevAsk[k] = ob.askPrice[(r - 1) * W + k]!;
    }
    // aux holds the LOBSTER type (1-6); a Halt row's aux is its halt/resume code instead.
    const type = batch.kind[r] === EventKind.Halt ? 7 : batch.aux[r]!;
    if (type >= 1 && type <= 4) {
      const side = batch.side[r] as 1 | -1;
      const price = batch.priceTicks[r]!;
      const size = batch.qtyLots[r]!;
      const current = book.qtyAt(side, price);
      book.setLevel(side, price, type === 1 ? current + size : current - size);
    }
    for (const side of [1, -1] as const) {
      const refPrice = side === 1 ? ob.bidPrice : ob.askPrice;
      const refSize = side === 1 ? ob.bidSize : ob.askSize;
      const prev = side === 1 ? prevBid : prevAsk;
      sideLevels(book, side, L, mine, mineSize);
      for (let k = 0; k < L; k++) {
        const ep = refPrice[r * W + k]!;
        const es = refSize[r * W + k]!;
        const ap = mine[k]!;
        const as = mineSize[k]!;
        // Level L is knowable when it was already in view, or when this very message created it.
        const createdHere = type === 1 && batch.side[r] === side && batch.priceTicks[r] === ep && !prev.includes(ep);
        if (k === L - 1 && !Number.isNaN(ep) && !prev.includes(ep) && !(createdHere && es === batch.qtyLots[r])) {
          notComparable++;
          continue;
        }
        compared++;
        const same = (Number.isNaN(ep) && Number.isNaN(ap)) || (ep === ap && es === as);
        if (!same) {
          mismatches++;
          firstMismatch ??= { row: r, side: side === 1 ? "bid" : "ask", level: k + 1, expected: { price: ep, size: es }, actual: { price: ap, size: as } };
        }
      }
      // Realign the window with the reference: copy in levels that came into view, drop levels the
      // hidden depth put there wrongly. Mismatches above were already counted.
      const deepest = refPrice[r * W + L - 1]!;
      const better = (p: number) => (side === 1 ? p >= deepest : p <= deepest);
      // Sweep every level down to the reference's deepest price (stale levels can sit anywhere there).
      for (let swept = false; !swept; ) {
        const count = book.levels(side, scan.length, scan, scanSize);
        swept = true;
        for (let k = 0; k < count; k++) {
          const p = scan[k]!;
          if (!better(p)) break;
          let listed = false;
          for (let j = 0; j < L; j++) if (refPrice[r * W + j] === p) listed = true;
          if (!listed) {
            book.setLevel(side, p, 0);
            swept = false;
          }
        }
      }
      for (let k = 0; k < L; k++) {
        const p = refPrice[r * W + k]!;
        if (Number.isNaN(p)) continue;
        if (book.qtyAt(side, p) !== refSize[r * W + k]) book.setLevel(side, p, refSize[r * W + k]!);
      }
    }
  }
  return { rows: batch.length - 1, levels: L, compared, mismatches, firstMismatch, notComparable };
}
