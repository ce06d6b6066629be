/**
 * data: the columnar `TickBatch`, readers for real exchange formats, validation with a
 * data-quality report, the partitioned Parquet catalog and the seeded generator.
 */
export * from "./tick-batch.js";
export * from "./generator.js";
