/**
 * `lab.data` as the package exports it: the data layer, plus the venue readers' former names in
 * it, kept as deprecated aliases of their home under `lab.venues` for one version.
 */
// Every venue registers its formats, as importing the data layer did when the readers lived there.
import "./index.js";
import * as binance from "./binance/index.js";
import * as databento from "./databento/index.js";
import * as hftbacktest from "./hftbacktest/index.js";
import * as lobster from "./lobster/index.js";
import * as tardis from "./tardis/index.js";

export * from "../data/index.js";

/** @deprecated use lab.venues.tardis.read */
export const readTardisCsv = tardis.read;
/** @deprecated use lab.venues.tardis.dataType */
export const tardisDataType = tardis.dataType;
/** @deprecated use lab.venues.tardis.ReadOptions */
export type TardisReadOptions = tardis.ReadOptions;
/** @deprecated use lab.venues.tardis.DataType */
export type TardisDataType = tardis.DataType;

/** @deprecated use lab.venues.hftbacktest.read */
export const readHftbacktest = hftbacktest.read;
/** @deprecated use lab.venues.hftbacktest.parse */
export const parseHftbacktest = hftbacktest.parse;
/** @deprecated use lab.venues.hftbacktest.write */
export const writeHftbacktest = hftbacktest.write;
/** @deprecated use lab.venues.hftbacktest.splitByExchangeOrder */
export const splitByExchangeOrder = hftbacktest.splitByExchangeOrder;
/** @deprecated use lab.venues.hftbacktest.records */
export const hftbacktestRecords = hftbacktest.records;
/** @deprecated use lab.venues.hftbacktest.parseNpy */
export const parseNpy = hftbacktest.parseNpy;
/** @deprecated use lab.venues.hftbacktest.npyImage */
export const npyImage = hftbacktest.npyImage;
/** @deprecated use lab.venues.hftbacktest.EVENT */
export const HFT_EVENT = hftbacktest.EVENT;
/** @deprecated use lab.venues.hftbacktest.FLAG */
export const HFT_FLAG = hftbacktest.FLAG;
/** @deprecated use lab.venues.hftbacktest.ReadOptions */
export type HftbacktestReadOptions = hftbacktest.ReadOptions;
/** @deprecated use lab.venues.hftbacktest.NpyArray */
export type NpyArray = hftbacktest.NpyArray;

