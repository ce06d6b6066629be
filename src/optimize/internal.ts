/**
 * optimize's internals that higher layers use but that are not part of the package's public face
 * (`src/index.ts` does not re-export this file): streamed sweeps over catalog ranges.
 */
export { sweepWith } from "./optimize.js";
export { StreamedRunner, timeIndexOf, type StreamedRange, type TimeIndex } from "./streamed.js";
