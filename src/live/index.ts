/**
 * live: a venue's market-data WebSocket into the same books, rows and engine as a backtest.
 * `binanceFeed` keeps an L2 book in sync by Binance's rules (the book layer's `BinanceDepthSync`)
 * and lays out rows as a capture of the same messages would give; `recorder` appends what a feed
 * receives in the capture format; `paper` runs a strategy on a feed with `backtestStream`;
 * `startReplayServer` serves a capture as a venue would, on 127.0.0.1. See docs/live.md.
 */
export { BinanceFeed, binanceFeed, wallNs, type BinanceFeedOptions, type ReconnectPolicy, type FeedIncident, type FeedStats, type IncidentKind } from "./feed.js";
export { CaptureRecorder, recorder, type CaptureRecorderOptions, type RecorderStats } from "./recorder.js";
export { paper, type Handover, type PaperOptions, type PaperSession, type PaperStatus } from "./paper.js";
export { startReplayServer, END_OF_CAPTURE, type ReplayServer, type ReplayServerOptions } from "./replay-server.js";
export { LiveRows, type MalformedLine, type PieceResult, type LiveRowsOptions } from "./rows.js";
export { FastBinanceLines, type ReceivedLine } from "./fast-lines.js";
export { liveMetrics, serveMetrics, type LiveMetrics, type MetricsServer } from "./metrics.js";
export { showSession, type SessionDisplay, type SessionDisplayOptions } from "./display.js";
