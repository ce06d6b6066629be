/**
 * The catalogue of `LabError` codes: every code the lab throws, what it means and what a
 * researcher typically does about it. `LabError.code` is typed by it, so a code that is not here
 * does not compile; docs/errors.md is rendered from it (`npm run docs:errors`).
 */

/** Where in the lab a code comes from (one table per area in docs/errors.md). */
export type ErrorArea = "core" | "files" | "data" | "book" | "engine" | "strategy" | "optimize" | "stats" | "report" | "store" | "server" | "cli";

export interface ErrorCodeInfo {
  readonly area: ErrorArea;
  /** What happened, in one sentence. */
  readonly meaning: string;
  /** What a researcher typically does about it. */
  readonly fix: string;
  /** Set when no code path throws this code at present: why it stays in the catalogue. */
  readonly reserved?: string;
}

/** The areas in the order docs/errors.md lists them. */
export const ERROR_AREAS: readonly { readonly area: ErrorArea; readonly title: string; readonly note?: string }[] = [
  { area: "core", title: "Core and options" },
  { area: "files", title: "Files and formats" },
  {
    area: "data",
    title: "Data quality",
    note:
      "Readers name the first bad row of a file (row or line, column, raw text) and refuse it by default; `{ onBadRows: \"quarantine\" }` (`--on-bad-rows quarantine`) keeps the good rows and reports the bad ones instead. " +
      "A `DATA_*` code names an issue class of the data-quality report: `validate()` throws it for the first class whose policy is \"reject\" (by default `missing-column`, `type-error` and `off-grid`; any class can be set to reject with `{ policy }`, and `{ onReject: \"report\" }` returns the report instead), and a backtest with `check: \"strict\"` throws it for the first row its input check refuses.",
  },
  { area: "book", title: "Order books" },
  { area: "engine", title: "Backtest engine" },
  { area: "strategy", title: "Strategies" },
  { area: "optimize", title: "Optimizer" },
  { area: "stats", title: "Statistics" },
  { area: "report", title: "Reports" },
  { area: "store", title: "Result stores" },
  { area: "server", title: "Research server" },
  { area: "cli", title: "Command line and notebooks" },
];

