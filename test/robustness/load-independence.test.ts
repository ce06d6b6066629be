/**
 * Tests of the tests: a measurement a test asserts on must come out the same on a busy machine.
 * The heap-allocation figure of test/engine/hot-path-stability.test.ts is measured here twice, on
 * the machine as it is and while CPU hogs keep every core busy. With the V8 flags listed in
 * bench/slice-scenario.mjs the two agree to a few heap samples (4 KiB each, over a million
 * events), whether the figure is the healthy ~7 bytes per event or the 110-140 of deoptimized code.
 */
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { withCpuHogs } from "../helpers/cpu-hog.js";
import { runSliceScenario } from "../helpers/hot-path.js";

describe("load independence", () => {
  it("the slice scenario's bytes per event are the same while every core is busy", async () => {
    const idle = await runSliceScenario();
    // One hog more than there are cores, so the scenario's process never has a core to itself.
    const hogs = availableParallelism() + 1;
    const busy = await withCpuHogs(hogs, () => runSliceScenario());
    expect(busy.allAlive).toBe(true);
    // The load was real: every hog spun while the scenario ran (a few seconds).
    if (busy.hogCpuSeconds.length > 0) {
      expect(busy.hogCpuSeconds).toHaveLength(hogs);
      for (const s of busy.hogCpuSeconds) expect(s).toBeGreaterThan(0.05);
    }
    expect(busy.value.orders).toBe(idle.orders);
    // 0.05 bytes per event is 50 KB over the run: a dozen heap samples, against the ~100 bytes
    // per event that separate healthy from deoptimized code.
    expect(Math.abs(busy.value.bytesPerEvent - idle.bytesPerEvent)).toBeLessThan(0.05);
  });
});
