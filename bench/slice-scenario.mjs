// The notebook pattern the engine's optimized code has to survive (docs/architecture.md, "Hot
// paths"): eight backtests on 20,000-row slices, one on the whole million-row batch, then a second
// whole-batch run measured with V8's sampling heap profiler (objects already collected included).
// Prints one JSON line: {"bytesPerEvent", "orders", "seconds"}.
//
// Run it in a fresh process: the figure is about the JIT state this scenario alone leaves. As V8
// runs by default (bench/engine.bench.mjs), the figure depends on when background compiles finish,
// so on machine load; test/helpers/hot-path.ts runs it with flags that make it deterministic.
import { Session } from "node:inspector/promises";
import * as lab from "../dist/index.js";

const events = 1_000_000;
const data = lab.data.generateTicks({ events, seed: 7, mode: "l2" });
const options = { latencyNs: 50_000 };
for (let i = 0; i < 8; i++) lab.backtest(lab.data.sliceBatch(data, 0, 20_000), lab.strategies.imbalance({ threshold: 0.2 + 0.025 * i }), options);
lab.backtest(data, lab.strategies.imbalance({ threshold: 0.3 }), options);

const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const t0 = process.hrtime.bigint();
const run = lab.backtest(data, lab.strategies.imbalance({ threshold: 0.3 }), options);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const { profile } = await session.post("HeapProfiler.stopSampling");
session.disconnect();
let bytes = 0;
const walk = (node) => {
  bytes += node.selfSize;
  node.children.forEach(walk);
};
walk(profile.head);
console.log(JSON.stringify({ bytesPerEvent: bytes / events, orders: run.summary.orders, seconds }));
