/**
 * stats: return, risk and trade metrics; PSR, DSR, minimum track record length; bootstrap; PBO
 * by CSCV. Depends only on core.
 */
export * from "./types.js";
export { erf, erfc, normalCdf, normalPdf, normalInv } from "./distributions.js";
export { mean, variance, std, skewness, kurtosisRaw, kurtosisExcess, centralMoments, quantile, quantileSorted, hasNonFinite } from "./moments.js";
export { cumulativeWealth, drawdownSeries, drawdownInfo, type DrawdownInfo } from "./drawdown.js";
export { DEFAULT_PERIODS_PER_YEAR, returnsFromEquity, cumulativeReturn, annualReturn, annualVolatility, sharpePerPeriod, sharpeRatio, downsideDeviation, sortinoRatio, maxDrawdown, calmarRatio, omegaRatio, tailRatio, valueAtRisk, conditionalValueAtRisk, hitRate, profitFactor, averageWin, averageLoss } from "./metrics.js";
export { METRICS, metricsReport, metricContext, metricTitle, undefinedMetric, type MetricDefinition, type MetricContext, type MetricOptions, type MetricOutcome, type MetricsReport, type UndefinedMetric } from "./registry.js";
export { EULER_GAMMA, sharpeSample, probabilisticSharpe, expectedMaxSharpe, deflatedSharpe, minTrackRecordLength, sharpeStandardError, bootstrapSharpe, pbo, combinations, type SharpeSample, type SharpeInput, type SharpeInputOptions, type SharpeSampleResult, type ProbabilisticSharpeResult, type ProbabilisticSharpeOptions, type DeflatedSharpeOptions, type DeflatedSharpeResult, type MinTrackRecordOptions, type MinTrackRecordResult, type SharpeStandardErrorResult, type BootstrapOptions, type BootstrapResult, type ConfidenceInterval, type PerformanceMetric, type PboOptions, type PboResult } from "./validation.js";
