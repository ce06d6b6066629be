/**
 * core's internals that other layers use but that are not part of the package's public face
 * (`src/index.ts` does not re-export this file): filesystem error mapping and safe output writes,
 * where a worker thread's compiled script is, the option-name check every layer's entry points run,
 * and whether a process (a lock's holder) still runs.
 */
export { errnoOf, writeError, prepareOutputFile, checkWritableFolder, writeOutputFileSync, writeOutputFile, type WriteTarget } from "./fs-errors.js";
export { compiledModuleUrlFrom } from "./modules.js";
export { checkOptionKeys } from "./errors.js";
export { processAlive } from "./processes.js";
