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

Practice edition. Every notebook is also written, without outputs, to
notebooks/practice/NN-*.ipynb, for learners who want to work the lesson out themselves:
- a block opened with ```rust answer is an exercise's answer: only in the full edition. In
  the practice edition the block opened with ```rust practice right after it (a skeleton
  that declares what the check needs) takes its place, or a cell asking for the answer;
- a block opened with ```rust check calls a `topicmod::exercise` check on the answer: it
  prints a line starting with ✓, or fails with "not yet: <what is wrong>". In both editions;
- Markdown between the lines `<!-- answer -->` and `<!-- /answer -->` (explanations a
  learner should try first) is only in the full edition; between `<!-- practice -->` and
  `<!-- /practice -->` only in the practice edition.

    python scripts/make_notebooks.py             # all notebooks
    python scripts/make_notebooks.py 02 05       # only those whose name starts so
    python scripts/make_notebooks.py --clean 02  # drop all outputs
    python scripts/make_notebooks.py --check     # exit 1 if a notebook is out of date

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
PRACTICE_OUT = os.path.join(OUT, "practice")
FENCE = re.compile(r"^```rust(?:\s+(chart|answer|practice|check))?\s*$")
# Markdown regions that belong to one edition only.
REGION = re.compile(r"^<!--\s*(/?)(answer|practice)\s*-->\s*$")
FULL, PRACTICE = "full", "practice"
# Where each kind of block appears, and the tag its cell carries.
BLOCKS = {None: ((FULL, PRACTICE), None), "chart": ((FULL, PRACTICE), "chart"),
          "answer": ((FULL,), "answer"), "practice": ((PRACTICE,), "practice"),
          "check": ((FULL, PRACTICE), "check")}
PRACTICE_BANNER = (
    "> **Practice edition.** The code and most of the text are those of the full notebook, but "
    "there are no outputs: run the cells yourself. The answers to the exercises, and some "
    "explanations you can work out from what you see, are left for you. Each exercise ends in "
    "a check cell: run it after your answer. It prints a line starting with ✓ when your "
    "answer is right, and otherwise an error starting with *not yet:* that says what is "
    "wrong, without giving the answer away. The full edition, with answers, is "
    "`../{name}.ipynb`."
)
NO_SKELETON = "// Your answer here: write the code the exercise above asks for, then run the check below.\n"
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
    """The notebook's cells, each with the editions it belongs to (key "editions"), and
    the site metadata."""
    cells, md, code, in_code, kind = [], [], [], False, None
    region = None  # "answer" or "practice" inside an edition-only Markdown region
    site_meta = {}  # summary and device, for the website's outline

    def md_editions():
        return {None: (FULL, PRACTICE), "answer": (FULL,), "practice": (PRACTICE,)}[region]

    def flush_md():
        nonlocal md
        if any(l.strip() for l in md):
            cells.append({"cell_type": "markdown", "metadata": {}, "source": lines_to_source(md),
                          "editions": md_editions()})
        md = []

    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f.read().split("\n"), 1):
            if not in_code:
                m = FENCE.match(raw)
                r = REGION.match(raw)
                if m:
                    flush_md()
                    in_code, code, kind = True, [], m.group(1)
                    if region and kind not in (None, "chart"):
                        raise SystemExit(f"{path}:{n}: a ```rust {kind} block inside <!-- {region} -->")
                elif r:
                    flush_md()
                    closing, name = r.group(1) == "/", r.group(2)
                    if closing != (region == name) or (not closing and region):
                        raise SystemExit(f"{path}:{n}: unbalanced <!-- {r.group(1)}{name} -->")
                    region = None if closing else name
                elif raw.strip() == "+++":
                    flush_md()
                elif META.match(raw):
                    key, value = META.match(raw).groups()
                    site_meta[key] = value
                else:
                    md.append(raw)
            elif raw.strip() == "```":
                editions, tag = BLOCKS[kind]
                if region:
                    editions = md_editions()
                if kind == "practice" and not (cells and "answer" in cells[-1]["metadata"].get("tags", [])):
                    raise SystemExit(f"{path}:{n}: a ```rust practice block must follow a ```rust answer block")
                cells.append(
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "metadata": {"tags": [tag]} if tag else {},
                        "outputs": [],
                        "source": lines_to_source(code),
                        "editions": editions,
                    }
                )
                in_code = False
            else:
                code.append(raw)
    if in_code:
        raise SystemExit(f"{path}: unclosed ```rust block")
    if region:
        raise SystemExit(f"{path}: unclosed <!-- {region} -->")
    flush_md()
    return cells, site_meta


