#!/usr/bin/env node
// Git clean filter for the bundled notebooks (.gitattributes: notebooks/*.ipynb
// filter=strip-outputs; `npm run setup` sets filter.strip-outputs.clean to this script). Running a
// notebook in Jupyter saves its outputs, execution counts and the kernel's language details into
// the file; git should store none of them. This reads the notebook on stdin and writes what git
// stores on stdout:
// - outputs emptied, execution counts null, run-time cell metadata (collapsed, scrolled, execution
//   times) and the kernel-reported language_info extras (version, codemirror_mode) dropped;
// - if what is left equals the version in the index (`%f` names the file), the index version is
//   written byte for byte, so a notebook that was only run shows no change whatever formatting
//   Jupyter saved it with; otherwise the stripped notebook is written (indent 1, each cell's
//   source as one string), which is then the change.
// Input that is not a notebook passes through unchanged: a filter must never lose a file.
// Only Node is needed (no nbstripout, no Python packages). The working file keeps its outputs.
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";

const VOLATILE_CELL_METADATA = ["collapsed", "scrolled", "execution", "ExecuteTime", "trusted", "jupyter"];
const KEPT_LANGUAGE_INFO = ["name", "file_extension", "mimetype"];
const KEY_ORDER = {
  notebook: ["cells", "metadata", "nbformat", "nbformat_minor"],
  cell: ["cell_type", "metadata", "source", "attachments", "execution_count", "outputs", "id"],
  kernelspec: ["name", "display_name", "language"],
  language_info: KEPT_LANGUAGE_INFO,
};

function ordered(object, order) {
  const out = {};
  for (const k of order) if (k in object) out[k] = object[k];
  for (const k of Object.keys(object).sort()) if (!(k in out)) out[k] = object[k];
  return out;
}

const text = (source) => (Array.isArray(source) ? source.join("") : source);

/** The notebook without outputs and run-time metadata, in a fixed key order. */
export function strip(nb) {
  const cells = (nb.cells ?? []).map((cell) => {
    const c = { ...cell, source: text(cell.source ?? "") };
    const metadata = { ...(cell.metadata ?? {}) };
    for (const k of VOLATILE_CELL_METADATA) delete metadata[k];
    c.metadata = metadata;
    if (c.cell_type === "code") {
      c.outputs = [];
      c.execution_count = null;
    }
    return ordered(c, KEY_ORDER.cell);
  });
  const metadata = { ...(nb.metadata ?? {}) };
  if (metadata.kernelspec) metadata.kernelspec = ordered(metadata.kernelspec, KEY_ORDER.kernelspec);
  if (metadata.language_info) {
    const info = {};
    for (const k of KEPT_LANGUAGE_INFO) if (k in metadata.language_info) info[k] = metadata.language_info[k];
    metadata.language_info = info;
  }
  delete metadata.widgets;
  return ordered({ ...nb, cells, metadata }, KEY_ORDER.notebook);
}

/** What must match for two notebooks to be the same change: ids only where the other has them. */
function comparable(nb, reference) {
  const cells = nb.cells.map((c, i) => {
    const { id, ...rest } = c;
    return reference.cells[i] && "id" in reference.cells[i] ? { ...rest, id } : rest;
  });
  const { nbformat_minor: _minor, ...rest } = nb;
  return { ...rest, cells };
}

function indexVersion(path) {
  if (!path) return undefined;
  const r = spawnSync("git", ["cat-file", "blob", `:${path}`], { encoding: "buffer", maxBuffer: 1 << 30 });
  return r.status === 0 ? r.stdout : undefined;
}

export function clean(input, path) {
  let nb;
  try {
    nb = JSON.parse(input.toString("utf8"));
  } catch {
    return input;
  }
  if (typeof nb !== "object" || nb === null || !Array.isArray(nb.cells)) return input;
  const stripped = strip(nb);
  const committed = indexVersion(path);
  if (committed) {
    try {
      const reference = strip(JSON.parse(committed.toString("utf8")));
      if (isDeepStrictEqual(comparable(stripped, reference), comparable(reference, reference))) return committed;
    } catch {
      // an index version that is not a notebook: write the stripped one
    }
  }
  return Buffer.from(JSON.stringify(stripped, null, 1) + "\n", "utf8");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  process.stdout.write(clean(Buffer.concat(chunks), process.argv[2]));
}
