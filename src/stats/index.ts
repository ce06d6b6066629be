/**
 * stats: return, risk and trade metrics; PSR, DSR, minimum track record length; bootstrap; PBO
 * by CSCV. Depends only on core.
 */
export * from "./types.js";
export { erf, erfc, normalCdf, normalPdf, normalInv } from "./distributions.js";
export { mean, variance, std, skewness, kurtosisRaw, kurtosisExcess, centralMoments, quantile, quantileSorted, hasNonFinite } from "./moments.js";
