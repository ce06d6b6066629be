/**
 * Seeded synthetic market data: a `TickBatch` that looks like a real feed (an initial snapshot,
 * a drifting mid, clustered bursts, trades that consume the touch) and obeys the same book rules
 * as real data, so every reader-independent part of the lab can be tested and benchmarked on
 * millions of events without a download.
 *
 * Model (all draws from one seeded `Rng`, so the same options give the same bytes):
 * - Arrival times: a Hawkes process with exponential kernel, λ(t) = μ·r + S(t), where r is a
 *   two-state regime (calm ×1 / burst ×8, Markov switching) and S decays as S·e^(−δ·Δt) and jumps
 *   by α after every message (branching ratio α/δ = 0.7 < 1, so it stays stationary), simulated
 *   exactly with two exponential draws per message (Dassios & Zhao 2013).
 * - Price: a latent fair value does a random walk in ticks (uniform steps, sd 0.05 tick per message,
 *   so Gaussian over many messages); the book is pulled toward it
 *   by tilting which side trades, improves and cancels. The book mid therefore drifts in whole
 *   ticks, as on a real venue, instead of being set directly.
 * - Feed latency: local = max(previous local, exch + L), L = 30 µs + Exp(40 µs), with a 1 % chance
 *   of a ×10 spike; `max` keeps receive times monotonic as a single TCP feed would.
 *
 * L2 (`mode: "l2"`): `depth` contiguous levels per side. Rows are LevelSet (qty = new total at the
 * level, 0 = level deleted) and Trade (side = aggressor, price = touch, size ≤ touch size), each
 * trade followed in the same atomic group by the LevelSet rows it causes. When a level empties the
 * next level becomes the touch and a new deepest level appears; an improvement inside the spread
 * pushes the deepest level out (LevelSet 0). Every message ends with `EventFlag.Last`; snapshot
 * rows carry `EventFlag.Snapshot`. `seq` is the message number (all rows of a group share it).
 *
 * L3 (`mode: "l3"`): orders by id with FIFO queues per price. Add (new order, to the back of its
 * level), Reduce (partial cancel, qty = size removed, priority kept), Delete (qty = remaining
 * size), Modify (qty = new size, price = new price; priority is kept only when the price is
 * unchanged and the size does not grow, otherwise the order goes to the back of the queue at its
 * new price), and market orders: per price level one Trade row (side = aggressor, qty = total at
 * that price, orderId = the maker if there was exactly one) followed by Execute rows, one per
 * resting order hit, in FIFO order from the best price (side = resting order's side). An order
 * whose size reaches 0 by Execute is gone (no Delete row). Cancels only ever name live ids;
 * neither side is ever emptied; adds never cross the opposite touch.
 */
import { LabError, Progress, instrument, parseIso, rng, type InstrumentSpec, type ProgressSink, type Rng } from "../core/index.js";
import { checkOptionKeys } from "../core/internal.js";
import { EventFlag, EventKind, allocateColumns, tickBatch, type TickBatch, type TickColumns } from "./tick-batch.js";

export interface GenerateOptions {
  /** Number of rows to produce (exactly). 0, or at least 2. */
  events: number;
  seed: number;
  mode: "l2" | "l3";
  /** @default SYN on SIM, tick "0.01", lot "1" */
  instrument?: InstrumentSpec;
  /** Exchange time of the snapshot. @default 2024-01-02T14:30:00Z */
  startNs?: bigint;
  /** Allocate columns in SharedArrayBuffers (for worker_threads). @default false */
  shared?: boolean;
  progress?: ProgressSink;
  /** Levels per side (L2) or initial levels per side (L3). @default 10 */
  depth?: number;
  /** Starting best bid in ticks. @default 10000 (100.00 at tick 0.01) */
  startPriceTicks?: number;
  /** Calm-regime message rate per second. @default 2000 */
  ratePerSecond?: number;
}

