/**
 * Runs notebooks headless through nbclient (kernels/run_notebooks.py), exports executed HTML and
 * an index page, and reports failing cells with their number, source and error text.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { LabError, Progress, type ProgressSink } from "../core/index.js";
import { escapeHtml } from "../report/internal.js";
import { jupyterEnv, jupyterPython, kernelInstalled, packageRoot, KERNEL_NAME } from "./jupyter.js";

export interface CellFailure {
  /** 1-based cell number in the notebook. 0 = the notebook as a whole (kernel died, timeout). */
  cell: number;
  source: string;
  error: string;
}

export interface NotebookResult {
  notebook: string;
  ok: boolean;
  cells: number;
  failures: CellFailure[];
  html?: string;
  ipynb?: string;
  seconds: number;
}

export interface RunNotebooksOptions {
  /** Folder for executed .ipynb + .html and index.html; none = execute only. */
  htmlDir?: string;
  /** Per-cell timeout in seconds. @default 600 */
  timeoutSeconds?: number;
  progress?: ProgressSink;
  /** Called as each notebook finishes. */
  onResult?: (result: NotebookResult) => void;
  /**
   * Reuse the previous successful result of a notebook when neither it, the built package nor
   * the bundled data changed since (needs `htmlDir`, where the fingerprints are kept).
   */
  skipUnchanged?: boolean;
}

interface RunCache {
  [notebook: string]: { fingerprint: string; result: NotebookResult };
}

/** Fingerprint of everything a notebook's result depends on: its source, dist/ and data/. */
function fingerprint(notebook: string, root: string): string {
  const hash = createHash("sha256");
  hash.update(readFileSync(notebook));
  const walk = (dir: string, withContent: boolean): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "generated") walk(full, withContent);
      } else if (withContent) hash.update(entry.name).update(readFileSync(full));
      else hash.update(`${full}:${statSync(full).size}:${statSync(full).mtimeMs}`);
    }
  };
  walk(join(root, "dist"), true);
  walk(join(root, "data"), false);
  return hash.digest("hex");
}

/** Expands folders to their *.ipynb files (sorted), keeps files, rejects missing paths. */
export function expandNotebookPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new LabError({ code: "FILE_NOT_FOUND", message: `notebook path not found: ${p}`, hint: "pass .ipynb files or folders that contain them", context: { file: p } });
    if (statSync(p).isDirectory()) {
      out.push(...readdirSync(p).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(p, f)));
    } else if (p.endsWith(".ipynb")) out.push(p);
    else throw new LabError({ code: "NOT_A_NOTEBOOK", message: `not a notebook: ${p}`, hint: "notebooks end in .ipynb", context: { file: p } });
  }
  if (out.length === 0) throw new LabError({ code: "NO_NOTEBOOKS", message: `no notebooks found in ${paths.join(", ")}`, hint: "pass .ipynb files or a folder containing them" });
  return out;
}

/** One readable block per failing cell, for terminals and test messages. */
export function formatFailures(result: NotebookResult): string {
  return result.failures
    .map((f) => {
      const where = f.cell === 0 ? `${result.notebook}: notebook failed` : `${result.notebook}: cell ${f.cell} failed`;
      const source = f.source ? `\n--- cell source ---\n${f.source}\n--- error ---\n` : "\n";
      return `${where}${source}${f.error}`;
    })
    .join("\n\n");
}

