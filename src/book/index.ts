/**
 * book: order books rebuilt from `TickBatch` rows. Prices are integer ticks, sizes lots, NaN
 * means "none". The L3 book keeps every order in exact FIFO queues (queue position, priority);
 * the L2 book keeps aggregated price levels. Both are typed-array structures that allocate
 * nothing per event, so a replay loop can call `apply(batch, i)` millions of times per second.
 * Venue conventions (priority on modify, unknown ids, end-of-event groups) are options, not forks:
 * a venue registers its L3 rules (`registerVenueRules`) from src/venues/.
 */
export { L3Book, VENUE_RULES, registerVenueRules } from "./l3-book.js";
export type { L3BookOptions, L3BookStats, L3VenueRules, VenueRuleSet, L2Levels, L3OrderView } from "./l3-book.js";
export { L2Book, type L2BookOptions } from "./l2-book.js";
export { replayBook, applyFolded, resolveReplayMode, rowsUpTo, BookCursor, BookTimeline, sideLevels, copyBook, type ReplayMode, type ReplayOptions, type ReplayResult, type BookTimelineOptions, type BookSnapshot, type BookSideLevels } from "./replay.js";
export { spread, mid, depth, cumulativeDepth, imbalance, imbalanceOf, microprice, micropriceOf, weightedMid, bookFeatures, bookState, BookState, BOOK_STATE_NAMES, featureSeries, detectCrossedLocked, type BookLevelsView, type BookFeatures, type FeatureSeries, type FeatureSeriesOptions, type CrossedLockedReport } from "./features.js";