const OPTION_KEYS = ["events", "seed", "mode", "instrument", "startNs", "shared", "progress", "depth", "startPriceTicks", "ratePerSecond"] as const;

export function defaultSyntheticInstrument(): InstrumentSpec {
  return instrument({ symbol: "SYN", venue: "SIM", tickSize: "0.01", lotSize: "1" });
}

/**
 * Uniforms from one 32-bit draw (not `Rng.float()`'s two): 2^-32 resolution is plenty for event
 * choices and waiting times, and halves the generator's random-number cost.
 */
function uni(r: Rng): number {
  return r.uint32() * 2.3283064365386963e-10;
}

/** Exponential with the given mean (1 − u is in (0, 1], so the log is finite). */
function expo(r: Rng, mean: number): number {
  return -mean * Math.log(1 - uni(r));
}

/** Latent fair-value step: uniform on ±FAIR_STEP/2, i.e. standard deviation 0.05 ticks per message. */
const FAIR_STEP = 0.05 * Math.sqrt(12);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_32 = 4294967296;

/**
 * Message clock: Hawkes-like arrivals and feed latency. Times are kept as offsets from the start
 * and as the two 32-bit words of the absolute ns value, so writing a row copies two words instead
 * of creating a BigInt per row.
 */
class Clock {
  /** ns since start of the current message (exact integer < 2^53). */
  exchOffset = 0;
  localOffset = 0;
  private excitation = 0;
  private burst = false;
  private exchLo = 0;
  private exchHi = 0;
  private localLo = 0;
  private localHi = 0;
  private readonly startLo: number;
  private readonly startHi: number;
  private readonly exchWords: Uint32Array;
  private readonly localWords: Uint32Array;

  constructor(private readonly random: Rng, private readonly cols: TickColumns, private readonly startNs: bigint, private readonly baseRate: number) {
    const u = BigInt.asUintN(64, startNs);
    this.startLo = Number(u & 0xffffffffn);
    this.startHi = Number(u >> 32n);
    this.exchWords = new Uint32Array(cols.exchTs.buffer, cols.exchTs.byteOffset, cols.exchTs.length * 2);
    this.localWords = new Uint32Array(cols.localTs.buffer, cols.localTs.byteOffset, cols.localTs.length * 2);
    this.exchLo = this.startLo;
    this.exchHi = this.startHi;
    this.drawLatency();
  }

  /** Advances to the next message. */
  next(): void {
    const r = this.random;
    // Regime switch: calm -> burst rarely, bursts end quickly.
    if (this.burst ? uni(r) < 0.01 : uni(r) < 0.0005) this.burst = !this.burst;
    // Exact simulation of λ(t) = μ + S·e^(−δt) (Dassios & Zhao 2013): the self-excited and the
    // baseline waiting times are drawn separately and the first one wins. δ = 5000/s (excitation
    // half-life ≈ 140 µs), jump α = n·δ with branching ratio n = 0.7, baseline μ = rate·(1 − n),
    // so the long-run calm rate μ/(1 − n) is the requested one.
    const decayPerSecond = 5000;
    const branching = 0.7;
    const mu = this.baseRate * (1 - branching) * (this.burst ? 8 : 1);
    const d = this.excitation > 0 ? 1 + (decayPerSecond * Math.log(1 - uni(r))) / this.excitation : 0;
    const selfExcited = d > 0 ? -Math.log(d) / decayPerSecond : Infinity;
    const baseline = expo(r, 1 / mu);
    const dtSeconds = Math.min(selfExcited, baseline);
    this.excitation = this.excitation * Math.exp(-decayPerSecond * dtSeconds) + branching * decayPerSecond;
    const dt = Math.max(1, Math.round(dtSeconds * 1e9));
    this.exchOffset += dt;
    this.exchLo += dt;
    if (this.exchLo >= TWO_32) this.normalizeExch();
    this.drawLatency();
  }