export async function runNotebooks(paths: readonly string[], options: RunNotebooksOptions = {}): Promise<NotebookResult[]> {
  const root = packageRoot();
  if (!kernelInstalled(root)) {
    throw new LabError({ code: "KERNEL_MISSING", message: `the ${KERNEL_NAME} kernel is not installed in ${join(root, ".jupyter")}`, hint: "run npm start or node scripts/setup.mjs once" });
  }
  const all = expandNotebookPaths(paths).map((p) => resolve(p));
  const cacheFile = options.htmlDir ? join(resolve(options.htmlDir), ".runs.json") : undefined;
  const cache: RunCache = cacheFile && existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, "utf8")) as RunCache) : {};
  const prints = new Map(all.map((nb) => [nb, fingerprint(nb, root)]));
  const reused: NotebookResult[] = [];
  const notebooks = all.filter((nb) => {
    const hit = cache[nb];
    const fresh = options.skipUnchanged && hit && hit.fingerprint === prints.get(nb) && hit.result.ok && hit.result.html && existsSync(hit.result.html);
    if (fresh) reused.push(hit.result);
    return !fresh;
  });
  for (const r of reused) options.onResult?.(r);
  if (notebooks.length === 0) {
    if (options.htmlDir) writeIndex(options.htmlDir, all.map((nb) => cache[nb]!.result));
    return reused;
  }
  const args = [join(root, "kernels", "run_notebooks.py"), "--kernel", KERNEL_NAME, "--timeout", String(options.timeoutSeconds ?? 600)];
  if (options.htmlDir) args.push("--out", resolve(options.htmlDir));
  args.push(...notebooks);
  const progress = new Progress("notebooks", options.progress, { total: notebooks.length, unit: "notebooks", intervalMs: 0 });
  const results: NotebookResult[] = [];
  await new Promise<void>((done, fail) => {
    const child = spawn(jupyterPython(), args, { env: jupyterEnv(root), stdio: ["ignore", "pipe", "pipe"] });
    let buffered = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith("{")) continue;
        const result = JSON.parse(line) as NotebookResult;
        results.push(result);
        options.onResult?.(result);
        progress.tick(1, basename(result.notebook));
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (error) => fail(new LabError({ code: "JUPYTER_MISSING", message: `cannot start ${jupyterPython()}: ${error.message}`, hint: "run npm start (installs Debian's jupyter packages) or set STRATEGY_LAB_PYTHON" })));
    child.on("close", (code) => {
      if (results.length < notebooks.length) {
        const tail = stderr.trim().split("\n").slice(-15).join("\n");
        fail(new LabError({ code: "RUNNER_FAILED", message: `notebook runner exited with code ${code} after ${results.length} of ${notebooks.length} notebooks:\n${tail}`, hint: "check that Jupyter is installed (npm start does it) and the kernel starts: npm run notebook" }));
      } else done();
    });
  });
  progress.finish();
  const byNotebook = new Map([...reused, ...results].map((r) => [r.notebook, r]));
  const ordered = all.map((nb) => byNotebook.get(nb)!).filter(Boolean);
  if (cacheFile) {
    for (const r of results) cache[r.notebook] = { fingerprint: prints.get(r.notebook)!, result: r };
    writeFileSync(cacheFile, JSON.stringify(cache, null, 1));
  }
  if (options.htmlDir) writeIndex(options.htmlDir, ordered);
  return ordered;
}

/** A page of the reports folder: where it is (relative to the folder) and its `<title>`. */
export interface ReportPage {
  /** Path relative to the reports folder, with forward slashes (the link). */
  href: string;
  file: string;
  title: string;
  /** Last change, ms since the epoch. */
  modifiedMs: number;
  bytes: number;
}

