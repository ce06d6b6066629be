/**
 * data's internals that higher layers use but that are not part of the package's public face
 * (`src/index.ts` does not re-export this file): the shared DuckDB connection and SQL quoting.
 */
export { duckConnection, sqlIdent, sqlString } from "./duck.js";
/** What the venues' CSV readers (src/venues/) share with the table readers: the staged-SQL path. */
export { openCsvSource } from "./csv-source.js";
export { BAD, insertClearRows, markGroupEnds, type Staged } from "./staging.js";
export { csvFinishOptions, finishStaged, instrumentsFor, stageCsv, symbolCaseSql } from "./table-io.js";
export { concatBytes } from "./source-bytes.js";