  private normalizeExch(): void {
    const carry = Math.floor(this.exchLo / TWO_32);
    this.exchLo -= carry * TWO_32;
    this.exchHi = (this.exchHi + carry) >>> 0;
  }

  private drawLatency(): void {
    const r = this.random;
    let latency = 30_000 + Math.round(expo(r, 40_000));
    if (uni(r) < 0.01) latency *= 10;
    const local = this.exchOffset + latency;
    if (local > this.localOffset) {
      this.localOffset = local;
      const lo = this.startLo + (local % TWO_32);
      const carry = lo >= TWO_32 ? 1 : 0;
      this.localLo = lo - carry * TWO_32;
      this.localHi = (this.startHi + Math.floor(local / TWO_32) + carry) >>> 0;
    }
  }

  write(row: number): void {
    if (LITTLE_ENDIAN) {
      this.exchWords[2 * row] = this.exchLo;
      this.exchWords[2 * row + 1] = this.exchHi;
      this.localWords[2 * row] = this.localLo;
      this.localWords[2 * row + 1] = this.localHi;
    } else {
      this.cols.exchTs[row] = this.startNs + BigInt(this.exchOffset);
      this.cols.localTs[row] = this.startNs + BigInt(this.localOffset);
    }
  }
}

/** Writes rows into preallocated columns; one message = consecutive rows sharing ts and seq. */
class RowWriter {
  row = 0;
  seq = 0;
  private groupStart = 0;
  private readonly kind: Uint8Array;
  private readonly side: Int8Array;
  private readonly flags: Uint16Array;
  private readonly price: Float64Array;
  private readonly qty: Float64Array;
  private readonly orderId: Float64Array;
  private readonly seqColumn: Float64Array;
  constructor(cols: TickColumns, private readonly clock: Clock, readonly capacity: number) {
    this.kind = cols.kind;
    this.side = cols.side;
    this.flags = cols.flags;
    this.price = cols.priceTicks;
    this.qty = cols.qtyLots;
    this.orderId = cols.orderId;
    this.seqColumn = cols.seq;
  }

  get remaining(): number {
    return this.capacity - this.row;
  }

  begin(): void {
    this.groupStart = this.row;
    this.seq++;
  }

  put(kind: number, side: number, priceTicks: number, qtyLots: number, orderId: number, flags: number): number {
    const i = this.row++;
    this.clock.write(i);
    this.kind[i] = kind;
    this.side[i] = side;
    this.flags[i] = flags;
    this.price[i] = priceTicks;
    this.qty[i] = qtyLots;
    this.orderId[i] = orderId;
    this.seqColumn[i] = this.seq;
    return i;
  }

  /** Fills in a Trade row written before its executions were known; a trade of 0 is taken back. */
  setTrade(row: number, qtyLots: number, makerId: number): void {
    if (qtyLots === 0 && row === this.row - 1) {
      this.row--;
      return;
    }
    this.qty[row] = qtyLots;
    this.orderId[row] = makerId;
  }

  /** Marks the last row of the message; a message that wrote nothing gives its seq back. */
  end(): void {
    if (this.row > this.groupStart) this.flags[this.row - 1]! |= EventFlag.Last;
    else this.seq--;
  }
}

