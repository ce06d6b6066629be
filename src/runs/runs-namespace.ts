/** `lab.runs`: the run registry of the configured store (`lab.store.use`). */
import { runs } from "./facade.js";

export const record = runs.record;
export const list = runs.list;
export const get = runs.get;
export const compare = runs.compare;
export const artifact = runs.artifact;
export const attachReport = runs.attachReport;
export { RunList, RunView, RunComparison, manifestDifferences, type MetricDiff } from "./views.js";
export const rerun = runs.rerun;
export type { RerunReport, RerunOptions, RerunDifference } from "./rerun.js";
