/** `lab.latency.*`: order and feed latency models (see latency.ts for the conventions). */
export { constant, fromFeed, lognormal, feedConstant, feedLognormal } from "./latency.js";