/** Generates a seeded synthetic L2 or L3 stream; see the module comment for the model. */
export function generateTicks(options: GenerateOptions): TickBatch {
  checkOptionKeys(options, OPTION_KEYS, "generateTicks");
  const { events, seed, mode } = options;
  if (!Number.isInteger(events) || events < 0 || events === 1) {
    throw new LabError({ code: "BAD_OPTION", message: `events must be 0 or an integer ≥ 2, got ${events}`, hint: "e.g. generateTicks({ events: 100_000, seed: 1, mode: 'l2' })", context: { option: "events" } });
  }
  if (mode !== "l2" && mode !== "l3") {
    throw new LabError({ code: "BAD_OPTION", message: `mode must be "l2" or "l3", got ${String(mode)}`, hint: 'L2 = price levels, L3 = orders by id', context: { option: "mode" } });
  }
  if (!Number.isFinite(seed)) throw new LabError({ code: "BAD_OPTION", message: `seed must be a number, got ${seed}`, hint: "e.g. seed: 42", context: { option: "seed" } });
  const spec = options.instrument ?? defaultSyntheticInstrument();
  const startNs = options.startNs ?? parseIso("2024-01-02T14:30:00Z");
  const depth = Math.max(1, Math.min(options.depth ?? 10, Math.floor(events / 2) || 1));
  const startPrice = options.startPriceTicks ?? 10000;
  const rate = options.ratePerSecond ?? 2000;
  if (!(rate > 0)) throw new LabError({ code: "BAD_OPTION", message: `ratePerSecond must be positive, got ${rate}`, hint: "e.g. 2000", context: { option: "ratePerSecond" } });
  const cols = allocateColumns(events, options.shared ?? false);
  cols.instrument.fill(0);
  const progress = new Progress(`generate ${mode}`, options.progress, { total: events, unit: "events" });
  if (events > 0) {
    const random = rng(seed);
    const clock = new Clock(random, cols, startNs, rate);
    const out = new RowWriter(cols, clock, events);
    if (mode === "l2") generateL2(random, clock, out, depth, startPrice, progress);
    else generateL3(random, clock, out, depth, startPrice, progress);
  }
  progress.finish();
  return tickBatch(cols, [spec], `generated ${mode} seed=${seed}`);
}

const PROGRESS_EVERY = 1 << 16;

function levelSize(r: Rng, level: number): number {
  return 1 + Math.floor(expo(r, 8 * (1 + 0.25 * level)));
}

