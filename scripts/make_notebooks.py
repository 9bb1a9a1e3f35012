#!/usr/bin/env python3
"""Writes notebooks/NN-*.ipynb from their readable sources in notebooks/source/NN-*.md.

Source format: plain Markdown. Each fenced block opened with ```rust becomes a code
cell; the text between blocks becomes Markdown cells (a line holding only `+++`
splits Markdown into separate cells). A block opened with ```rust chart is a cell that
renders one inline chart; their count goes to the notebook metadata
`topicmod.expects_charts`. Lines of the form `<!-- summary: ... -->` and
`<!-- device: ... -->` (outside code) become the metadata `topicmod.summary` (one line on
what the notebook teaches) and `topicmod.device` (what it runs on), which the course
website's outline shows; they are not part of any cell.

    python scripts/make_notebooks.py             # all notebooks
    python scripts/make_notebooks.py 02 05       # only those whose name starts so
    python scripts/make_notebooks.py --clean 02  # drop all outputs

Outputs (and execution times) of code cells whose source did not change are kept unless
--clean is given.

Only the standard library is needed. Executing is a separate step (nbconvert).
"""
import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "notebooks", "source")
OUT = os.path.join(ROOT, "notebooks")
FENCE = re.compile(r"^```rust(?:\s+(chart))?\s*$")
META = re.compile(r"^<!--\s*(summary|device):\s*(.*?)\s*-->\s*$")

KERNELSPEC = {"name": "topicmod-rust", "display_name": "Rust (topicmod)", "language": "rust"}
LANGUAGE_INFO = {
    "name": "Rust",
    "codemirror_mode": "rust",
    "file_extension": ".rs",
    "mimetype": "text/rust",
    "pygment_lexer": "rust",
    "version": "",
}


def lines_to_source(lines):
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    text = "\n".join(lines)
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]] if text else []


def parse(path):
    cells, md, code, in_code, charts, chart_cell = [], [], [], False, 0, False
    site_meta = {}  # summary and device, for the website's outline

    def flush_md():
        nonlocal md
        if any(l.strip() for l in md):
            cells.append({"cell_type": "markdown", "metadata": {}, "source": lines_to_source(md)})
        md = []

    with open(path, encoding="utf-8") as f:
        for raw in f.read().split("\n"):
            if not in_code:
                m = FENCE.match(raw)
                if m:
                    flush_md()
                    in_code, code, chart_cell = True, [], bool(m.group(1))
                elif raw.strip() == "+++":
                    flush_md()
                elif META.match(raw):
                    key, value = META.match(raw).groups()
                    site_meta[key] = value
                else:
                    md.append(raw)
            elif raw.strip() == "```":
                meta = {"tags": ["chart"]} if chart_cell else {}
                charts += chart_cell
                cells.append(
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "metadata": meta,
                        "outputs": [],
                        "source": lines_to_source(code),
                    }
                )
                in_code = False
            else:
                code.append(raw)
    if in_code:
        raise SystemExit(f"{path}: unclosed ```rust block")
    flush_md()
    return cells, charts, site_meta


def build(name, keep):
    cells, charts, site_meta = parse(os.path.join(SRC, name + ".md"))
    target = os.path.join(OUT, name + ".ipynb")
    if keep and os.path.exists(target):
        with open(target, encoding="utf-8") as f:
            old = json.load(f)
        previous = {
            "".join(c["source"]): c for c in old["cells"] if c["cell_type"] == "code"
        }
        for c in cells:
            if c["cell_type"] == "code":
                o = previous.get("".join(c["source"]))
                if o is not None:
                    c["outputs"] = o.get("outputs", [])
                    c["execution_count"] = o.get("execution_count")
                    # When it ran (the website's outline adds up the cells' run times).
                    if "execution" in o.get("metadata", {}):
                        c["metadata"]["execution"] = o["metadata"]["execution"]
    for i, c in enumerate(cells):
        c["id"] = f"{name[:2]}-{i:03d}"
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": KERNELSPEC,
            "language_info": LANGUAGE_INFO,
            "topicmod": {"expects_charts": charts, **site_meta},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    with open(target + ".tmp", "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(target + ".tmp", target)
    print(f"{target}: {len(cells)} cells, {charts} charts")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("only", nargs="*", help="name prefixes, e.g. 02")
    ap.add_argument("--clean", action="store_true", help="drop outputs of every cell")
    args = ap.parse_args()
    names = sorted(f[:-3] for f in os.listdir(SRC) if re.match(r"^\d\d-.*\.md$", f))
    if args.only:
        names = [n for n in names if any(n.startswith(p) for p in args.only)]
    if not names:
        sys.exit("no notebook sources matched")
    os.makedirs(OUT, exist_ok=True)
    for n in names:
        build(n, not args.clean)


if __name__ == "__main__":
    main()
