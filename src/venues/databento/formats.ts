/**
 * Databento's formats in the data layer's registry: `--format dbn` (.dbn/.dbn.zst) and detection
 * by content (`DBN` and a version byte); and its L3 book conventions as the `databento` venue
 * rules (`new L3Book({ venueRules: "databento" })`).
 */
import { registerVenueRules } from "../../book/index.js";
import { registerDetector, registerFormat } from "../../data/index.js";
import { readDbn } from "./dbn-tick.js";

registerFormat("dbn", {
  description: "Databento DBN v1-v3 (.dbn/.dbn.zst): MBO, MBP-1/10, TBBO, trades; tick size from the file's definitions or --tick-size",
  extensions: [".dbn", ".dbn.zst"],
  read: async (path, o) => readDbn(path, { ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.onBadRows ? { onBadRows: o.onBadRows } : {}), ...(o.shared ? { shared: true } : {}) }),
});

registerDetector({
  format: "dbn",
  signature: 'starts with "DBN" and a version byte (also zstd-compressed)',
  order: 30,
  readsCompressed: ["zstd"],
  magic: (head) => (head.length >= 4 && head[0] === 0x44 && head[1] === 0x42 && head[2] === 0x4e ? `starts with "DBN" version ${head[3]}` : undefined),
});

/**
 * CME Globex rules as seen through Databento MBO (same priority rules as fifo); a modify for an
 * order the book never saw is treated as an add, as Databento's reference book example does
 * (orders can predate the start of a file without a snapshot).
 */
registerVenueRules("databento", { sizeIncreaseLosesPriority: true, sizeDecreaseLosesPriority: false, modifyUnknownAddsOrder: true, unknownIdTakesAnonymous: false });