function generateL2(r: Rng, clock: Clock, out: RowWriter, depth: number, startPrice: number, progress: Progress): void {
  const bids = new Float64Array(depth);
  const asks = new Float64Array(depth);
  let bestBid = startPrice;
  let bestAsk = startPrice + 1;
  let fair = startPrice + 0.5;
  const { LevelSet, Trade } = EventKind;
  const { Snapshot } = EventFlag;

  out.begin();
  for (let k = 0; k < depth; k++) bids[k] = levelSize(r, k);
  for (let k = 0; k < depth; k++) asks[k] = levelSize(r, k);
  for (let k = 0; k < depth; k++) out.put(LevelSet, 1, bestBid - k, bids[k]!, NaN, Snapshot);
  for (let k = 0; k < depth; k++) out.put(LevelSet, -1, bestAsk + k, asks[k]!, NaN, Snapshot);
  out.end();

  // Removes the touch of one side: levels move up by one and a fresh deepest level appears.
  const popTouch = (side: number): void => {
    const levels = side > 0 ? bids : asks;
    levels.copyWithin(0, 1);
    levels[depth - 1] = levelSize(r, depth - 1);
    if (side > 0) {
      bestBid -= 1;
      out.put(LevelSet, 1, bestBid - (depth - 1), levels[depth - 1]!, NaN, 0);
    } else {
      bestAsk += 1;
      out.put(LevelSet, -1, bestAsk + (depth - 1), levels[depth - 1]!, NaN, 0);
    }
  };

  let lastTick = 0;
  while (out.remaining > 0) {
    clock.next();
    out.begin();
    fair += (uni(r) - 0.5) * FAIR_STEP;
    const tilt = Math.max(-1, Math.min(1, (fair - (bestBid + bestAsk) / 2) / 3));
    const spread = bestAsk - bestBid;
    const u = uni(r);
    const room = out.remaining;
    if (room >= 3 && u < 0.12) {
      // Market order consuming (part of) the touch.
      const side = uni(r) < 0.5 + 0.4 * tilt ? 1 : -1;
      const touch = side > 0 ? asks : bids;
      const touchPrice = side > 0 ? bestAsk : bestBid;
      const size = Math.min(touch[0]!, 1 + Math.floor(expo(r, 3 * (1 + 2 * Math.abs(tilt)))));
      out.put(Trade, side, touchPrice, size, NaN, 0);
      const left = touch[0]! - size;
      touch[0] = left;
      out.put(LevelSet, -side, touchPrice, left, NaN, 0);
      if (left === 0) popTouch(-side);
    } else if (room >= 2 && spread > 1 && (u < 0.22 || spread > 4)) {
      // A new level inside the spread; the deepest level drops out of the window.
      const side = uni(r) < 0.5 + 0.4 * tilt ? 1 : -1;
      const levels = side > 0 ? bids : asks;
      const size = 1 + Math.floor(expo(r, 3));
      if (side > 0) {
        out.put(LevelSet, 1, bestBid - (depth - 1), 0, NaN, 0);
        bestBid += 1;
        out.put(LevelSet, 1, bestBid, size, NaN, 0);
      } else {
        out.put(LevelSet, -1, bestAsk + (depth - 1), 0, NaN, 0);
        bestAsk -= 1;
        out.put(LevelSet, -1, bestAsk, size, NaN, 0);
      }
      levels.copyWithin(1, 0, depth - 1);
      levels[0] = size;
    } else if (u < 0.45 || depth === 1) {
      // Touch add or cancel; a cancel of the whole touch moves the price.
      const cancel = uni(r) < 0.5;
      const side = cancel ? (uni(r) < 0.5 + 0.4 * tilt ? -1 : 1) : uni(r) < 0.5 ? 1 : -1;
      const levels = side > 0 ? bids : asks;
      const price = side > 0 ? bestBid : bestAsk;
      const amount = 1 + Math.floor(expo(r, 3));
      if (cancel && room >= 2) {
        const left = Math.max(0, levels[0]! - amount);
        levels[0] = left;
        out.put(LevelSet, side, price, left, NaN, 0);
        if (left === 0) popTouch(side);
      } else {
        levels[0] = levels[0]! + amount;
        out.put(LevelSet, side, price, levels[0]!, NaN, 0);
      }
    } else {
      // Size change deeper in the book (levels stay non-empty).
      const side = uni(r) < 0.5 ? 1 : -1;
      const levels = side > 0 ? bids : asks;
      const k = 1 + r.int(depth - 1);
      const amount = 1 + Math.floor(expo(r, 4));
      const before = levels[k]!;
      const after = uni(r) < 0.5 && before > 1 ? Math.max(1, before - amount) : before + amount;
      levels[k] = after;
      out.put(LevelSet, side, side > 0 ? bestBid - k : bestAsk + k, after, NaN, 0);
    }
    out.end();
    if (out.row - lastTick >= PROGRESS_EVERY) {
      progress.tick(out.row - lastTick);
      lastTick = out.row;
    }
  }
  progress.tick(out.row - lastTick);
}

/**
 * Order-by-order book for the L3 generator: slots in typed arrays, FIFO doubly linked lists per
 * price level, levels in a ring indexed by price (the live price range is far narrower than the
 * ring), so nothing is allocated per event.
 */
