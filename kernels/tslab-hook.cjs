"use strict";
// Kernel-side hook of the "Strategy Lab (TypeScript)" kernel. tslab (patched by kernels/install.mjs)
// hands its executor the console object returned by `kernelConsole`; the kernelspec names this file
// in STRATEGY_LAB_KERNEL_HOOK. Two things change for the person at the notebook:
//
// - A cell's last value that implements the display protocol (a method under
//   Symbol.for("strategy-lab.display") returning a MIME bundle such as { "text/html", "text/plain" })
//   is shown as that bundle instead of util.inspect text.
// - An exception is shown the way the CLI shows it: a box with `CODE: message`, the hint right
//   under it and where it happened (file, line/row, column); frames from the kernel, node:vm, the
//   compiled cell and the package's dist/ folded into a closed <details>. Other errors show the
//   user's own frames first. The cell still fails: the executor returns false after reporting, so
//   the execute_reply status stays "error" (Run All stops there, headless runs count the cell).
//   The display data carries metadata {"strategy-lab": {"error": true}} so the headless runner
//   (kernels/run_notebooks.py) can quote its text.
//
// Everything here falls back to tslab's own output if it fails: a hook must never hide an error.

const path = require("node:path");
const util = require("node:util");
const { pathToFileURL } = require("node:url");

const DISPLAY = Symbol.for("strategy-lab.display");
const ERROR_METADATA = { "strategy-lab": { error: true } };
const ROOT = path.dirname(__dirname);
// The package's own code: dist/, or src/ when source maps translate the frames.
const PACKAGE_DIRS = ["dist", "src"].flatMap((d) => [path.join(ROOT, d) + path.sep, pathToFileURL(path.join(ROOT, d)).href + "/"]);

function objectLike(value) {
  return value !== null && (typeof value === "object" || typeof value === "function");
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * The MIME bundle a value's display method returns (string entries only, text/plain always
 * present), or undefined when the value does not implement the protocol.
 */
function richBundle(value) {
  if (!objectLike(value)) return undefined;
  const method = value[DISPLAY];
  if (typeof method !== "function") return undefined;
  const bundle = method.call(value);
  if (!objectLike(bundle)) return undefined;
  const data = {};
  for (const [mime, content] of Object.entries(bundle)) if (typeof content === "string") data[mime] = content;
  if (Object.keys(data).length === 0) return undefined;
  if (data["text/plain"] === undefined) data["text/plain"] = util.inspect(value);
  return data;
}

