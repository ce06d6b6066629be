/**
 * stats: return, risk and trade metrics; PSR, DSR, minimum track record length; bootstrap; PBO
 * by CSCV. Depends only on core.
 */
export * from "./types.js";
