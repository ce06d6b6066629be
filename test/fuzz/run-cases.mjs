// Runs reader fuzz cases in a worker thread, so the test's main thread can stop a case that hangs.
// For each case it posts "start", then "done" with the outcome: a LabError (code, one line), a
// batch (rows, the reader's issues, validate's issues), or a crash (anything that is not a
// LabError). Reads the built package, as a user's script would.
import { parentPort, workerData } from "node:worker_threads";

const lab = await import(workerData.dist);

function issueCounts(issues) {
  const out = {};
  for (const i of issues) out[i.class] = (out[i.class] ?? 0) + i.count;
  return out;
}

for (const c of workerData.cases) {
  parentPort.postMessage({ type: "start", id: c.id });
  const before = process.memoryUsage();
  const started = performance.now();
  let outcome;
  try {
    const options = { format: c.format, onBadRows: c.policy };
    if (c.instrument) options.instrument = lab.instrument(c.instrument);
    const batch = await lab.data.readFile(c.path, options);
    const report = lab.data.validate(batch, { onReject: "report" });
    const read = lab.data.readReportOf(batch);
    outcome = {
      kind: "batch",
      rows: batch.length,
      readIssues: issueCounts(read?.issues ?? []),
      issues: issueCounts(report.issues),
      readerQuarantined: read?.quarantine?.batch.length ?? 0,
    };
  } catch (error) {
    if (lab.isLabError(error)) {
      outcome = { kind: "error", code: error.code, line: error.toLine(), context: JSON.parse(JSON.stringify(error.context ?? {}, (_k, v) => (typeof v === "bigint" ? String(v) : v))) };
    } else {
      outcome = { kind: "crash", message: String(error?.message ?? error), stack: String(error?.stack ?? "") };
    }
  }
  const after = process.memoryUsage();
  outcome.ms = performance.now() - started;
  outcome.arrayBuffersGrowth = after.arrayBuffers - before.arrayBuffers;
  outcome.heapGrowth = after.heapUsed - before.heapUsed;
  parentPort.postMessage({ type: "done", id: c.id, outcome });
}
parentPort.postMessage({ type: "end" });