/** Where a stack frame comes from: the user's own code, or one of the internal sources. */
function frameSource(line) {
  if (line.includes("evalmachine.<anonymous>")) return "cell";
  if (/\(node:|\bat node:|\(internal\/|\(<anonymous>\)$/.test(line)) return "node";
  if (/[\\/]node_modules[\\/]tslab[\\/]/.test(line)) return "tslab";
  if (PACKAGE_DIRS.some((d) => line.includes(d))) return "strategy-lab";
  if (/[\\/]node_modules[\\/]/.test(line)) return "library";
  return "user";
}

const SOURCE_NAMES = { cell: "compiled cell", node: "node", tslab: "tslab", "strategy-lab": "strategy-lab", library: "libraries" };

function framesOf(error) {
  const stack = typeof error.stack === "string" ? error.stack : "";
  return stack
    .split("\n")
    .filter((l) => /^\s+at\s/.test(l))
    .map((l) => {
      const text = l.trim();
      const source = frameSource(l);
      // A function the user defined in a cell is their own code; its compiled line numbers are not
      // the cell's, so it is named without them. Anonymous cell frames are the wrapper tslab runs.
      const named = source === "cell" ? /^at (?:async )?([^\s(]+) \(evalmachine\.<anonymous>:\d+:\d+\)$/.exec(text) : null;
      if (named && named[1] !== "Object.<anonymous>") return { text: `at ${named[1]} (notebook cell)`, source: "user" };
      return { text, source };
    });
}

function isLabError(value) {
  return objectLike(value) && value.name === "LabError" && typeof value.code === "string";
}

/** "file data/x.csv, line 12, column price": what the error's context says about where. */
function whereOf(context) {
  if (!objectLike(context)) return "";
  const parts = [];
  if (typeof context.file === "string" && context.file) parts.push(`file ${context.file}`);
  if (typeof context.line === "number") parts.push(`line ${context.line}`);
  if (typeof context.row === "number") parts.push(`row ${context.row}`);
  if (typeof context.column === "string" || typeof context.column === "number") parts.push(`column ${context.column}`);
  if (typeof context.byteOffset === "number") parts.push(`byte ${context.byteOffset}`);
  return parts.join(", ");
}

function headlineOf(error) {
  if (isLabError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error || (objectLike(error) && typeof error.message === "string")) {
    const name = typeof error.name === "string" && error.name ? error.name : "Error";
    return `${name}: ${error.message}`;
  }
  return `Uncaught ${util.inspect(error, { depth: 2, breakLength: Infinity })}`;
}

function causeOf(error) {
  if (!objectLike(error) || error.cause === undefined) return "";
  const c = error.cause;
  return objectLike(c) && typeof c.message === "string" ? `${typeof c.name === "string" ? c.name : "Error"}: ${c.message}` : util.inspect(c, { depth: 1, breakLength: Infinity });
}

const BOX = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;color:#1f2328;border-left:4px solid #cf222e;background:#ffebe9;padding:6px 10px;margin:2px 0;white-space:normal;overflow-wrap:anywhere";
const MONO = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
const PRE = `${MONO};font-size:12px;margin:2px 0 0 0;padding:0;background:none;white-space:pre-wrap;overflow-wrap:anywhere`;

/** The error as a MIME bundle: an HTML box and its plain-text version. */
function errorBundle(error) {
  const lab = isLabError(error);
  const headline = headlineOf(error);
  const hint = lab && typeof error.hint === "string" ? error.hint : "";
  const where = lab ? whereOf(error.context) : "";
  const cause = causeOf(error);
  const frames = objectLike(error) ? framesOf(error) : [];
  const own = frames.filter((f) => f.source === "user");
  const internal = frames.filter((f) => f.source !== "user");

  const html = [`<div class="slab-error" style="${BOX}">`];
  html.push(`<div class="slab-error-title" style="${MONO};font-weight:600;color:#82071e;white-space:pre-wrap">${escapeHtml(headline)}</div>`);
  if (hint) html.push(`<div class="slab-error-hint" style="margin-top:2px">hint: ${escapeHtml(hint)}</div>`);
  if (where) html.push(`<div class="slab-error-where" style="margin-top:2px;color:#59636e">at ${escapeHtml(where)}</div>`);
  if (own.length > 0) html.push(`<pre class="slab-error-frames" style="${PRE}">${escapeHtml(own.map((f) => f.text).join("\n"))}</pre>`);
  if (internal.length > 0 || cause) {
    const sources = [...new Set(internal.map((f) => SOURCE_NAMES[f.source]))].join(", ");
    const label = internal.length > 0 ? `${internal.length} internal frame${internal.length === 1 ? "" : "s"} (${sources})` : "cause";
    const body = [cause ? `caused by ${cause}` : "", ...internal.map((f) => f.text)].filter(Boolean).join("\n");
    html.push(`<details class="slab-error-internal" style="margin-top:4px"><summary style="cursor:pointer;color:#59636e">${escapeHtml(label)}</summary><pre style="${PRE};color:#59636e">${escapeHtml(body)}</pre></details>`);
  }
  html.push("</div>");

  const text = [headline];
  if (hint) text.push(`hint: ${hint}`);
  if (where) text.push(`at ${where}`);
  // Headless runs print this text: frames of anything but the kernel's own plumbing help there.
  const shown = lab ? own : frames.filter((f) => f.source === "user" || f.source === "strategy-lab" || f.source === "library");
  for (const f of shown) text.push(`    ${f.text}`);
  if (cause) text.push(`caused by ${cause}`);
  return { "text/html": html.join(""), "text/plain": text.join("\n") };
}

function send(jupyter, data, metadata) {
  const write = jupyter && jupyter.lastWriteDisplayData;
  if (typeof write !== "function") return false;
  write({ data, metadata: metadata || {}, transient: {} }, false);
  return true;
}

/**
 * Wraps tslab's executor console. `log(value)` (a cell's last value) goes out as the value's MIME
 * bundle when it has one; `error(e)` (an exception) as the error box. Calls with several
 * arguments (compile diagnostics use a format string) and anything the hook cannot handle go to
 * tslab's own console unchanged.
 */
function kernelConsole(base, jupyter) {
  return {
    log(...args) {
      if (args.length === 1) {
        try {
          const data = richBundle(args[0]);
          if (data && send(jupyter, data)) return;
        } catch (e) {
          base.error(`(rich display failed: ${e instanceof Error ? e.message : String(e)}; showing the value as text)`);
        }
      }
      base.log(...args);
    },
    error(...args) {
      if (args.length === 1) {
        try {
          if (send(jupyter, errorBundle(args[0]), ERROR_METADATA)) return;
        } catch {
          // fall through to tslab's own rendering
        }
      }
      base.error(...args);
    },
  };
}

module.exports = { kernelConsole, errorBundle, richBundle, frameSource, DISPLAY };
