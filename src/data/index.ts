/**
 * data: the columnar `TickBatch`, readers for real exchange formats, validation with a
 * data-quality report, the partitioned Parquet catalog and the seeded generator.
 */
export * from "./tick-batch.js";
export * from "./generator.js";
export * from "./quality.js";
export { readSourceBytes, checkReadableFile, filesystemError, decodeSource, compressionOf, completeLinesLength, zstdWindowBytes, type DecodedSource, type StreamCut, type Compression, type DecodeOptions } from "./source-bytes.js";
export { toArrow, fromArrow, toDataFrame, type FromArrowOptions, type DataFrameOptions } from "./arrow.js";
export { readTable, readParquet, readArrowFile, writeParquet, writeCsv, writeArrowFile, writeTable, formatFromPath, type TableFormat, type ColumnMapping, type ReadTableOptions, type WriteOptions } from "./table-io.js";
export { gridStep, toGridExact, type GridStep } from "./exact.js";
export type { BadRowPolicy } from "./staging.js";
export { registerFormat, getFormat, formatNames, guessFormat, readFile, detectFormat, formatFromName, type FormatReader, type FormatReadOptions, type FormatDetection } from "./formats.js";
export { registerDetector, type FormatDetector, type TextStart } from "./detect.js";
export { validate, qualityReportJson, type ValidateOptions, type QualityReport, type QualitySummary } from "./validate.js";
export { estimateClockOffset, clockOffsetsFor, shiftLocalTimes, type ClockOffsetEstimate, type ClockOffsetOption } from "./clock-offset.js";
export { writeCatalog, readCatalog, listPartitions, catalogChunks, catalogSummary, cacheCatalogColumns, type ColumnCacheResult, type CatalogSummary, type CatalogChunkOptions, type CatalogChunks, type CatalogStreamTraits, type CatalogWriteOptions, type CatalogReadOptions, type CatalogPartition, type CatalogWriteResult } from "./catalog.js";
