/**
 * The vocabulary of data quality shared by readers and `validate()`: issue classes, severities,
 * what to do with offending rows (policy), and where a batch's read-time issues are kept.
 *
 * Policies: "reject" throws a LabError naming file, row and column; "quarantine" keeps offending
 * rows aside in a separate TickBatch and keeps every good row; "warn" keeps the rows and reports.
 * Nothing is ever dropped silently.
 */
import { attachBatchInfo, batchInfoOf, type TickBatch } from "./tick-batch.js";

export type IssuePolicy = "reject" | "quarantine" | "warn";
export type IssueSeverity = "error" | "warning" | "info";

/** Every issue class, its default severity and policy, and what it means. */
export const ISSUE_CLASSES = {
  "missing-column": { severity: "error", policy: "reject", title: "Required column missing" },
  "type-error": { severity: "error", policy: "reject", title: "Value cannot be parsed" },
  "off-grid": { severity: "error", policy: "reject", title: "Price/size not on the tick/lot grid" },
  "missing-value": { severity: "error", policy: "quarantine", title: "Required value missing" },
  "exch-ts-order": { severity: "error", policy: "quarantine", title: "Exchange time goes backwards" },
  "local-ts-order": { severity: "warning", policy: "warn", title: "Local time goes backwards" },
  "local-before-exch": { severity: "warning", policy: "warn", title: "Local time before exchange time" },
  // Warn by default: equal-size fills at one timestamp are legitimate and look identical once a
  // venue's trade id (e.g. a UUID) cannot be kept.
  duplicate: { severity: "warning", policy: "warn", title: "Exact duplicate row" },
  "non-positive-price": { severity: "error", policy: "quarantine", title: "Zero or negative price" },
  "bad-size": { severity: "error", policy: "quarantine", title: "Negative size, or zero where it must be positive" },
  "sequence-gap": { severity: "warning", policy: "warn", title: "Sequence gap" },
  "sequence-order": { severity: "error", policy: "warn", title: "Sequence goes backwards" },
  "crossed-book": { severity: "warning", policy: "warn", title: "Crossed book (bid > ask) after a complete message" },
  "locked-book": { severity: "info", policy: "warn", title: "Locked book (bid = ask) after a complete message" },
  halt: { severity: "info", policy: "warn", title: "Trading halt / resume" },
  // A source cut off inside a record (a collector killed mid-write, a download cut short): every
  // record before the cut is kept; under "reject" the reader refuses the file instead.
  truncated: { severity: "warning", policy: "quarantine", title: "File cut off inside a record (every record before the cut kept)" },
  // The source's own reference book (e.g. an orderbook file beside the messages) does not show a level its messages touch.
  "book-mismatch": { severity: "error", policy: "warn", title: "Reference book disagrees with the messages" },
  // Real exports print some times with float noise beyond 9 decimals (43002.632812672004).
  "time-rounded": { severity: "warning", policy: "warn", title: "Time with more than 9 decimals, rounded to the nanosecond" },
} as const satisfies Record<string, { severity: IssueSeverity; policy: IssuePolicy; title: string }>;

export type IssueClass = keyof typeof ISSUE_CLASSES;
export const ISSUE_CLASS_NAMES = Object.keys(ISSUE_CLASSES) as IssueClass[];

/** One offending row: index (0-based data row of the file for reader issues, batch row otherwise). */
export interface IssueSample {
  row: number;
  column: string;
  /** The offending value as text, when there is one. */
  value?: string;
  /** 1-based line in a CSV file (header = line 1). */
  line?: number;
  /** Byte offset in the (decompressed) source, where rows have no line (binary formats, cuts). */
  byteOffset?: number;
}

export interface QualityIssue {
  class: IssueClass;
  severity: IssueSeverity;
  policy: IssuePolicy;
  count: number;
  message: string;
  /** File (or batch source) the rows come from. */
  file?: string;
  /** The first offending rows (up to `maxSamples`). */
  samples: IssueSample[];
}