/** Text of the first `<title>` in the page's first 64 KiB, entities decoded; undefined without one. */
export function pageTitle(file: string): string | undefined {
  let head: string;
  try {
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(64 * 1024);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const raw = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(head)?.[1];
  if (raw === undefined) return undefined;
  const text = raw
    .replace(/&(lt|gt|quot|#39|apos|nbsp|amp);/g, (_m, e: string) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'", nbsp: " ", amp: "&" })[e] ?? _m)
    .replace(/\s+/g, " ")
    .trim();
  return text === "" ? undefined : text;
}

/** Every HTML page under `dir` (sub-folders too, hidden ones skipped) except the index itself. */
export function reportPages(dir: string): ReportPage[] {
  const root = resolve(dir);
  const pages: ReportPage[] = [];
  const walk = (folder: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const full = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (depth < 4) walk(full, depth + 1);
        continue;
      }
      if (!entry.isFile() || !/\.html?$/i.test(entry.name) || (folder === root && entry.name === "index.html")) continue;
      const href = relative(root, full).split(sep).join("/");
      const stat = statSync(full);
      pages.push({ href, file: full, title: pageTitle(full) ?? basename(entry.name).replace(/\.html?$/i, ""), modifiedMs: stat.mtimeMs, bytes: stat.size });
    }
  };
  walk(root, 0);
  return pages.sort((a, b) => a.href.localeCompare(b.href));
}

function hrefOf(href: string): string {
  return escapeHtml(href.split("/").map(encodeURIComponent).join("/"));
}

/**
 * reports/index.html: every HTML page in the folder, each with its title and link, grouped as
 * notebooks (the ones just run, with their status, then other executed notebooks found there: a
 * page with its executed .ipynb beside it) and other reports (tear sheets, data-quality pages).
 */
export function writeIndex(dir: string, results: readonly NotebookResult[]): string {
  mkdirSync(dir, { recursive: true });
  const root = resolve(dir);
  const pages = reportPages(dir);
  const byFile = new Map(pages.map((p) => [p.file, p]));
  const listed = new Set<string>();
  const notebookRows = results.map((r) => {
    const name = basename(r.notebook, ".ipynb");
    const page = r.html ? byFile.get(resolve(r.html)) : undefined;
    if (page) listed.add(page.file);
    const title = page?.title ?? name;
    const link = page ? `<a href="${hrefOf(page.href)}">${escapeHtml(title)}</a>` : r.html ? `<a href="${hrefOf(relative(root, r.html).split(sep).join("/"))}">${escapeHtml(title)}</a>` : escapeHtml(title);
    const status = r.ok ? `<span style="color:#1a7f37">ok</span>` : `<span style="color:#cf222e">failed (cells ${r.failures.map((f) => f.cell).join(", ")})</span>`;
    return `<tr><td>${link}</td><td>${escapeHtml(name)}</td><td>${status}</td><td>${r.cells}</td><td>${r.seconds.toFixed(1)} s</td></tr>`;
  });
  // Executed notebooks of earlier runs: nbconvert's page with its executed .ipynb beside it.
  for (const page of pages) {
    if (listed.has(page.file) || !existsSync(page.file.replace(/\.html?$/i, ".ipynb"))) continue;
    listed.add(page.file);
    notebookRows.push(`<tr><td><a href="${hrefOf(page.href)}">${escapeHtml(page.title)}</a></td><td>${escapeHtml(basename(page.href).replace(/\.html?$/i, ""))}</td><td>not run this time</td><td></td><td></td></tr>`);
  }
  const others = pages.filter((p) => !listed.has(p.file));
  const otherRows = others.map((p) => `<tr><td><a href="${hrefOf(p.href)}">${escapeHtml(p.title)}</a></td><td>${escapeHtml(p.href)}</td><td>${escapeHtml(new Date(p.modifiedMs).toISOString().slice(0, 16).replace("T", " "))}</td><td>${(p.bytes / 1024).toFixed(0)} KiB</td></tr>`);
  const page = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Strategy Lab reports</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#1f2328}table{border-collapse:collapse;margin-bottom:2em}td,th{padding:4px 12px;border-bottom:1px solid #d8dee4;text-align:left}</style>
</head><body><h1>Strategy Lab reports</h1>
<p>Every report in this folder, generated ${escapeHtml(new Date().toISOString())}. Each page is self-contained and works offline.</p>
<h2 id="notebooks">Notebooks (${notebookRows.length})</h2>
${notebookRows.length === 0 ? "<p>No executed notebooks here.</p>" : `<table><thead><tr><th>title</th><th>notebook</th><th>status</th><th>code cells</th><th>time</th></tr></thead><tbody>
${notebookRows.join("\n")}
</tbody></table>`}
<h2 id="other-reports">Other reports (${otherRows.length})</h2>
${otherRows.length === 0 ? "<p>No other reports here (tear sheets exported with <code>exportHtml</code> or <code>strategy-lab report</code> appear here).</p>" : `<table><thead><tr><th>title</th><th>file</th><th>modified (UTC)</th><th>size</th></tr></thead><tbody>
${otherRows.join("\n")}
</tbody></table>`}
</body></html>
`;
  const file = join(dir, "index.html");
  writeFileSync(file, page);
  return file;
}
