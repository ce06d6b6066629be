/**
 * `lab.book` as the package exports it: the book layer, plus the venue books' former names in it,
 * kept as deprecated aliases of their home under `lab.venues` for one version.
 */
import "./index.js";
import * as binance from "./binance/index.js";
import * as databento from "./databento/index.js";
import * as lobster from "./lobster/index.js";

export * from "../book/index.js";

/** @deprecated use lab.venues.databento.MboBook */
export const DatabentoMboBook = databento.MboBook;
/** @deprecated use lab.venues.databento.verify */
export const checkMboBook = databento.verify;
/** @deprecated use lab.venues.databento.MboBook */
export type DatabentoMboBook = databento.MboBook;
/** @deprecated use lab.venues.databento.PublishedTop */
export type PublishedTop = databento.PublishedTop;
/** @deprecated use lab.venues.databento.VerifyOptions */
export type MboCheckOptions = databento.VerifyOptions;
/** @deprecated use lab.venues.databento.VerifyReport */
export type MboCheckReport = databento.VerifyReport;
/** @deprecated use lab.venues.databento.CrossedRun */
export type CrossedRun = databento.CrossedRun;

/** @deprecated use lab.venues.lobster.l2Batch */
export const lobsterL2Batch = lobster.l2Batch;
/** @deprecated use lab.venues.lobster.startBook */
export const lobsterStartBook = lobster.startBook;
/** @deprecated use lab.venues.lobster.l3Batch */
export const lobsterL3Batch = lobster.l3Batch;
/** @deprecated use lab.venues.lobster.verify */
export const verifyLobster = lobster.verify;
/** @deprecated use lab.venues.lobster.L2Options */
export type LobsterL2Options = lobster.L2Options;
/** @deprecated use lab.venues.lobster.L2Result */
export type LobsterL2Result = lobster.L2Result;
/** @deprecated use lab.venues.lobster.L3Options */
export type LobsterL3Options = lobster.L3Options;
/** @deprecated use lab.venues.lobster.L3Result */
export type LobsterL3Result = lobster.L3Result;
/** @deprecated use lab.venues.lobster.VerifyReport */
export type LobsterVerifyReport = lobster.VerifyReport;
/** @deprecated use lab.venues.lobster.VerifyOptions */
export type LobsterVerifyOptions = lobster.VerifyOptions;
/** @deprecated use lab.venues.lobster.VerifyInput */
export type LobsterVerifyInput = lobster.VerifyInput;
/** @deprecated use lab.venues.lobster.Mismatch */
export type LobsterMismatch = lobster.Mismatch;

/** @deprecated use lab.venues.binance.sync */
export const syncBinanceDepth = binance.sync;
/** @deprecated use lab.venues.binance.syncedBatch */
export const binanceSyncedBatch = binance.syncedBatch;
/** @deprecated use lab.venues.binance.DepthSync */
export const BinanceDepthSync = binance.DepthSync;
/** @deprecated use lab.venues.binance.DepthSync */
export type BinanceDepthSync = binance.DepthSync;
/** @deprecated use lab.venues.binance.SyncReport */
export type BinanceSyncReport = binance.SyncReport;
/** @deprecated use lab.venues.binance.SyncResult */
export type BinanceSyncResult = binance.SyncResult;
/** @deprecated use lab.venues.binance.SyncOptions */
export type BinanceSyncOptions = binance.SyncOptions;
/** @deprecated use lab.venues.binance.Gap */
export type BinanceGap = binance.Gap;
/** @deprecated use lab.venues.binance.TickerMismatch */
export type BinanceTickerMismatch = binance.TickerMismatch;