export const ERROR_CODES = {
  // ------------------------------------------------------------------ core and options
  BAD_OPTION: {
    area: "core",
    meaning: "An option has a value outside what it accepts (a negative count, an unknown mode, a wrong type), in a function call or on the command line.",
    fix: "Use a value the message lists; the hint shows an example for that option.",
  },
  UNKNOWN_OPTION: {
    area: "core",
    meaning: "An options object or a command has an option it does not know, usually a typo, so it is refused instead of silently falling back to a default.",
    fix: "Use the name the hint suggests (\"did you mean ...\"); `strategy-lab <command> --help` lists a command's options.",
  },
  BAD_TIME: {
    area: "core",
    meaning: "A time could not be parsed: an option value, or a row's timestamp in a file (e.g. a LOBSTER time that is not seconds after midnight).",
    fix: "Write ISO 8601 (`2024-08-08T23:54:15.030314667Z`) or an epoch number with its unit; for a bad row in a file, fix the row or read with `{ onBadRows: \"quarantine\" }`.",
  },
  BAD_DURATION: {
    area: "core",
    meaning: "A duration could not be parsed.",
    fix: "Write a number and a unit: `100ms`, `1.5s`, `250us`, `30ns`, `2m`, `1h`.",
  },
  UNSAFE_NUMBER: {
    area: "core",
    meaning: "A nanosecond value is beyond 2^53 and cannot be turned into a JavaScript number without losing precision.",
    fix: "Keep it as a bigint, or subtract a bigint base first and convert the offset.",
  },
  BAD_NUMBER: {
    area: "core",
    meaning: "A value that must be a decimal number is not one (a tick or lot size, a price, a value in a returns file).",
    fix: "Write it as a plain decimal such as `101.25`; in a returns file use 0 for periods without activity.",
  },
  BAD_INSTRUMENT: {
    area: "core",
    meaning: "An instrument is unusable: a tick or lot size that is not positive, a tick size a format cannot express, or an instrument index that is not in the run.",
    fix: "Build the instrument with a positive tick and lot size (e.g. `lab.instrument({ symbol, venue, tickSize: \"0.01\" })`), or pass an index of the run's instruments.",
  },
  OFF_TICK: {
    area: "core",
    meaning: "A price is not a whole number of ticks of its instrument (an order, or a LOBSTER row under the given tick size).",
    fix: "Round the price to the tick grid, or check the instrument's `tickSize`.",
  },
  OFF_LOT: {
    area: "core",
    meaning: "A size is not a whole number of lots of its instrument.",
    fix: "Round the size to the lot grid, or check the instrument's `lotSize`.",
  },
  INTERNAL: {
    area: "core",
    meaning: "Strategy Lab reached a state it should never reach; on the command line, any failure that is not a LabError is printed with this code.",
    fix: "Rerun with `STRATEGY_LAB_DEBUG=1` for the stack trace and report it with the input that caused it.",
  },

  // ------------------------------------------------------------------ files and formats
  FILE_NOT_FOUND: {
    area: "files",
    meaning: "The path does not exist; for a relative path the message names the directory it was resolved from.",
    fix: "Check the path and the current directory.",
  },
  IS_A_DIRECTORY: {
    area: "files",
    meaning: "A file to read or write is a directory.",
    fix: "Pass (or give the name of) one file inside it; a catalog folder is read with `lab.data.readCatalog` or `--data <folder>`.",
  },
  NOT_A_DIRECTORY: {
    area: "files",
    meaning: "An output path runs through a file where a folder is needed.",
    fix: "Choose another path, or move that file away.",
  },
  NOT_A_FILE: {
    area: "files",
    meaning: "The path is neither a regular file nor a directory (a device, socket or pipe).",
    fix: "Pass a regular file.",
  },
  PERMISSION_DENIED: {
    area: "files",
    meaning: "This process may not read the file, or may not write into the folder.",
    fix: "Check the owner and mode (`ls -l`, `ls -ld <folder>`), copy the input somewhere readable, or write into a folder you own.",
  },
  READ_ONLY_FS: {
    area: "files",
    meaning: "An output would go to a file system that is mounted read-only.",
    fix: "Write to a writable location (a folder under your home or the project).",
  },
  DISK_FULL: {
    area: "files",
    meaning: "The disk (or your quota) ran out of space while writing an output; no partial file is left under its name.",
    fix: "Free space (`df -h`) or write to another disk.",
  },
  READ_FAILED: {
    area: "files",
    meaning: "Reading a file failed for a reason other than a missing file or permissions (an I/O error, or the query engine refused the file).",
    fix: "Check that the file is readable and complete; the message carries the underlying error.",
  },
  WRITE_FAILED: {
    area: "files",
    meaning: "An output file (a table, a report, a result) could not be written, for a reason other than those with their own code.",
    fix: "Check the path and that the folder is writable; the message carries the underlying error.",
  },
  EMPTY_FILE: {
    area: "files",
    meaning: "The file is empty (0 bytes, or a LOBSTER message file without rows).",
    fix: "Check the path; re-download or re-export the file.",
  },
  BAD_FILE: {
    area: "files",
    meaning: "The file is not what its format needs: binary or UTF-16 data where text is expected, no line ends, or Arrow/CSV content that is damaged.",
    fix: "Save text as UTF-8, check that the path names the file you meant, or re-export / re-download a damaged file.",
  },
  WRONG_FORMAT: {
    area: "files",
    meaning: "The file is of another format than the one it is read as (e.g. a Parquet file read as CSV).",
    fix: "Read it with its own format, as the hint says (`{ format: \"parquet\" }` / `--format parquet`).",
  },
  UNKNOWN_FORMAT: {
    area: "files",
    meaning: "A format name is not known, or the format of a file cannot be told from its name and content.",
    fix: "Pass one of the formats the hint lists (`{ format }` / `--format`).",
  },
  CORRUPT_GZIP: {
    area: "files",
    meaning: "A gzip file ends early or is damaged (or fails its checksum).",
    fix: "Re-download or re-copy it (`gzip -t` tells whether it is whole), or read with `{ onBadRows: \"quarantine\" }` to keep every record before the damage.",
  },
  CORRUPT_ZSTD: {
    area: "files",
    meaning: "A zstd file ends early or is damaged.",
    fix: "Re-download or re-copy it (`zstd -t` tells whether it is whole), or read with `{ onBadRows: \"quarantine\" }` to keep every record before the damage.",
  },
  CORRUPT_ZIP: {
    area: "files",
    meaning: "A zip archive (a LOBSTER download) is cut short or damaged.",
    fix: "Re-download it (`unzip -t` tells whether it is whole), or read with `{ onBadRows: \"quarantine\" }` to keep every row before the damage.",
  },
  UNSUPPORTED_ZIP: {
    area: "files",
    meaning: "A zip member is encrypted or compressed with a method other than deflate.",
    fix: "Re-pack the zip with plain deflate (`zip -r`), or unzip it and pass the CSV files.",
  },
  TRUNCATED: {
    area: "files",
    meaning: "A text file (CSV, LOBSTER, a Binance capture) is cut off inside a record: its last line is incomplete.",
    fix: "Re-download or re-export it, or read with `{ onBadRows: \"quarantine\" }` (`--on-bad-rows quarantine`) to keep every complete record before the cut, reported as a `truncated` issue.",
  },
  BAD_PARQUET: {
    area: "files",
    meaning: "A Parquet file is not complete: no `PAR1` magic, no footer, or damaged pages.",
    fix: "Re-export or re-download it; in a catalog, `{ onBadFile: \"skip\" }` reads every other file while you re-ingest that partition.",
  },
  SCHEMA_MISMATCH: {
    area: "files",
    meaning: "A file with the normalized tick columns has a column of the wrong type, or its instrument metadata is damaged.",
    fix: "Re-export it with `writeParquet` / `writeArrowFile`, or read its own columns with a mapping (`{ columns, instrument }` / `--columns`).",
  },
  MISSING_COLUMN: {
    area: "files",
    meaning: "A column the reader needs (a timestamp, price or size, or a column named in the mapping) is not in the file's header.",
    fix: "Map the column: `{ columns: { exchTs: \"...\" } }` (`--columns '{\"exchTs\":\"...\"}'`); the message lists the file's columns.",
  },
  MISSING_INSTRUMENT: {
    area: "files",
    meaning: "Prices cannot be converted between decimals and ticks because no instrument (tick and lot size) is known for the file.",
    fix: "Pass `{ instrument: { symbol, venue, tickSize, lotSize } }` (`--symbol`/`--tick-size`/`--lot-size`).",
  },
  NOT_TARDIS: {
    area: "files",
    meaning: "A file read as Tardis CSV does not have a Tardis header.",
    fix: "Check the file: Tardis CSV starts with `exchange,symbol,timestamp,local_timestamp,...`; read other CSV with the generic reader and a column mapping.",
  },
  NO_DATE: {
    area: "files",
    meaning: "The session date of a LOBSTER file cannot be told from its name.",
    fix: "Pass `{ date: \"YYYY-MM-DD\" }`.",
  },
  NO_MESSAGE_FILE: {
    area: "files",
    meaning: "A LOBSTER zip holds no `*_message_*.csv`.",
    fix: "Pass the complete LOBSTER zip, or the message CSV itself.",
  },
  NO_ORDERBOOK_FILE: {
    area: "files",
    meaning: "A LOBSTER zip holds no `*_orderbook_*.csv` where the orderbook was asked for.",
    fix: "Pass the complete LOBSTER zip, or the orderbook CSV itself.",
  },
  BAD_ORDERBOOK: {
    area: "files",
    meaning: "A LOBSTER orderbook file has the wrong number of columns, or a row with a bad value.",
    fix: "Use the orderbook file of the same download; `{ onBadRows: \"quarantine\" }` sets a damaged row and its message aside.",
  },
  ROW_COUNT_MISMATCH: {
    area: "files",
    meaning: "A LOBSTER message file and its orderbook file have different numbers of rows.",
    fix: "Use the message and orderbook files of the same download, or read with `{ onBadRows: \"quarantine\" }` to keep the rows both files have.",
  },
  NO_MESSAGES: {
    area: "files",
    meaning: "A Binance capture file holds no message the reader can use.",
    fix: "Check the file: it should hold lines of `<local ns> <json>` from a Binance websocket capture (depth diffs, a snapshot, bookTicker, trades).",
  },
  DBN_BAD_HEADER: {
    area: "files",
    meaning: "A file does not start with a valid DBN header (no `DBN` magic, or a corrupt metadata field).",
    fix: "Download or copy the file again; legacy DBZ files must be converted with Databento's tools first.",
  },
  DBN_VERSION: {
    area: "files",
    meaning: "A DBN file has a version this reader does not decode (versions 1, 2 and 3 are).",
    fix: "Convert it with Databento's `dbn` CLI (`dbn --upgrade`), or update Strategy Lab.",
  },
  DBN_TRUNCATED: {
    area: "files",
    meaning: "A DBN file (plain or zstd) ends early, inside its header or inside a record.",
    fix: "Download or copy it again, or read with `{ onBadRows: \"quarantine\" }` (`--on-bad-rows quarantine`) to keep every record decoded before the cut.",
  },
  DBN_CORRUPT: {
    area: "files",
    meaning: "A DBN file is damaged: a record with an impossible length, or zstd data that does not decode.",
    fix: "Download or copy it again, or read with `{ onBadRows: \"quarantine\" }` to keep every record decoded before the damage.",
  },
  DBN_NO_TICK_SIZE: {
    area: "files",
    meaning: "A DBN file has no instrument definition for an instrument, so its tick size is unknown.",
    fix: "Pass the instrument with its real tick size (`{ instrument }` / `--tick-size`), or a definition file (`{ definitions }` / `--definitions`).",
  },
  DBN_BAD_TICK_SIZE: {
    area: "files",
    meaning: "A tick size is finer than DBN's price unit of 1e-9.",
    fix: "Use a tick size with at most 9 decimals.",
  },
  CATALOG_NOT_FOUND: {
    area: "files",
    meaning: "There is no catalog at the given path.",
    fix: "Write one with `writeCatalog()` or `strategy-lab ingest ... --out <catalog>`, or check the path.",
  },
  CATALOG_DAMAGED: {
    area: "files",
    meaning: "A catalog is damaged: a symbol folder has no readable `instrument.json`, or a partition to append to is not a complete Parquet file.",
    fix: "Restore the file (instrument.json holds the symbol's tick and lot size), or rewrite the partition with `mode: \"replace\"`.",
  },
  CATALOG_READ_FAILED: {
    area: "files",
    meaning: "Reading a catalog failed (not because of one damaged Parquet file).",
    fix: "Check the files under the catalog root; the message carries the underlying error.",
  },
  CATALOG_WRITE_FAILED: {
    area: "files",
    meaning: "Writing into a catalog failed; every partition still holds its old or its new content (the message says how many were written).",
    fix: "Check disk space and permissions, then write again.",
  },
  CATALOG_BUSY: {
    area: "files",
    meaning: "Another process is writing into the same catalog (its `_writer.lock` names the process); one writer at a time.",
    fix: "Wait for that write to finish or write into another catalog; if that process no longer runs, delete the lock file the message names.",
  },
  CATALOG_CHANGING: {
    area: "files",
    meaning: "A catalog's files were replaced while each of several reads ran (another process keeps writing); no mixed read is returned.",
    fix: "Read again when the writer is done; it holds `_writer.lock` in the catalog root while it writes.",
  },
  DATA_TOO_LARGE: {
    area: "files",
    meaning: "A catalog range asked for as one in-memory batch (a sweep's data) is larger than the memory it may take.",
    fix: "Narrow the range (start, end, symbols), raise `maxMemoryBytes` if the machine has the memory, or backtest the range streamed (`lab.backtest({ catalog, start, end }, ...)`).",
  },
  BAD_PARTITION_NAME: {
    area: "files",
    meaning: "A venue or symbol cannot be used as a catalog folder name.",
    fix: "Use letters, digits and `. _ - : @ +` (e.g. `BTC-USD` instead of `BTC/USD`).",
  },
  INSTRUMENT_MISMATCH: {
    area: "files",
    meaning: "A symbol is already in the catalog with another tick or lot size.",
    fix: "Write it under another symbol name or into another catalog.",
  },

  // ------------------------------------------------------------------ data quality
  BAD_VALUE: {
    area: "data",
    meaning: "A reader found a value that does not parse (a price, size, id or flag), named by row or line, column and raw text.",
    fix: "Fix the file, or read with `{ onBadRows: \"quarantine\" }` (`--on-bad-rows quarantine`) to keep the good rows and report the bad ones.",
  },
  MISSING_VALUE: {
    area: "data",
    meaning: "A reader found a required value empty or missing.",
    fix: "Fix the file, or read with `{ onBadRows: \"quarantine\" }` to keep the good rows and report the bad ones.",
  },
  BAD_ROW: {
    area: "data",
    meaning: "A row cannot be split into the fields its format has (too few or too many), or a replay was asked for a row count outside the batch.",
    fix: "Check that the file is of the format it is read as; read with `{ onBadRows: \"quarantine\" }` to set such rows aside.",
  },
  OFF_GRID: {
    area: "data",
    meaning: "A price or size in a file is not on the instrument's tick or lot grid.",
    fix: "Check the instrument's tick and lot size, or read with `{ onBadRows: \"quarantine\" }` to set such rows aside.",
  },
  BAD_SIZE: {
    area: "data",
    meaning: "A size in a Binance capture is negative, or zero where it must be positive.",
    fix: "Read with `{ onBadRows: \"quarantine\" }` to set such messages aside and count them.",
  },
  NON_POSITIVE_PRICE: {
    area: "data",
    meaning: "A price in a Binance capture is zero or negative.",
    fix: "Read with `{ onBadRows: \"quarantine\" }` to set such messages aside and count them.",
  },
  BAD_DEPTH: {
    area: "data",
    meaning: "A Binance depth message has no bid/ask level array, or a level that is not a `[price, size]` pair.",
    fix: "Read with `{ onBadRows: \"quarantine\" }` to set such messages aside and count them.",
  },
  BAD_LINE: {
    area: "data",
    meaning: "A line of a Binance capture has no receive time, or one that is not an integer nanosecond count.",
    fix: "Check that the file is a capture of `<local ns> <json>` lines, or read with `{ onBadRows: \"quarantine\" }`.",
  },
  BAD_JSON: {
    area: "data",
    meaning: "A JSON text is not valid: a line of a Binance capture, or a returns or results file given to the CLI.",
    fix: "For a capture, read with `{ onBadRows: \"quarantine\" }` to skip and count such lines; for a CLI input, write it as the hint shows.",
  },
  UNKNOWN_MESSAGE: {
    area: "data",
    meaning: "A Binance capture line holds a message of a type the reader does not know.",
    fix: "Read with `{ onBadRows: \"quarantine\" }` to skip and count such lines; known types are depthUpdate, bookTicker, trade and depth snapshots.",
  },
  BAD_BATCH: {
    area: "data",
    meaning: "A TickBatch is inconsistent: columns of different lengths, or rows naming an instrument the batch does not list.",
    fix: "Build batches with the readers or `tickBatch()`; the instrument column indexes `batch.instruments`.",
  },
  DATA_MISSING_COLUMN: {
    area: "data",
    meaning: "Rejected for issue class `missing-column`: a required column is missing.",
    fix: "Fix the source, or map the column when reading (`{ columns }`).",
  },
  DATA_TYPE_ERROR: {
    area: "data",
    meaning: "Rejected for issue class `type-error`: values that cannot be parsed or used (an unknown kind, an infinite price or size).",
    fix: "Fix the source, or validate with `{ policy: { \"type-error\": \"quarantine\" } }` to keep the good rows and set these aside.",
  },
  DATA_OFF_GRID: {
    area: "data",
    meaning: "Rejected for issue class `off-grid`: prices or sizes that are not on the tick/lot grid.",
    fix: "Check the instrument's tick and lot size, or validate with `{ policy: { \"off-grid\": \"quarantine\" } }`.",
  },
  DATA_MISSING_VALUE: {
    area: "data",
    meaning: "Rejected for issue class `missing-value`: a price or size is missing on a row that needs one.",
    fix: "Fix the source, or quarantine the class (the default in `validate()`).",
  },
  DATA_EXCH_TS_ORDER: {
    area: "data",
    meaning: "Rejected for issue class `exch-ts-order`: exchange time goes backwards within an instrument.",
    fix: "Sort the data, or quarantine the class (the default in `validate()`) so the rest stays monotonic.",
  },
  DATA_LOCAL_TS_ORDER: {
    area: "data",
    meaning: "Rejected for issue class `local-ts-order`: local (receive) time goes backwards.",
    fix: "Sort by local time, or set the class's policy to warn (its default).",
  },
  DATA_LOCAL_BEFORE_EXCH: {
    area: "data",
    meaning: "Rejected for issue class `local-before-exch`: local time is before exchange time (clocks out of sync).",
    fix: "Check the capture's clocks, or set the class's policy to warn (its default).",
  },
  DATA_DUPLICATE: {
    area: "data",
    meaning: "Rejected for issue class `duplicate`: exact duplicate rows at one exchange time.",
    fix: "De-duplicate the source, or set the class's policy to warn (equal fills at one timestamp can be legitimate).",
  },
  DATA_NON_POSITIVE_PRICE: {
    area: "data",
    meaning: "Rejected for issue class `non-positive-price`: zero or negative prices.",
    fix: "Quarantine the class (the default in `validate()`), or pass `{ allowNonPositivePrices: true }` where such prices are legitimate (spreads, some futures).",
  },
  DATA_BAD_SIZE: {
    area: "data",
    meaning: "Rejected for issue class `bad-size`: negative sizes, or zero where a size must be positive.",
    fix: "Fix the source, or quarantine the class (the default in `validate()`).",
  },
  DATA_SEQUENCE_GAP: {
    area: "data",
    meaning: "Rejected for issue class `sequence-gap`: sequence numbers skip (messages were lost).",
    fix: "Use a capture without gaps, check the `sequence` mode, or set the class's policy to warn (its default).",
  },
  DATA_SEQUENCE_ORDER: {
    area: "data",
    meaning: "Rejected for issue class `sequence-order`: sequence numbers go backwards.",
    fix: "Sort by sequence, check the `sequence` mode, or set the class's policy to warn (its default).",
  },
  DATA_CROSSED_BOOK: {
    area: "data",
    meaning: "Rejected for issue class `crossed-book`: the book is crossed (bid above ask) after a complete message.",
    fix: "Check the source for lost updates, or set the class's policy to warn (its default).",
  },
  DATA_LOCKED_BOOK: {
    area: "data",
    meaning: "Rejected for issue class `locked-book`: the book is locked (bid equal to ask) after a complete message.",
    fix: "Set the class's policy to warn (its default): locked books happen on some venues.",
  },
  DATA_HALT: {
    area: "data",
    meaning: "Rejected for issue class `halt`: the data holds trading halts.",
    fix: "Pick a session without halts, or set the class's policy to warn (its default).",
  },
  DATA_TRUNCATED: {
    area: "data",
    meaning: "Rejected for issue class `truncated`: the file was cut off inside a record and the reader kept only the records before the cut.",
    fix: "Re-download the file, or accept the kept prefix (leave the class at its default policy; a backtest runs with `check: \"warn\"`).",
  },
  DATA_BOOK_MISMATCH: {
    area: "data",
    meaning: "Rejected for issue class `book-mismatch`: a LOBSTER orderbook file does not list a price level its message file adds, cancels or executes at.",
    fix: "Use the message and orderbook files of the same download (the class warns by default; lab.venues.lobster.verify shows every mismatch).",
  },
  DATA_TIME_ROUNDED: {
    area: "data",
    meaning: "Rejected for issue class `time-rounded`: times had more than 9 decimals and were rounded to the nanosecond.",
    fix: "Set the class's policy to warn (its default), or export times with at most 9 decimals.",
  },

  // ------------------------------------------------------------------ order books
  BOOK_UNKNOWN_ORDER: {
    area: "book",
    meaning: "An L3 event names an order id that is not in the book (the data may start mid-day without a snapshot).",
    fix: "Start the data at a snapshot, or use `onUnknownId: \"count\"` to tolerate and count such events.",
  },
  BOOK_PRICE_RANGE: {
    area: "book",
    meaning: "Prices on one side of an L3 book span more ticks than `maxPriceSpanTicks` allows.",
    fix: "Check the instrument's tick size (prices must be in ticks), or raise `maxPriceSpanTicks`.",
  },
  TIME_NOT_MONOTONIC: {
    area: "book",
    meaning: "The clock column of a replay goes backwards.",
    fix: "Sort the batch first, or replay on the other clock (`{ clock: \"localTs\" }`).",
  },
  NO_ORDERBOOK: {
    area: "book",
    meaning: "A LOBSTER book rebuild or verification needs the orderbook file, and none was read.",
    fix: "Read the complete LOBSTER zip, or pass the orderbook file (`{ orderbook }` / `--orderbook`).",
  },
  BOOK_CHECK_FAILED: {
    area: "book",
    meaning: "`strategy-lab dbn check-mbo` found the MBO replay of a file inconsistent.",
    fix: "Read the report printed above it; a replay of that file cannot be trusted as is.",
  },

  // ------------------------------------------------------------------ backtest engine
  NO_DATA: {
    area: "engine",
    meaning: "A backtest got no batch, or an empty one.",
    fix: "Check the reader's time range and filters.",
  },
  NOT_A_BATCH: {
    area: "engine",
    meaning: "A backtest input is not a TickBatch.",
    fix: "Pass the ticks returned by a reader or `lab.data.generateTicks(...)`.",
  },
  NO_INSTRUMENT: {
    area: "engine",
    meaning: "A batch has no instrument spec.",
    fix: "Build one with `lab.instrument({ symbol, venue, tickSize })`; readers attach it themselves.",
  },
  MIXED_BOOKS: {
    area: "engine",
    meaning: "Some instruments of a backtest have order-by-order (L3) rows and others only price levels.",
    fix: "Backtest them separately, or force `book: \"l2\"` for all.",
  },
  QUEUE_NEEDS_L3: {
    area: "engine",
    meaning: "The queue model needs order-by-order (L3) data, and the data has price levels only.",
    fix: "Use `queue: \"riskAverse\"`, `\"prob\"` or `\"log\"` on L2 data.",
  },
  QUEUE_NEEDS_L2: {
    area: "engine",
    meaning: "The queue model estimates positions from price levels, and the data is order-by-order.",
    fix: "Use `queue: \"l3Fifo\"` (exact FIFO) on L3 data, or `book: \"l2\"`.",
  },
  START_AFTER_DATA: {
    area: "engine",
    meaning: "The backtest option `startAt` is after the last row of the data.",
    fix: "Pick a start time inside the data's time range.",
  },
  TIME_SPAN_TOO_LONG: {
    area: "engine",
    meaning: "The data reaches so far past the run's start that equity sampling would take far more samples than the data has rows (often one far-off timestamp in a damaged file).",
    fix: "Check the data's timestamps (`lab.data.validate(batch)`), or pass a larger `equityIntervalNs` for a run that really spans months.",
  },
  TIME_RANGE: {
    area: "engine",
    meaning: "A run would span more than 2^53 ns (about 104 days) from its start.",
    fix: "Split the data into shorter runs.",
  },
  BAD_LATENCY: {
    area: "engine",
    meaning: "A latency model returned NaN.",
    fix: "Return a number of ns from the model (negative means the request is dropped).",
  },
  LATENCY_NOT_STARTED: {
    area: "engine",
    meaning: "A latency model was used outside a backtest run, before the run seeded it.",
    fix: "Pass the model to `backtest()`; the run seeds it.",
  },
  BAD_SIDE: {
    area: "engine",
    meaning: "An order side is neither 1 (buy) nor -1 (sell).",
    fix: "Use `ctx.buy` / `ctx.sell`, or pass 1 / -1.",
  },

  // ------------------------------------------------------------------ strategies
  BAD_STRATEGY: {
    area: "strategy",
    meaning: "Something passed as a strategy is not one: a factory not yet called, an object without handlers, a definition without a valid name or `create` function.",
    fix: "Call the factory with parameters (`lab.strategies.imbalance({ threshold: 0.3 })`), or define one with `lab.defineStrategy({ ... })`.",
  },
  UNKNOWN_STRATEGY: {
    area: "strategy",
    meaning: "No strategy is registered under that name.",
    fix: "Use a name the hint lists, or register the strategy first.",
  },
  BAD_PARAM: {
    area: "strategy",
    meaning: "A strategy parameter has a value outside its schema (type, range or choices).",
    fix: "Use a value the parameter's schema allows; the hint names it.",
  },
  UNKNOWN_PARAM: {
    area: "strategy",
    meaning: "A parameter (or a search-space dimension) names a parameter the strategy does not have.",
    fix: "Use a name the hint lists (\"did you mean ...\").",
  },

  // ------------------------------------------------------------------ optimizer
  BAD_EVALUATOR: {
    area: "optimize",
    meaning: "An evaluator is not usable: a reference without `{ module, export }`, a factory that returns no function, or a function given to worker threads.",
    fix: "Pass `{ module, export }` naming compiled JavaScript, or run with `workers: 0` to use a function in this thread.",
  },
  EVALUATOR_NOT_FOUND: {
    area: "optimize",
    meaning: "The evaluator module cannot be imported, or has no function export of that name.",
    fix: "Give an absolute path or file URL of compiled JavaScript (workers cannot load .ts) and an export it has.",
  },
  EVALUATOR_FAILED: {
    area: "optimize",
    meaning: "A worker could not start the evaluator.",
    fix: "Check the evaluator module and export (each worker imports it); run with `workers: 0` to see the error in this thread.",
  },
  BAD_OBJECTIVE: {
    area: "optimize",
    meaning: "The objective or a constraint is not valid (an unknown metric, a bad direction or bound).",
    fix: "Name a metric the evaluator returns, as the hint shows.",
  },
  BAD_SPACE: {
    area: "optimize",
    meaning: "The search space is not valid (an empty range, a bad step, no choices).",
    fix: "Fix the parameter's range as the hint says.",
  },
  BAD_RANGE: {
    area: "optimize",
    meaning: "An evaluation row range is not inside the data.",
    fix: "Ranges are `[start, end)` with 0 ≤ start < end ≤ data.length.",
  },
  BAD_WALK_FORWARD: {
    area: "optimize",
    meaning: "The walk-forward settings are not valid (windows, ratios, purge or embargo that do not fit the data).",
    fix: "Fix the option the message names; the hint shows valid values.",
  },
  UNSORTED_TIME: {
    area: "optimize",
    meaning: "The time column used to split walk-forward windows decreases.",
    fix: "Sort the data by that column (`lab.data.mergeBatches` sorts by localTs), or split on the other clock (`time`).",
  },
  EMPTY_SEARCH: {
    area: "optimize",
    meaning: "No point of the search space passes the filter.",
    fix: "Loosen the filter or widen the ranges.",
  },
  GRID_TOO_LARGE: {
    area: "optimize",
    meaning: "A grid search would have more points than it may enumerate.",
    fix: "Use coarser steps, `method: \"random\"` with `trials`, or `method: \"genetic\"`.",
  },
  STRATEGY_NOT_IN_WORKERS: {
    area: "optimize",
    meaning: "A strategy defined only in this process was sent to worker threads, which cannot see it.",
    fix: "Define it in a module and pass `strategyModule: \"/abs/path/to/module.js\"`, or run with `workers: 0`.",
  },
  WORKER_NOT_BUILT: {
    area: "optimize",
    meaning: "The compiled worker module of the optimizer is missing.",
    fix: "Build the package first (`npm run build`): workers run compiled JavaScript from dist/.",
  },
  WORKER_FAILED: {
    area: "optimize",
    meaning: "An optimizer worker failed to start, or workers keep dying.",
    fix: "Run with `workers: 0` to see the failure in this thread.",
  },
  POOL_CLOSED: {
    area: "optimize",
    meaning: "A trial was sent to a worker pool that is already closed.",
    fix: "Open a new pool.",
  },
  BAD_QUEUE_URL: {
    area: "optimize",
    meaning: "A job-queue URL for distributed sweeps is not `redis://host:port/name` (or `rediss://`), or its queue name is missing or has characters a queue name cannot have.",
    fix: "Write it as `redis://host:port/name`, e.g. `redis://127.0.0.1:6379/sweeps`; the name is letters, digits, `_`, `-` and `.`.",
  },
  QUEUE_UNREACHABLE: {
    area: "optimize",
    meaning: "The Redis server of a job queue does not answer (not running, wrong host or port, a firewall, a wrong password).",
    fix: "Start one (`redis-server --port 6379`, installed by `npm run setup` as the Debian package redis-server), or fix the host and port in the queue URL.",
  },
  QUEUE_DATA_REF: {
    area: "optimize",
    meaning: "A sweep through a job queue cannot tell the workers how to load its data (data that came from no file, or a data reference that is not valid).",
    fix: "Pass `queue: { url, data: { file } | { catalog, options } | { generated: { events, seed, mode } } }`, or read the data from a file the workers can reach at the same path.",
  },
  QUEUE_EVALUATOR: {
    area: "optimize",
    meaning: "A sweep through a job queue was given an evaluator that other processes cannot load (a function, or a strategy defined only in this process) or a worker count.",
    fix: "Use a built-in strategy, `strategyModule`, or an evaluator `{ module, export }` reachable on every worker machine; leave out `workers`.",
  },
  DATA_MISMATCH: {
    area: "optimize",
    meaning: "A queue worker loaded data whose checksum differs from the data the sweep was started on, so it refused to compute the trial.",
    fix: "Make the worker read the same data: the same file content at the same path (or the same catalog), the same read options and the same code version on every machine; then resume the sweep.",
  },
  QUEUE_WORKER_FAILED: {
    area: "optimize",
    meaning: "A queue worker could not run a trial for a reason other than the trial itself (it could not load the data or start the evaluator).",
    fix: "Read the worker's message in the error; fix that machine's data path, build or installed modules; then resume the sweep.",
  },
  RESUME_MISMATCH: {
    area: "optimize",
    meaning: "A run cannot be resumed: it was started with a different configuration, or the search now proposes other trials than the stored ones.",
    fix: "Resume with exactly the same settings, or start a new run (no resume, or another run id).",
  },

  // ------------------------------------------------------------------ statistics
  EQUITY_NOT_POSITIVE: {
    area: "stats",
    meaning: "Simple returns need a positive account value, and the equity curve reaches zero or below.",
    fix: "Pass equity including the initial cash (cash + position value), not PnL alone, or add a constant capital base.",
  },
  BAD_TRIALS: {
    area: "stats",
    meaning: "The number of trials or the variance of their Sharpe ratios is not valid for the deflated Sharpe ratio.",
    fix: "Pass how many parameter sets were really evaluated (≥ 1) and the variance (≥ 0) of their per-period Sharpe ratios.",
  },
  PBO_BAD_PARTITIONS: {
    area: "stats",
    meaning: "The number of PBO partitions is not an even integer ≥ 2.",
    fix: "Use e.g. 8 or 16.",
  },
  PBO_RAGGED: {
    area: "stats",
    meaning: "The PBO matrix is ragged: a period or trial has a different number of values than the others.",
    fix: "Give every trial a value for every period.",
  },

  // ------------------------------------------------------------------ reports
  BAD_EQUITY: {
    area: "report",
    meaning: "A tear sheet got an equity curve it cannot use: not equal-length columns, time going backwards, or a PnL curve starting at zero.",
    fix: "Pass `run.equity` from a backtest with `initialCash`, or the account the PnL was made on (`{ capital: 100_000 }`).",
  },
  CHART_FAILED: {
    area: "report",
    meaning: "A chart could not be rendered.",
    fix: "Check the marks and channels passed to the chart.",
  },
  REPORT_NOT_SELF_CONTAINED: {
    area: "report",
    meaning: "An exported report would load external resources, so it would not open offline.",
    fix: "Embed images as data: URIs and scripts inline.",
  },

  // ------------------------------------------------------------------ result stores
  STORE_UNSUPPORTED: {
    area: "store",
    meaning: "The kind of store asked for is not available in this build, or a custom store keeps optimizer trials only and no run registry.",
    fix: "Use a DuckDB file path, e.g. `store: \"sweeps.duckdb\"`, or \"memory\".",
  },
  STORE_OPEN_FAILED: {
    area: "store",
    meaning: "A store (a DuckDB file or a PostgreSQL database) cannot be opened.",
    fix: "Check the path and that it is a DuckDB file, or the postgres:// URL (docs/store.md).",
  },
  STORE_LOCKED: {
    area: "store",
    meaning: "Another process has the store open.",
    fix: "Wait for it (a sweep still running?) or use another file.",
  },
  STORE_CLOSED: {
    area: "store",
    meaning: "The store was used after it was closed.",
    fix: "Open it again.",
  },
  STORE_WRITE_FAILED: {
    area: "store",
    meaning: "Trials or runs could not be written to the store.",
    fix: "Check free disk space and that the file is writable.",
  },
  STORE_READ_FAILED: {
    area: "store",
    meaning: "A PostgreSQL store answered a read with an error other than a lost connection (e.g. the user may not read its tables).",
    fix: "Check the user's rights on the store's tables; the PostgreSQL server log says more.",
  },
  STORE_UNREACHABLE: {
    area: "store",
    meaning: "The PostgreSQL server of a `postgres://` store cannot be reached (connection refused, timed out, or lost).",
    fix: "Start PostgreSQL (e.g. `pg_ctlcluster 15 main start`), check host and port in the URL, or use a DuckDB file as the store.",
  },
  STORE_AUTH: {
    area: "store",
    meaning: "The PostgreSQL server refused the login of a `postgres://` store (wrong user or password, or no pg_hba.conf rule for this host).",
    fix: "Fix the user and password in the URL (`postgres://user:password@host:port/database`) or the server's pg_hba.conf.",
  },
  STORE_DATABASE_MISSING: {
    area: "store",
    meaning: "The database named in a `postgres://` store URL does not exist on the server.",
    fix: "Create it (`createdb <name>`) or name an existing database in the URL.",
  },
  STORE_SCHEMA_NEWER: {
    area: "store",
    meaning: "A PostgreSQL store's tables were migrated by a newer Strategy Lab (its schema version is above the newest this one knows).",
    fix: "Upgrade Strategy Lab on this machine, or use another database.",
  },
  RUN_EXISTS: {
    area: "store",
    meaning: "A run with that id already exists in the store.",
    fix: "Pass `resume: true` (`--resume`) to continue it, or choose another run id.",
  },
  RUN_NOT_FOUND: {
    area: "store",
    meaning: "No run with that id is in the run registry.",
    fix: "List the runs (`strategy-lab runs list`, `lab.runs.list()`) and use one of their ids; check that the same store is open.",
  },
  ARTIFACT_NOT_FOUND: {
    area: "store",
    meaning: "A run has no artifact of that name.",
    fix: "`strategy-lab runs show <id>` lists the run's artifacts.",
  },
  BAD_ARTIFACT_NAME: {
    area: "store",
    meaning: "An artifact name has characters other than letters, digits, '.', '_' and '-' (or is '.' or '..'), so it could leave the run's folder.",
    fix: "Use a plain file name such as `report.html` or `fills.parquet`.",
  },
  BAD_RUN_FILTER: {
    area: "store",
    meaning: "A run listing filter has a value of the wrong kind (limit, offset, order, a time, a metric bound).",
    fix: "Use ISO times for since/until, non-negative integers for limit/offset, and numbers for metric bounds, e.g. `{ where: { sharpe: { gt: 1 } } }`.",
  },
  RECORD_FAILED: {
    area: "store",
    meaning: "A run could not be recorded in the run registry (the backtest itself succeeded).",
    fix: "Check the store (free disk, not locked by another process); `lab.store.flush()` rethrows the first failure.",
  },
  RERUN_UNAVAILABLE: {
    area: "store",
    meaning: "A recorded run cannot be repeated: it is not a backtest, or its data or options were not recorded in a form that can be read again (data built in memory, a custom model object).",
    fix: "Record backtests of data read from files with options given as plain values (numbers, names), e.g. through `strategy-lab backtest --store`.",
  },

  // ------------------------------------------------------------------ research server
  UNAUTHORIZED: {
    area: "server",
    meaning: "A request to the research server's API or live feed came without the server's token, or with a wrong one (HTTP 401).",
    fix: "Open the URL `strategy-lab serve` prints (it carries `?token=...` and sets a cookie), or send `Authorization: Bearer <token>`.",
  },
  BAD_REQUEST: {
    area: "server",
    meaning: "A request's body, query or path has a value the API does not accept (HTTP 400); `field` names the JSON path of the value.",
    fix: "Fix the named field; docs/server.md and `GET /api/openapi.json` describe every route's body and query.",
  },
  PAYLOAD_TOO_LARGE: {
    area: "server",
    meaning: "A request body is larger than the server accepts (HTTP 413).",
    fix: "Send a smaller body: a job names its data file by path instead of sending the data.",
  },
  ROUTE_NOT_FOUND: {
    area: "server",
    meaning: "No route of the server has that method and path (HTTP 404).",
    fix: "`GET /api/openapi.json` lists the routes.",
  },
  JOB_NOT_FOUND: {
    area: "server",
    meaning: "No job of the server has that id (HTTP 404).",
    fix: "List the jobs with `GET /api/jobs`.",
  },
  JOB_NOT_RESUMABLE: {
    area: "server",
    meaning: "A job was asked to resume while it is queued, running or finished, or it is not an optimization (HTTP 409).",
    fix: "Resume an optimization job whose state is interrupted, cancelled or failed.",
  },
  SERVER_UNSAFE_HOST: {
    area: "server",
    meaning: "`strategy-lab serve` was asked to listen on an address other than the loopback without an explicit token.",
    fix: "Pass `--token <secret>` (and keep it secret) to listen on a network address, or keep the default host 127.0.0.1.",
  },
  SERVER_LISTEN_FAILED: {
    area: "server",
    meaning: "The server could not listen on the address and port asked for (the port is taken, or the address is not one of this machine's).",
    fix: "Choose another port (`--port 0` picks a free one) or another host.",
  },

  // ------------------------------------------------------------------ command line and notebooks
  UNKNOWN_COMMAND: {
    area: "cli",
    meaning: "The command line names a command that does not exist.",
    fix: "Use the command the hint suggests; `strategy-lab --help` lists them all.",
  },
  BAD_ARGUMENTS: {
    area: "cli",
    meaning: "A command got missing, extra or invalid arguments.",
    fix: "Run `strategy-lab <command> --help` for its usage.",
  },
  MISSING_OPTION: {
    area: "cli",
    meaning: "A command needs an option that was not given.",
    fix: "Add the option the message names; the hint shows an example.",
  },
  BAD_CSV: {
    area: "cli",
    meaning: "A returns or matrix CSV given to `strategy-lab stats` uses quoted values.",
    fix: "Write plain numbers separated by commas.",
  },
  BAD_RESULTS: {
    area: "cli",
    meaning: "A backtest results file given to `strategy-lab stats` lacks a column, has columns of different lengths, or a bad timestamp.",
    fix: "Write it with `strategy-lab backtest --out run.json` (or `JSON.stringify(run.toJSON())`).",
  },
  EMPTY_MATRIX: {
    area: "cli",
    meaning: "A trial matrix file has no data rows.",
    fix: "Write one row per period and one column per trial.",
  },
  NO_RETURN_COLUMN: {
    area: "cli",
    meaning: "A returns CSV has no `return` column.",
    fix: "Name the column of per-period returns `return`, or write one return per line.",
  },
  DBN_NOT_MBO: {
    area: "cli",
    meaning: "`strategy-lab dbn check-mbo` got a DBN file without MBO records.",
    fix: "Pass a Databento MBO file (schema mbo).",
  },
  BAD_NAME: {
    area: "cli",
    meaning: "A new strategy's name is not a valid identifier.",
    fix: "Use letters and digits, starting with a letter, e.g. `MyMomentum`.",
  },
  FILE_EXISTS: {
    area: "cli",
    meaning: "Scaffolding would overwrite files that already exist.",
    fix: "Pick another name, or pass `--force` to overwrite.",
  },
  NOT_A_NOTEBOOK: {
    area: "cli",
    meaning: "A path given to `strategy-lab notebooks run` is not a notebook.",
    fix: "Pass `.ipynb` files or folders that contain them.",
  },
  NO_NOTEBOOKS: {
    area: "cli",
    meaning: "No notebook was found in the paths given.",
    fix: "Pass `.ipynb` files or a folder containing them.",
  },
  NOTEBOOK_FAILED: {
    area: "cli",
    meaning: "Some notebooks had failing cells.",
    fix: "Fix the cells and errors printed above, then rerun.",
  },
  JUPYTER_MISSING: {
    area: "cli",
    meaning: "The Python that runs Jupyter cannot be started.",
    fix: "Run `npm start` (installs Jupyter) or set `STRATEGY_LAB_PYTHON`.",
  },
  KERNEL_MISSING: {
    area: "cli",
    meaning: "The TypeScript notebook kernel is not installed.",
    fix: "Run `npm start` or `node scripts/setup.mjs` once.",
  },
  RUNNER_FAILED: {
    area: "cli",
    meaning: "The notebook runner exited before all notebooks were run.",
    fix: "Check that Jupyter is installed (`npm start`) and the kernel starts (`npm run notebook`).",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Every code a `LabError` can carry. */
export type LabErrorCode = keyof typeof ERROR_CODES;

/** All codes in catalogue order. */
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as LabErrorCode[];

type ScreamingSnake<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Uppercase<Head>}_${ScreamingSnake<Tail>}` : Uppercase<S>;

/** The code `validate()` throws for a rejected issue class: `"off-grid"` → `"DATA_OFF_GRID"`. */
export type DataIssueCode<C extends string> = `DATA_${ScreamingSnake<C>}`;

export function dataIssueCode<C extends string>(issueClass: C): DataIssueCode<C> {
  return `DATA_${issueClass.toUpperCase().replace(/-/g, "_")}` as DataIssueCode<C>;
}

const escapeCell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** docs/errors.md: how errors look, then one table per area (code | meaning | typical fix). */
export function errorCatalogueMarkdown(): string {
  const lines = [
    "# Error codes",
    "",
    "<!-- Generated from src/core/error-codes.ts by `npm run docs:errors`; edit the catalogue there. -->",
    "",
    "Every failure you can cause (bad data, a bad option, a missing file) is a `LabError` with a",
    "stable code. On the command line it prints one line and the command exits non-zero:",
    "",
    "```",
    "error FILE_NOT_FOUND: file not found: data/trades.csv (relative paths resolve from /home/me/research) (hint: check the path and the current directory)",
    "```",
    "",
    "In code, catch it and branch on `code`; `message` says what happened and where (file, row or",
    "line, column, the raw text), `hint` how to fix it, and `context` holds the values involved",
    "(`file`, `row`, `column`, ...). `isLabError(value)` tells a `LabError` from anything else,",
    "also across copies of the package; `attempt(fn)` returns it as a value instead of throwing.",
    "",
    "```ts",
    "try {",
    '  const ticks = await lab.data.readTable("trades.csv");',
    "} catch (error) {",
    '  if (lab.isLabError(error) && error.code === "TRUNCATED") { /* re-download, or read with { onBadRows: "quarantine" } */ }',
    "  throw error;",
    "}",
    "```",
    "",
  ];
  for (const { area, title, note } of ERROR_AREAS) {
    const codes = ERROR_CODE_NAMES.filter((code) => ERROR_CODES[code].area === area);
    if (codes.length === 0) continue;
    lines.push(`## ${title}`, "");
    if (note) lines.push(note, "");
    lines.push("| Code | Meaning | Typical fix |", "| --- | --- | --- |");
    for (const code of codes) {
      const info: ErrorCodeInfo = ERROR_CODES[code];
      const meaning = info.reserved ? `${info.meaning} (Not thrown at present: ${info.reserved})` : info.meaning;
      lines.push(`| \`${code}\` | ${escapeCell(meaning)} | ${escapeCell(info.fix)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