class OrderBookState {
  static readonly RING = 1 << 15;
  static readonly MASK = OrderBookState.RING - 1;
  capacity: number;
  price: Float64Array;
  qty: Float64Array;
  id: Float64Array;
  side: Int8Array;
  next: Int32Array;
  prev: Int32Array;
  livePos: Int32Array;
  free: Int32Array;
  nFree: number;
  live: Int32Array;
  nLive = 0;
  /** Per side (0 = bid, 1 = ask) ring of levels. */
  readonly head = new Int32Array(2 * OrderBookState.RING).fill(-1);
  readonly tail = new Int32Array(2 * OrderBookState.RING).fill(-1);
  readonly count = new Int32Array(2 * OrderBookState.RING);
  readonly levelPrice = new Float64Array(2 * OrderBookState.RING);
  readonly sideCount = new Int32Array(2);
  bestBid = 0;
  bestAsk = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.price = new Float64Array(capacity);
    this.qty = new Float64Array(capacity);
    this.id = new Float64Array(capacity);
    this.side = new Int8Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.livePos = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    this.live = new Int32Array(capacity);
    this.nFree = capacity;
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
  }

  levelIndex(side: number, price: number): number {
    return (side > 0 ? 0 : OrderBookState.RING) + (price & OrderBookState.MASK);
  }

  /** True if an order at this price can be queued (ring slot empty or same price). */
  canQueue(side: number, price: number): boolean {
    const l = this.levelIndex(side, price);
    return this.count[l] === 0 || this.levelPrice[l] === price;
  }

  add(side: number, price: number, qty: number, id: number): number {
    if (this.nFree === 0) this.grow();
    const s = this.free[--this.nFree]!;
    this.price[s] = price;
    this.qty[s] = qty;
    this.id[s] = id;
    this.side[s] = side;
    this.livePos[s] = this.nLive;
    this.live[this.nLive++] = s;
    this.enqueue(s);
    this.sideCount[side > 0 ? 0 : 1]!++;
    if (side > 0 ? price > this.bestBid : price < this.bestAsk) {
      if (side > 0) this.bestBid = price;
      else this.bestAsk = price;
    }
    return s;
  }

  private enqueue(s: number): void {
    const l = this.levelIndex(this.side[s]!, this.price[s]!);
    const t = this.tail[l]!;
    this.prev[s] = t;
    this.next[s] = -1;
    if (t < 0) this.head[l] = s;
    else this.next[t] = s;
    this.tail[l] = s;
    this.count[l]!++;
    this.levelPrice[l] = this.price[s]!;
  }

  private dequeue(s: number): void {
    const l = this.levelIndex(this.side[s]!, this.price[s]!);
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p < 0) this.head[l] = n;
    else this.next[p] = n;
    if (n < 0) this.tail[l] = p;
    else this.prev[n] = p;
    this.count[l]!--;
  }

  /** Removes an order entirely and repairs the best price of its side. */
  remove(s: number): void {
    const side = this.side[s]!;
    const price = this.price[s]!;
    this.dequeue(s);
    const pos = this.livePos[s]!;
    const last = this.live[--this.nLive]!;
    this.live[pos] = last;
    this.livePos[last] = pos;
    this.free[this.nFree++] = s;
    this.sideCount[side > 0 ? 0 : 1]!--;
    this.repairBest(side, price);
  }

  /** Moves an order to the back of the queue at `price` (loses priority). */
  requeue(s: number, price: number): void {
    const side = this.side[s]!;
    const old = this.price[s]!;
    this.dequeue(s);
    this.price[s] = price;
    this.enqueue(s);
    if (side > 0 ? price > this.bestBid : price < this.bestAsk) {
      if (side > 0) this.bestBid = price;
      else this.bestAsk = price;
    }
    this.repairBest(side, old);
  }

  private repairBest(side: number, emptiedPrice: number): void {
    if (this.sideCount[side > 0 ? 0 : 1] === 0) return;
    if (side > 0) {
      if (emptiedPrice !== this.bestBid || this.count[this.levelIndex(1, emptiedPrice)]! > 0) return;
      let p = emptiedPrice - 1;
      while (!this.hasLevel(1, p)) p--;
      this.bestBid = p;
    } else {
      if (emptiedPrice !== this.bestAsk || this.count[this.levelIndex(-1, emptiedPrice)]! > 0) return;
      let p = emptiedPrice + 1;
      while (!this.hasLevel(-1, p)) p++;
      this.bestAsk = p;
    }
  }

  hasLevel(side: number, price: number): boolean {
    const l = this.levelIndex(side, price);
    return this.count[l]! > 0 && this.levelPrice[l] === price;
  }

  headAt(side: number, price: number): number {
    return this.head[this.levelIndex(side, price)]!;
  }

  tailAt(side: number, price: number): number {
    return this.tail[this.levelIndex(side, price)]!;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const copy = <T extends Float64Array | Int32Array | Int8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.price = copy(this.price, (n) => new Float64Array(n));
    this.qty = copy(this.qty, (n) => new Float64Array(n));
    this.id = copy(this.id, (n) => new Float64Array(n));
    this.side = copy(this.side, (n) => new Int8Array(n));
    this.next = copy(this.next, (n) => new Int32Array(n));
    this.prev = copy(this.prev, (n) => new Int32Array(n));
    this.livePos = copy(this.livePos, (n) => new Int32Array(n));
    this.live = copy(this.live, (n) => new Int32Array(n));
    const free = new Int32Array(cap);
    for (let i = 0; i < cap - this.capacity; i++) free[i] = cap - 1 - i;
    this.nFree = cap - this.capacity;
    this.free = free;
    this.capacity = cap;
  }
}