/** @deprecated use lab.venues.databento.Flag */
export const DbnFlag = databento.Flag;
/** @deprecated use lab.venues.databento.RType */
export const DbnRType = databento.RType;
/** @deprecated use lab.venues.databento.RTYPE_NAMES */
export const DBN_RTYPE_NAMES = databento.RTYPE_NAMES;
/** @deprecated use lab.venues.databento.SCHEMAS */
export const DBN_SCHEMAS = databento.SCHEMAS;
/** @deprecated use lab.venues.databento.STYPES */
export const DBN_STYPES = databento.STYPES;
/** @deprecated use lab.venues.databento.PRICE_SCALE */
export const DBN_PRICE_SCALE = databento.PRICE_SCALE;
/** @deprecated use lab.venues.databento.UNDEF_PRICE */
export const DBN_UNDEF_PRICE = databento.UNDEF_PRICE;
/** @deprecated use lab.venues.databento.UNDEF_SIZE */
export const DBN_UNDEF_SIZE = databento.UNDEF_SIZE;
/** @deprecated use lab.venues.databento.UNDEF_TIMESTAMP */
export const DBN_UNDEF_TIMESTAMP = databento.UNDEF_TIMESTAMP;
/** @deprecated use lab.venues.databento.StreamDecoder */
export const DbnStreamDecoder = databento.StreamDecoder;
/** @deprecated use lab.venues.databento.decode */
export const decodeDbn = databento.decode;
/** @deprecated use lab.venues.databento.decodeFile */
export const readDbnFile = databento.decodeFile;
/** @deprecated use lab.venues.databento.partial */
export const partialDbn = databento.partial;
/** @deprecated use lab.venues.databento.isZstd */
export const isZstd = databento.isZstd;
/** @deprecated use lab.venues.databento.fixedToDecimal */
export const fixedToDecimal = databento.fixedToDecimal;
/** @deprecated use lab.venues.databento.describe */
export const describeDbn = databento.describe;
/** @deprecated use lab.venues.databento.read */
export const readDbn = databento.read;
/** @deprecated use lab.venues.databento.readBytes */
export const readDbnBytes = databento.readBytes;
/** @deprecated use lab.venues.databento.toTickBatch */
export const dbnToTickBatch = databento.toTickBatch;
/** @deprecated use lab.venues.databento.FLAG_TO_EVENT_FLAG */
export const DBN_FLAG_TO_EVENT_FLAG = databento.FLAG_TO_EVENT_FLAG;
/** @deprecated use lab.venues.databento.StreamDecoder */
export type DbnStreamDecoder = databento.StreamDecoder;
/** @deprecated use lab.venues.databento.BadRecordPolicy */
export type DbnBadRecordPolicy = databento.BadRecordPolicy;
/** @deprecated use lab.venues.databento.BadRecords */
export type DbnBadRecords = databento.BadRecords;
/** @deprecated use lab.venues.databento.StreamOptions */
export type DbnStreamOptions = databento.StreamOptions;
/** @deprecated use lab.venues.databento.Schema */
export type DbnSchema = databento.Schema;
/** @deprecated use lab.venues.databento.Metadata */
export type DbnMetadata = databento.Metadata;
/** @deprecated use lab.venues.databento.SymbolMapping */
export type DbnSymbolMapping = databento.SymbolMapping;
/** @deprecated use lab.venues.databento.MappingInterval */
export type DbnMappingInterval = databento.MappingInterval;
/** @deprecated use lab.venues.databento.Column */
export type DbnColumn = databento.Column;
/** @deprecated use lab.venues.databento.MboColumns */
export type DbnMboColumns = databento.MboColumns;
/** @deprecated use lab.venues.databento.MbpColumns */
export type DbnMbpColumns = databento.MbpColumns;
/** @deprecated use lab.venues.databento.InstrumentDef */
export type DbnInstrumentDef = databento.InstrumentDef;
/** @deprecated use lab.venues.databento.Counts */
export type DbnCounts = databento.Counts;
/** @deprecated use lab.venues.databento.File */
export type DbnFile = databento.File;
/** @deprecated use lab.venues.databento.DecodeOptions */
export type DbnDecodeOptions = databento.DecodeOptions;
/** @deprecated use lab.venues.databento.ReadOptions */
export type DbnReadOptions = databento.ReadOptions;
/** @deprecated use lab.venues.databento.BatchInfo */
export type DbnBatchInfo = databento.BatchInfo;
/** @deprecated use lab.venues.databento.TickBatch */
export type DbnTickBatch = databento.TickBatch;

/** @deprecated use lab.venues.lobster.read */
export const readLobster = lobster.read;
/** @deprecated use lab.venues.lobster.timeZoneOffsetMinutes */
export const timeZoneOffsetMinutes = lobster.timeZoneOffsetMinutes;
/** @deprecated use lab.venues.lobster.Data */
export type LobsterData = lobster.Data;
/** @deprecated use lab.venues.lobster.Orderbook */
export type LobsterOrderbook = lobster.Orderbook;
/** @deprecated use lab.venues.lobster.ReadOptions */
export type LobsterReadOptions = lobster.ReadOptions;

/** @deprecated use lab.venues.binance.read */
export const readBinanceRaw = binance.read;
/** @deprecated use lab.venues.binance.parse */
export const parseBinanceRaw = binance.parse;
/** @deprecated use lab.venues.binance.toTickBatch */
export const binanceToTickBatch = binance.toTickBatch;
/** @deprecated use lab.venues.binance.btcUsdt */
export const binanceBtcUsdt = binance.btcUsdt;
/** @deprecated use lab.venues.binance.Message */
export const BinanceMessage = binance.Message;
/** @deprecated use lab.venues.binance.readDepthCsv */
export const readBinanceDepthCsv = binance.readDepthCsv;
/** @deprecated use lab.venues.binance.Message */
export type BinanceMessage = binance.Message;
/** @deprecated use lab.venues.binance.Capture */
export type BinanceCapture = binance.Capture;
/** @deprecated use lab.venues.binance.Market */
export type BinanceMarket = binance.Market;
/** @deprecated use lab.venues.binance.ReadOptions */
export type BinanceReadOptions = binance.ReadOptions;
/** @deprecated use lab.venues.binance.ReadProblem */
export type BinanceReadProblem = binance.ReadProblem;
/** @deprecated use lab.venues.binance.ReadReport */
export type BinanceReadReport = binance.ReadReport;
/** @deprecated use lab.venues.binance.SyncMarks */
export type BinanceSyncMarks = binance.SyncMarks;
/** @deprecated use lab.venues.binance.TickOptions */
export type BinanceTickOptions = binance.TickOptions;
/** @deprecated use lab.venues.binance.DepthCsvReadOptions */
export type BinanceCsvReadOptions = binance.DepthCsvReadOptions;
