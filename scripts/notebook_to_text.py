"""Writes a notebook's plain-text source (the format scripts/make_notebook.py reads) from its .ipynb.

Usage: /usr/bin/python3 scripts/notebook_to_text.py notebook.ipynb out.txt
For a notebook edited in Jupyter: this brings its text source up to date, so notebooks/src/*.txt
stay the one source of every notebook (test/notebooks/sources.test.ts checks they agree).
"""
import json
import sys


def main(src, dst):
    nb = json.load(open(src, encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        parts.append("#%% " + ("md" if cell["cell_type"] == "markdown" else "code"))
        parts.append(text.strip("\n"))
    with open(dst, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
