/**
 * `lab.data` as the package exports it: the data layer, plus the venue readers' former names in
 * it, kept as deprecated aliases of their home under `lab.venues` for one version.
 */
// Every venue registers its formats, as importing the data layer did when the readers lived there.
import "./index.js";
import * as hftbacktest from "./hftbacktest/index.js";
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
