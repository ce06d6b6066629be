/** `lab.fills.*`: fill models (src/engine/fills.ts). */
export { partial, noPartial } from "./fills.js";
