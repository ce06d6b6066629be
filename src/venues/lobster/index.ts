/**
 * LOBSTER (NASDAQ order-by-order data): message and orderbook files (CSV or the zip), the
 * price-level and order-by-order streams rebuilt to equal LOBSTER's own orderbook file, and the
 * verification of a replay against it. Importing this registers the `lobster`, `lobster-l2` and
 * `lobster-l3` formats, the detector and the `lobster` L3 venue rules.
 */
import "./formats.js";
export { readLobster as read, timeZoneOffsetMinutes, type LobsterData as Data, type LobsterOrderbook as Orderbook, type LobsterReadOptions as ReadOptions } from "./read.js";
export { lobsterL2Batch as l2Batch, lobsterStartBook as startBook, type LobsterL2Options as L2Options, type LobsterL2Result as L2Result } from "./l2.js";
export { lobsterL3Batch as l3Batch, type LobsterL3Options as L3Options, type LobsterL3Result as L3Result } from "./l3.js";
export { verifyLobster as verify, type LobsterVerifyReport as VerifyReport, type LobsterVerifyOptions as VerifyOptions, type LobsterVerifyInput as VerifyInput, type LobsterMismatch as Mismatch } from "./verify.js";
