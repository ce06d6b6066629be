/**
 * Tardis.dev: its downloadable CSV files (incremental_book_L2, book_snapshot_N, trades, quotes)
 * as TickBatches. Importing this registers the `tardis` format and its detector.
 */
import "./formats.js";
export { readTardisCsv as read, tardisDataType as dataType, type TardisReadOptions as ReadOptions, type TardisDataType as DataType } from "./csv.js";
