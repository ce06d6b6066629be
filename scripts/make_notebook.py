"""Writes a notebook (.ipynb, no outputs) from a simple cell list file.

Usage: python3 scripts/make_notebook.py cells.txt out.ipynb
Cells are separated by lines '#%% md' or '#%% code'. Keeping notebook sources as plain text makes
them easy to review and edit; this turns them into the nbformat 4 JSON Jupyter expects.
"""
import json
import sys


def main(src, dst):
    cells, kind, lines = [], None, []

    def flush():
        if kind is None:
            return
        text = "\n".join(lines).strip("\n")
        cell = {"cell_type": "markdown" if kind == "md" else "code", "metadata": {}, "source": text}
        if kind == "code":
            cell.update({"execution_count": None, "outputs": []})
        cells.append(cell)

    for line in open(src, encoding="utf-8").read().split("\n"):
        if line.startswith("#%% "):
            flush()
            kind, lines = line[4:].strip(), []
        else:
            lines.append(line)
    flush()
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "strategy-lab", "display_name": "Strategy Lab (TypeScript)", "language": "typescript"},
            "language_info": {"name": "typescript", "file_extension": ".ts", "mimetype": "text/typescript"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for i, c in enumerate(cells):
        c["id"] = f"cell-{i:02d}"
    with open(dst, "w", encoding="utf-8") as fh:
        json.dump(nb, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
