/**
 * core's internals that other layers use but that are not part of the package's public face
 * (`src/index.ts` does not re-export this file): filesystem error mapping and safe output writes,
 * where a worker thread's compiled script is, and the option-name check every layer's entry points run.
 */
export { errnoOf, writeError, prepareOutputFile, checkWritableFolder, writeOutputFileSync, writeOutputFile, type WriteTarget } from "./fs-errors.js";
export { compiledModuleUrlFrom } from "./modules.js";
export { checkOptionKeys } from "./errors.js";
