/** `lab.fees.*`: fee models (negative fee = rebate). */
export { makerTaker, fromInstrument, perUnit, none } from "./fees.js";
