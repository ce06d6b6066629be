/**
 * `lab.book` as the package exports it: the book layer, plus the venue books' former names in it,
 * kept as deprecated aliases of their home under `lab.venues` for one version.
 */
import "./index.js";
import * as databento from "./databento/index.js";

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
