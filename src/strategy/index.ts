/**
 * strategy: the strategy API, parameter schemas and the templates.
 */
export * from "./params.js";
