"""Execute notebooks headless with nbclient and export them as HTML.

Cells run with allow_errors, so a failing cell is recorded and the following cells still run
(like Jupyter with stop-on-error off). Prints one JSON object per notebook on stdout:
{"notebook", "ok", "cells", "failures": [{"cell", "source", "error"}], "html", "ipynb", "seconds"}.
"""
import argparse
import json
import os
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbformat.sign import NotebookNotary


def error_text(cell, reply):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            tb = "\n".join(out.get("traceback") or [])
            parts.append(tb or f"{out.get('ename')}: {out.get('evalue')}")
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "display_data" and (out.get("metadata") or {}).get("strategy-lab", {}).get("error"):
            # The kernel hook (kernels/tslab-hook.cjs) shows exceptions as an HTML box; quote its text.
            text = (out.get("data") or {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
    content = (reply or {}).get("content", {})
    if not parts and content.get("status") == "abort":
        parts.append("the kernel aborted this cell without running it")
    if not parts and content.get("evalue"):
        parts.append(f"{content.get('ename')}: {content.get('evalue')}")
    return "\n".join(p.rstrip() for p in parts if p).strip() or "cell failed without error output"


def run(path, kernel, timeout, out_dir):
    started = time.time()
    nb = nbformat.read(path, as_version=4)
    failures = []

    def on_executed(cell, cell_index, execute_reply):
        status = (execute_reply or {}).get("content", {}).get("status")
        if status in ("error", "abort"):
            failures.append({"cell": cell_index + 1, "source": cell.get("source", ""), "error": error_text(cell, execute_reply)})

    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        on_cell_executed=on_executed,
    )
    result = {"notebook": path, "ok": True, "cells": sum(1 for c in nb.cells if c.cell_type == "code"), "failures": failures}
    # With a run store configured, backtests record in the background: one last cell waits for
    # those records before the kernel is shut down (it is removed again before anything is saved).
    flush = None
    if os.environ.get("STRATEGY_LAB_STORE"):
        flush = nbformat.v4.new_code_cell('import * as strategyLabRunStore from "strategy-lab";\nawait strategyLabRunStore.store.flush().catch(() => undefined);')
        nb.cells.append(flush)
    try:
        client.execute()
    except Exception as exc:  # kernel died, timeout: report it as a failure of the notebook
        failures.append({"cell": 0, "source": "", "error": f"{type(exc).__name__}: {exc}"})
    if flush is not None:
        nb.cells.remove(flush)
        failures[:] = [f for f in failures if f["cell"] <= len(nb.cells)]
    # Some kernels report an error only as an error output: catch those too.
    reported = {f["cell"] for f in failures}
    code_index = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        code_index += 1
        if index + 1 not in reported and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            failures.append({"cell": index + 1, "source": cell.get("source", ""), "error": error_text(cell, None)})
    failures.sort(key=lambda f: f["cell"])
    result["ok"] = not failures
    NotebookNotary().sign(nb)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        stem = os.path.splitext(os.path.basename(path))[0]
        ipynb_path = os.path.join(out_dir, stem + ".ipynb")
        nbformat.write(nb, ipynb_path)
        from nbconvert import HTMLExporter

        exporter = HTMLExporter()
        body, _ = exporter.from_notebook_node(nb)
        # The exporter links require.js and MathJax from the local system (file:// URLs): the page
        # would break on any other machine, and nothing in it needs them. Drop them so the page is
        # self-contained; LaTeX in markdown then shows as its source.
        body = re.sub(r'<script src="file:///[^"]*">\s*</script>', "", body)
        title = next((c.source.lstrip("# ").splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("#")), stem)
        body = body.replace("<title>Notebook</title>", "<title>" + title.replace("<", "&lt;") + "</title>", 1)
        html_path = os.path.join(out_dir, stem + ".html")
        with open(html_path, "w", encoding="utf-8") as fh:
            fh.write(body)
        result["html"] = html_path
        result["ipynb"] = ipynb_path
    result["seconds"] = round(time.time() - started, 2)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--kernel", default="strategy-lab")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    for path in args.notebooks:
        print(json.dumps(run(path, args.kernel, args.timeout, args.out)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
