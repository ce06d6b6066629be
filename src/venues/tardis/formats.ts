/**
 * Tardis's formats in the data layer's registry: `readFile(path, { format: "tardis" })`, the CLI's
 * `--format tardis`, and detection by content (the header Tardis writes).
 */
import { registerDetector, registerFormat } from "../../data/index.js";
import { readTardisCsv } from "./csv.js";

registerFormat("tardis", {
  description: "Tardis.dev CSV: incremental_book_L2, book_snapshot_N, trades, quotes (type from the header)",
  read: (path, o) => readTardisCsv(path, { ...(o.instrument ? { instrument: o.instrument } : {}), ...(o.onBadRows ? { onBadRows: o.onBadRows } : {}), ...(o.shared ? { shared: true } : {}), ...(o.progress ? { progress: o.progress } : {}) }),
});

registerDetector({
  format: "tardis",
  signature: "header exchange,symbol,timestamp,local_timestamp,...",
  order: 70,
  readsCompressed: ["gzip", "zstd"],
  text: ({ header, lower }) =>
    lower.length >= 5 && lower[0] === "exchange" && lower[1] === "symbol" && lower[2] === "timestamp" && lower[3] === "local_timestamp" ? `Tardis header (${header.slice(0, 5).join(",")},...)` : undefined,
});