def edition(cells, which, name):
    """The cells of one edition, without the "editions" key. In the practice edition an
    answer with no skeleton after it becomes a cell asking for the answer, and the title
    cell is followed by a note on how the practice edition works."""
    out = []
    for i, c in enumerate(cells):
        c = json.loads(json.dumps({k: v for k, v in c.items() if k != "editions"}))
        tags = c["metadata"].get("tags", [])
        if which == PRACTICE and "answer" in tags:
            following = cells[i + 1] if i + 1 < len(cells) else None
            if not (following and "practice" in following["metadata"].get("tags", [])):
                out.append({**c, "metadata": {"tags": ["practice"]}, "source": [NO_SKELETON]})
            continue
        if which not in cells[i]["editions"]:
            continue
        if which == PRACTICE and c["cell_type"] == "code":
            # The practice notebooks sit one folder deeper.
            c["source"] = [l.replace('path = ".."', 'path = "../.."') if l.startswith(":dep topicmod") else l
                           for l in c["source"]]
        out.append(c)
        if which == PRACTICE and len(out) == 1:
            out.append({"cell_type": "markdown", "metadata": {},
                        "source": lines_to_source(PRACTICE_BANNER.format(name=name).split("\n"))})
    return out


def notebook(cells, name, site_meta, extra_meta):
    for i, c in enumerate(cells):
        c["id"] = f"{name[:2]}-{i:03d}"
    charts = sum("chart" in c["metadata"].get("tags", []) for c in cells)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": KERNELSPEC,
            "language_info": LANGUAGE_INFO,
            "topicmod": {"expects_charts": charts, **site_meta, **extra_meta},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def serialize(nb):
    # Sorted keys, as nbformat writes them, so that executing a notebook in place and
    # regenerating it give the same file.
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write(target, nb):
    with open(target + ".tmp", "w", encoding="utf-8") as f:
        f.write(serialize(nb))
    os.replace(target + ".tmp", target)


def strip_outputs(nb):
    """The notebook with the outputs, counts and run times of its code cells removed."""
    nb = json.loads(json.dumps(nb))
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
            c["metadata"].pop("execution", None)
    return nb


def build(name, keep, check):
    """Writes (or with check=True compares) both editions; returns the names out of date."""
    cells, site_meta = parse(os.path.join(SRC, name + ".md"))
    full = notebook(edition(cells, FULL, name), name, site_meta, {})
    practice = notebook(edition(cells, PRACTICE, name), name, site_meta, {"edition": PRACTICE})
    target = os.path.join(OUT, name + ".ipynb")
    practice_target = os.path.join(PRACTICE_OUT, name + ".ipynb")
    if check:
        stale = []
        try:
            with open(target, encoding="utf-8") as f:
                committed = json.load(f)
        except (OSError, ValueError):
            committed = None
        # The full edition's outputs come from running it; only its cells must match.
        if committed is None or serialize(strip_outputs(committed)) != serialize(full):
            stale.append(target)
        try:
            with open(practice_target, encoding="utf-8") as f:
                same = f.read() == serialize(practice)
        except OSError:
            same = False
        if not same:
            stale.append(practice_target)
        return stale
    if keep and os.path.exists(target):
        with open(target, encoding="utf-8") as f:
            old = json.load(f)
        previous = {
            "".join(c["source"]): c for c in old["cells"] if c["cell_type"] == "code"
        }
        for c in full["cells"]:
            if c["cell_type"] == "code":
                o = previous.get("".join(c["source"]))
                if o is not None:
                    c["outputs"] = o.get("outputs", [])
                    c["execution_count"] = o.get("execution_count")
                    # When it ran (the website's outline adds up the cells' run times).
                    if "execution" in o.get("metadata", {}):
                        c["metadata"]["execution"] = o["metadata"]["execution"]
    write(target, full)
    os.makedirs(PRACTICE_OUT, exist_ok=True)
    write(practice_target, practice)
    n_ex = sum("check" in c["metadata"].get("tags", []) for c in practice["cells"])
    print(f"{target}: {len(full['cells'])} cells, {full['metadata']['topicmod']['expects_charts']} charts; "
          f"practice edition: {n_ex} exercise check(s)")
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("only", nargs="*", help="name prefixes, e.g. 02")
    ap.add_argument("--clean", action="store_true", help="drop outputs of every cell")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if a notebook (either edition) is not what its source gives")
    args = ap.parse_args()
    names = sorted(f[:-3] for f in os.listdir(SRC) if re.match(r"^\d\d-.*\.md$", f))
    if args.only:
        names = [n for n in names if any(n.startswith(p) for p in args.only)]
    if not names:
        sys.exit("no notebook sources matched")
    os.makedirs(OUT, exist_ok=True)
    stale = [p for n in names for p in build(n, not args.clean, args.check)]
    if args.check:
        for p in stale:
            print(f"out of date: {os.path.relpath(p, ROOT)}", file=sys.stderr)
        if stale:
            sys.exit("run `python3 scripts/make_notebooks.py` and execute the changed notebooks")
        print(f"notebooks in sync with their sources: {len(names)} (both editions)")


if __name__ == "__main__":
    main()
