/**
 * Databento: the DBN decoder (versions 1-3, plain or zstd; record level), DBN files as
 * TickBatches, and the MBO order book checked against the top of book Databento publishes.
 * Importing this registers the `dbn` format, its detector and the `databento` L3 venue rules.
 */
import "./formats.js";
export {
  DbnFlag as Flag,
  DbnRType as RType,
  DBN_RTYPE_NAMES as RTYPE_NAMES,
  DBN_SCHEMAS as SCHEMAS,
  DBN_STYPES as STYPES,
  DBN_PRICE_SCALE as PRICE_SCALE,
  DBN_UNDEF_PRICE as UNDEF_PRICE,
  DBN_UNDEF_SIZE as UNDEF_SIZE,
  DBN_UNDEF_TIMESTAMP as UNDEF_TIMESTAMP,
  DbnStreamDecoder as StreamDecoder,
  decodeDbn as decode,
  readDbnFile as decodeFile,
  partialDbn as partial,
  isZstd,
  fixedToDecimal,
  describeDbn as describe,
} from "./dbn.js";
export type {
  DbnBadRecordPolicy as BadRecordPolicy,
  DbnBadRecords as BadRecords,
  DbnStreamOptions as StreamOptions,
  DbnSchema as Schema,
  DbnMetadata as Metadata,
  DbnSymbolMapping as SymbolMapping,
  DbnMappingInterval as MappingInterval,
  DbnColumn as Column,
  DbnMboColumns as MboColumns,
  DbnMbpColumns as MbpColumns,
  DbnInstrumentDef as InstrumentDef,
  DbnCounts as Counts,
  DbnFile as File,
  DbnDecodeOptions as DecodeOptions,
} from "./dbn.js";
export { readDbn as read, readDbnBytes as readBytes, dbnToTickBatch as toTickBatch, DBN_FLAG_TO_EVENT_FLAG as FLAG_TO_EVENT_FLAG } from "./dbn-tick.js";
export type { DbnReadOptions as ReadOptions, DbnBatchInfo as BatchInfo, DbnTickBatch as TickBatch } from "./dbn-tick.js";
export { DatabentoMboBook as MboBook, checkMboBook as verify } from "./mbo-book.js";
export type { PublishedTop, MboCheckOptions as VerifyOptions, MboCheckReport as VerifyReport, CrossedRun } from "./mbo-book.js";
