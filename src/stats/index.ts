/**
 * stats: return, risk and trade metrics; PSR, DSR, minimum track record length; bootstrap; PBO
 * by CSCV. Depends only on core.
 */
export * from "./types.js";
export { erf, erfc, normalCdf, normalPdf, normalInv } from "./distributions.js";
export { mean, variance, std, skewness, kurtosisRaw, kurtosisExcess, centralMoments, quantile, quantileSorted, selectInPlace, hasNonFinite } from "./moments.js";
export { gridValuesAt, equityGrid, pnlChanges, sessionPeriods, countedChanges, sharpeOfChanges, equityDrawdown, type EquityGrid, type EquityDrawdown } from "./equity.js";
export { cumulativeWealth, drawdownSeries, drawdownInfo, type DrawdownInfo } from "./drawdown.js";
export { DEFAULT_PERIODS_PER_YEAR, returnsFromEquity, cumulativeReturn, annualReturn, annualVolatility, sharpePerPeriod, sharpeRatio, downsideDeviation, sortinoRatio, maxDrawdown, calmarRatio, omegaRatio, tailRatio, valueAtRisk, conditionalValueAtRisk, hitRate, profitFactor, averageWin, averageLoss } from "./metrics.js";
export { METRICS, metricsReport, metricContext, metricTitle, undefinedMetric, type MetricDefinition, type MetricContext, type MetricOptions, type MetricOutcome, type MetricsReport, type UndefinedMetric } from "./registry.js";
export { EULER_MASCHERONI, sharpeMoments, sharpeVarianceFactor, probabilisticSharpe, probabilisticSharpeFromMoments, expectedMaxSharpe, deflatedSharpe, trialSharpeVariance, minTrackRecordLength, minTrackRecordLengthFromMoments, sharpeStandardError, sharpeInference, type SharpeMoments, type TrialsInfo, type SharpeInference, type SharpeInferenceOptions } from "./validation.js";
export { bootstrap, stationaryResample, type BootstrapOptions, type BootstrapResult, type ConfidenceInterval } from "./bootstrap.js";
export { probabilityOfOverfitting, probabilityOfOverfittingColumns, combinations, type PboOptions, type PboResult } from "./pbo.js";
export { DEFAULT_MARKOUT_HORIZONS_NS, DEFAULT_MARKOUT_HORIZONS_MS, lastAtOrBefore, roundTrips, markouts, tradeAnalytics, type RoundTrips, type RoundTripSummary, type Markouts, type InventoryStats, type TradeSummary, type TradeAnalyticsOptions, type TradeReport } from "./trades.js";
export { dailySummary, type DayRow, type DailyOptions } from "./daily.js";
