/**
 * `lab.store`: the store back ends and helpers of src/store, plus where runs are recorded
 * (`use`, `current`, `flush`).
 */
export * from "../store/index.js";
import { store } from "./facade.js";

export const use = store.use;
export const current = store.current;
export const flush = store.flush;
export { STORE_ENV, defaultStorePath } from "./facade.js";
