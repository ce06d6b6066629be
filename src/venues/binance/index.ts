/**
 * Binance: raw websocket captures (depth diffs, bookTicker, trades) and historical depth CSV, the
 * depth kept in sync with its REST snapshot by Binance's own rules. Importing this registers the
 * `binance-raw` and `binance-csv` formats and their detectors.
 */
import "./formats.js";
export {
  readBinanceRaw as read,
  parseBinanceRaw as parse,
  binanceToTickBatch as toTickBatch,
  binanceBtcUsdt as btcUsdt,
  BinanceMessage as Message,
  type BinanceCapture as Capture,
  type BinanceMarket as Market,
  type BinanceReadOptions as ReadOptions,
  type BinanceReadProblem as ReadProblem,
  type BinanceReadReport as ReadReport,
  type BinanceSyncMarks as SyncMarks,
  type BinanceTickOptions as TickOptions,
} from "./raw.js";
export { readBinanceDepthCsv as readDepthCsv, type BinanceCsvReadOptions as DepthCsvReadOptions } from "./depth-csv.js";
export { syncBinanceDepth as sync, binanceSyncedBatch as syncedBatch, BinanceDepthSync as DepthSync, type BinanceSyncReport as SyncReport, type BinanceSyncResult as SyncResult, type BinanceSyncOptions as SyncOptions, type BinanceGap as Gap, type BinanceTickerMismatch as TickerMismatch } from "./sync.js";
