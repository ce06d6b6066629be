/**
 * hftbacktest's formats in the data layer's registry: `--format hftbacktest` (.npz/.npy) and
 * detection by content (numpy's magic bytes, or a zip of .npy members).
 */
import { registerDetector, registerFormat, toShared } from "../../data/index.js";
import { readHftbacktest } from "./npz.js";

registerFormat("hftbacktest", {
  description: "hftbacktest normalized events (.npz/.npy): 1.x float64 (n, 6) rows or 2.x event_dtype records; needs --symbol/--tick-size/--lot-size",
  extensions: [".npz", ".npy"],
  read: async (path, o) => {
    const batch = readHftbacktest(path, { ...(o.instrument ? { instrument: o.instrument } : {}) });
    return o.shared ? toShared(batch) : batch;
  },
});

const NUMPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

registerDetector({
  format: "hftbacktest",
  signature: 'a numpy array: starts with "\\x93NUMPY" (.npy), or a zip of .npy members (.npz)',
  order: 60,
  magic: (head) => (head.length >= 6 && NUMPY_MAGIC.every((b, i) => head[i] === b) ? 'starts with "\\x93NUMPY" (a numpy .npy array)' : undefined),
  zip: (members) => (members.length > 0 && members.every((n) => n.endsWith(".npy")) ? `a numpy .npz archive (${members.slice(0, 3).join(", ")})` : undefined),
});