/** Rows a reader or validator set aside, with where each came from and why. */
export interface Quarantine {
  batch: TickBatch;
  /** Row index in the source (file data row for readers, input batch row for validate). */
  sourceRows: Float64Array;
  /** Issue class of each quarantined row (its first problem). */
  reasons: IssueClass[];
}

/** How `seq` advances in a source: see `validate()`'s `sequence` option. */
export type SequenceMode = "consecutive" | "increasing" | "linked" | "none";

export interface ReadReport {
  file: string;
  format: string;
  /** How the reader filled `seq` (and `aux`), so `validate()` checks sequence gaps the right way. */
  sequence?: SequenceMode;
  rowsRead: number;
  issues: QualityIssue[];
  quarantine?: Quarantine;
}

/** Attaches what a reader found to the batch it produced (`validate()` includes it). */
export function attachReadReport(batch: TickBatch, report: ReadReport): void {
  attachBatchInfo(batch, "read-report", report);
}

/** What the reader found while producing `batch`, if it came from a reader. */
export function readReportOf(batch: TickBatch): ReadReport | undefined {
  return batchInfoOf(batch, "read-report") as ReadReport | undefined;
}

/** Collects samples and counts for one issue class without allocating per row beyond the samples. */
export class IssueCollector {
  readonly counts = new Map<IssueClass, number>();
  readonly samples = new Map<IssueClass, IssueSample[]>();
  constructor(readonly maxSamples = 5) {}

  add(cls: IssueClass, row: number, column: string, value?: string, line?: number): void {
    this.counts.set(cls, (this.counts.get(cls) ?? 0) + 1);
    let list = this.samples.get(cls);
    if (!list) this.samples.set(cls, (list = []));
    if (list.length < this.maxSamples) {
      const sample: IssueSample = { row, column };
      if (value !== undefined) sample.value = value;
      if (line !== undefined) sample.line = line;
      list.push(sample);
    }
  }

  /** Adds `count` occurrences found by a fast loop, with samples already collected. */
  addCount(cls: IssueClass, count: number, samples: IssueSample[]): void {
    if (count === 0) return;
    this.counts.set(cls, (this.counts.get(cls) ?? 0) + count);
    let list = this.samples.get(cls);
    if (!list) this.samples.set(cls, (list = []));
    for (const s of samples) if (list.length < this.maxSamples) list.push(s);
  }

  issues(file: string | undefined, policies: Partial<Record<IssueClass, IssuePolicy>>, describe: (cls: IssueClass, count: number) => string): QualityIssue[] {
    const out: QualityIssue[] = [];
    for (const cls of ISSUE_CLASS_NAMES) {
      const count = this.counts.get(cls) ?? 0;
      if (count === 0) continue;
      const issue: QualityIssue = { class: cls, severity: ISSUE_CLASSES[cls].severity, policy: policies[cls] ?? ISSUE_CLASSES[cls].policy, count, message: describe(cls, count), samples: this.samples.get(cls) ?? [] };
      if (file !== undefined) issue.file = file;
      out.push(issue);
    }
    return out;
  }
}

/**
 * The read-report issue for a source cut off inside a record: `recordsKept` complete records
 * before it, the cut at `byteOffset` of the decompressed (or raw) bytes. Readers add it under the
 * "quarantine" policy; under "reject" they throw instead.
 */
export function truncatedIssue(file: string, recordsKept: number, byteOffset: number, detail: string): QualityIssue {
  return {
    class: "truncated",
    severity: ISSUE_CLASSES.truncated.severity,
    policy: "quarantine",
    count: 1,
    message: `${file} ends or is damaged at byte ${byteOffset.toLocaleString("en-US")} (${detail}); the ${recordsKept.toLocaleString("en-US")} complete record${recordsKept === 1 ? "" : "s"} before it are kept`,
    file,
    samples: [{ row: recordsKept, column: "(file)", byteOffset, value: detail }],
  };
}