function generateL3(r: Rng, clock: Clock, out: RowWriter, depth: number, startPrice: number, progress: Progress): void {
  const book = new OrderBookState(1024);
  const { Add, Reduce, Delete, Modify, Execute, Trade } = EventKind;
  const { Snapshot } = EventFlag;
  const targetLive = 40 * depth;
  let nextId = 1;
  book.bestBid = startPrice;
  book.bestAsk = startPrice + 1;
  let fair = startPrice + 0.5;

  out.begin();
  // Snapshot: one to three orders per level; every level gets its first order within the budget.
  let firstOrdersLeft = 2 * depth;
  for (let sideIndex = 0; sideIndex < 2; sideIndex++) {
    const side = sideIndex === 0 ? 1 : -1;
    for (let k = 0; k < depth; k++) {
      const orders = 1 + r.int(3);
      for (let o = 0; o < orders; o++) {
        if (o === 0) firstOrdersLeft--;
        else if (out.row + 1 + firstOrdersLeft > out.capacity) break;
        const price = side > 0 ? startPrice - k : startPrice + 1 + k;
        const qty = levelSize(r, 0);
        const id = nextId++;
        book.add(side, price, qty, id);
        out.put(Add, side, price, qty, id, Snapshot);
      }
    }
  }
  out.end();

  let lastTick = 0;
  while (out.remaining > 0) {
    clock.next();
    out.begin();
    fair += (uni(r) - 0.5) * FAIR_STEP;
    const bestBid = book.bestBid;
    const bestAsk = book.bestAsk;
    const tilt = Math.max(-1, Math.min(1, (fair - (bestBid + bestAsk) / 2) / 3));
    const spread = bestAsk - bestBid;
    const cancelProbability = Math.max(0.02, Math.min(0.8, (0.3 * book.nLive) / targetLive));
    const u = uni(r);
    const room = out.remaining;
    if (room >= 2 && u < 0.08) {
      // Market order: walk the opposite side FIFO from the best price.
      const aggressor = uni(r) < 0.5 + 0.4 * tilt ? 1 : -1;
      const resting = -aggressor;
      let remaining = 1 + Math.floor(expo(r, 6 * (1 + 2 * Math.abs(tilt))));
      while (remaining > 0 && out.remaining >= 2) {
        const price = resting > 0 ? book.bestBid : book.bestAsk;
        const tradeRow = out.put(Trade, aggressor, price, 0, NaN, 0);
        let atPrice = 0;
        let makers = 0;
        let lastMaker = NaN;
        let s = book.headAt(resting, price);
        let levelGone = false;
        while (remaining > 0 && out.remaining >= 1 && s >= 0) {
          const nextSlot = book.next[s]!;
          const sideOrders = book.sideCount[resting > 0 ? 0 : 1]!;
          const size = book.qty[s]!;
          let fill = Math.min(remaining, size);
          if (fill === size && sideOrders === 1) fill = size - 1; // never empty a side
          if (fill <= 0) break;
          out.put(Execute, resting, price, fill, book.id[s]!, 0);
          remaining -= fill;
          atPrice += fill;
          makers++;
          lastMaker = book.id[s]!;
          if (fill === size) {
            levelGone = nextSlot < 0;
            book.remove(s);
          } else {
            book.qty[s] = size - fill;
          }
          s = nextSlot;
        }
        out.setTrade(tradeRow, atPrice, makers === 1 ? lastMaker : NaN);
        if (!levelGone || book.sideCount[resting > 0 ? 0 : 1]! <= 1) break;
      }
    } else if (room >= 1 && book.nLive > 2 && u < 0.08 + cancelProbability) {
      // Cancel: often the newest order at the touch on the side the price moves away from.
      let s: number;
      if (uni(r) < 0.3) {
        const side = uni(r) < 0.5 + 0.4 * tilt ? -1 : 1;
        s = book.tailAt(side, side > 0 ? bestBid : bestAsk);
      } else {
        s = book.live[r.int(book.nLive)]!;
      }
      const side = book.side[s]!;
      const size = book.qty[s]!;
      if (size > 1 && uni(r) < 0.25) {
        const cut = 1 + r.int(size - 1);
        book.qty[s] = size - cut;
        out.put(Reduce, side, book.price[s]!, cut, book.id[s]!, 0);
      } else if (book.sideCount[side > 0 ? 0 : 1]! > 1) {
        out.put(Delete, side, book.price[s]!, size, book.id[s]!, 0);
        book.remove(s);
      } else {
        const id = nextId++;
        const price = side > 0 ? bestBid : bestAsk;
        const qty = levelSize(r, 0);
        book.add(side, price, qty, id);
        out.put(Add, side, price, qty, id, 0);
      }
    } else if (room >= 1 && u < 0.13 + cancelProbability && book.nLive > 0) {
      // Modify: shrink in place (keeps priority) or re-price / grow (back of the queue).
      const s = book.live[r.int(book.nLive)]!;
      const side = book.side[s]!;
      const size = book.qty[s]!;
      const price = book.price[s]!;
      if (size > 1 && uni(r) < 0.5) {
        book.qty[s] = size - 1 - r.int(size - 1);
        out.put(Modify, side, price, book.qty[s]!, book.id[s]!, 0);
      } else {
        let newPrice = price + (uni(r) < 0.5 ? 1 : -1);
        if (side > 0 ? newPrice >= book.bestAsk : newPrice <= book.bestBid) newPrice = price;
        if (!book.canQueue(side, newPrice)) newPrice = price;
        const newSize = size + 1 + r.int(3);
        book.qty[s] = newSize;
        book.requeue(s, newPrice);
        out.put(Modify, side, newPrice, newSize, book.id[s]!, 0);
      }
    } else {
      // New limit order: improve the spread, or join a level near the touch.
      const side = uni(r) < 0.5 + 0.3 * tilt ? 1 : -1;
      let price: number;
      if (spread > 1 && (uni(r) < 0.25 || spread > 4)) {
        price = side > 0 ? bestBid + 1 : bestAsk - 1;
      } else {
        let k = 0;
        while (k < 2 * depth && uni(r) < 0.7) k++;
        price = side > 0 ? bestBid - k : bestAsk + k;
      }
      if (!book.canQueue(side, price)) price = side > 0 ? bestBid : bestAsk;
      const qty = 1 + Math.floor(expo(r, 6));
      const id = nextId++;
      book.add(side, price, qty, id);
      out.put(Add, side, price, qty, id, 0);
    }
    out.end();
    if (out.row - lastTick >= PROGRESS_EVERY) {
      progress.tick(out.row - lastTick);
      lastTick = out.row;
    }
  }
  progress.tick(out.row - lastTick);
}
