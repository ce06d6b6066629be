/** Column names of a user's table (CSV, Parquet, Arrow), shared by the table reader and the Arrow conversion. */

/** Which column of the user's file holds each TickBatch field (prices and sizes as decimals). */
export interface ColumnMapping {
  exchTs?: string;
  localTs?: string;
  kind?: string;
  side?: string;
  price?: string;
  qty?: string;
  orderId?: string;
  flags?: string;
  seq?: string;
  aux?: string;
  /** Symbol per row, matched against `instruments`. */
  symbol?: string;
  /** Venue per row: names the instruments when none are given (files `writeCsv` wrote carry it). */
  venue?: string;
}
