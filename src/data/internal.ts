/**
 * data's internals that higher layers use but that are not part of the package's public face
 * (`src/index.ts` does not re-export this file): the shared DuckDB connection and SQL quoting.
 */
export { duckConnection, sqlIdent, sqlString } from "./duck.js";
