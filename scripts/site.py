#!/usr/bin/env python3
"""Build the course website from executed notebooks.

    site.py [--from DIR] [--out DIR]      (scripts/lesson --site runs it)

Reads every executed notebook in DIR (default: the committed notebooks/, which carry their
outputs), except TEMPLATE.ipynb, and writes into OUT (default build/site/):

- index.html: the course outline, one row per notebook: its title, one line on what it
  teaches (the notebook's `topicmod.summary` metadata, else its first sentence), how long
  its cells took to run when it was executed, and whether it runs on the CPU or can use a
  GPU (`topicmod.device`); plus the practice edition, linked where it exists
  (DIR/practice/NN-*.ipynb, or notebooks/practice/ when DIR has none, becomes
  practice/NN-*.html);
- one page per notebook (the nbconvert HTML export) with links to the previous and next
  notebook and back to the outline, at the top and at the bottom;
- mathjax/: the local copy of MathJax the pages typeset their formulas with.

The folder is self-contained (no request leaves it), so it can be opened from disk or
copied to any static web host. Each page names the charts and formulas it should show in
<meta> tags, which the browser check (tests/browser/check_site.mjs) reads.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "lib"))
import check_charts  # noqa: E402
from html_export import MATHJAX_DIR, check_math, export_html, notebook_title  # noqa: E402
from run_notebooks import cell_seconds  # noqa: E402

SKIP = {"TEMPLATE.ipynb"}
PRACTICE_DIR = "practice"

STYLE = """<style>
.tm-nav { display: flex; justify-content: space-between; align-items: center; gap: 1em;
  max-width: 1100px; margin: 0.6em auto; padding: 0.5em 1em; font: 15px/1.4 sans-serif;
  background: #f4f6f8; border: 1px solid #d8dee4; border-radius: 6px; }
.tm-nav a { color: #0b5cad; text-decoration: none; }
.tm-nav a:hover { text-decoration: underline; }
.tm-nav .tm-prev, .tm-nav .tm-next { flex: 1; }
.tm-nav .tm-next { text-align: right; }
.tm-nav .tm-up { flex: 0 0 auto; font-weight: bold; }
.jp-OutputArea-output svg, .jp-OutputArea-output img { max-width: 100%; height: auto; }
</style>"""


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "not timed"
    if s < 90:
        return f"about {max(1, round(s))} s"
    return f"about {round(s / 60)} min"


def first_sentence(nb) -> str:
    """The first sentence of the first paragraph after the title, as plain text."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for para in re.split(r"\n\s*\n", cell.source):
            p = para.strip()
            if p and not p.startswith("#"):
                p = re.sub(r"[`*_]", "", " ".join(p.split()))
                m = re.match(r"(.+?[.!?])(\s|$)", p)
                return m.group(1) if m else p
    return ""


class Page:
    def __init__(self, src: Path):
        self.src = src
        self.nb = nbformat.read(str(src), as_version=4)
        meta = self.nb.metadata.get("topicmod", {})
        self.name = src.stem
        self.html_name = f"{self.name}.html"
        self.title = notebook_title(self.nb, self.name)
        self.summary = meta.get("summary") or first_sentence(self.nb)
        self.device = meta.get("device", "CPU")
        times = cell_seconds(self.nb)
        self.seconds = sum(t for _, t in times) if times else None
        self.charts = check_charts.expected_charts(self.nb)
        self.formulas = sum(1 for c in self.nb.cells if c.cell_type == "markdown" and "$" in c.source)


def nav(prev: Page | None, nxt: Page | None, up: str = "index.html") -> str:
    def link(p: Page | None, cls: str, arrow: str) -> str:
        if p is None:
            return f'<span class="{cls}"></span>'
        text = f"&larr; {html.escape(p.title)}" if arrow == "prev" else f"{html.escape(p.title)} &rarr;"
        return f'<span class="{cls}"><a href="{p.html_name}" rel="{arrow}">{text}</a></span>'

    return (f'<nav class="tm-nav">{link(prev, "tm-prev", "prev")}'
            f'<span class="tm-up"><a href="{up}">Course outline</a></span>'
            f'{link(nxt, "tm-next", "next")}</nav>')


def page_head(p: Page) -> str:
    return (f'{STYLE}\n<meta name="topicmod-charts" content="{p.charts}">'
            f'\n<meta name="topicmod-formulas" content="{p.formulas}">')


def index_html(pages: list[Page], practice: dict[str, Page], source: str) -> str:
    rows = []
    for p in pages:
        pr = practice.get(p.name)
        pr_cell = (f'<a href="{PRACTICE_DIR}/{pr.html_name}">practice</a>' if pr else "&mdash;")
        rows.append(
            f'<tr><td><a href="{p.html_name}">{html.escape(p.title)}</a></td>'
            f"<td>{html.escape(p.summary)}</td><td class=\"num\">{fmt_seconds(p.seconds)}</td>"
            f"<td>{html.escape(p.device)}</td><td>{pr_cell}</td></tr>")
    if practice:
        practice_note = ("<p>The <b>practice edition</b> holds the same notebooks without outputs, "
                         "with the exercises' answers and some explanations left for you to work "
                         "out. Each exercise ends in a check cell that says whether your answer is "
                         "right and, if not, what is wrong. Download it from "
                         "<code>notebooks/practice/</code>, run it cell by cell, then compare with "
                         "the lesson page.</p>")
    else:
        practice_note = ("<p>The <b>practice edition</b> (the same notebooks with the answers taken "
                         "out, for working through on your own) is not published yet; it will be "
                         "linked from the last column.</p>")
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Topic modeling with NMF and SVD, in Rust</title>
<style>
body {{ font: 16px/1.5 sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1f2328; }}
h1 {{ font-size: 1.7em; margin-bottom: 0.2em; }}
table {{ border-collapse: collapse; width: 100%; margin: 1em 0; }}
th, td {{ text-align: left; vertical-align: top; padding: 0.45em 0.6em; border-bottom: 1px solid #d8dee4; }}
th {{ background: #f4f6f8; }}
td.num {{ white-space: nowrap; }}
a {{ color: #0b5cad; }}
footer {{ color: #59636e; font-size: 0.9em; margin-top: 2em; }}
</style></head>
<body>
<h1>Topic modeling with NMF and SVD, in Rust</h1>
<p>A course in computational linear algebra: from a bag of words built from four newsgroups
of the 20 Newsgroups corpus to topics found by the singular value decomposition and by
non-negative matrix factorization, first with library routines, then by gradient descent
written by hand, on the CPU and with PyTorch tensors, and finally with randomized methods
that scale. Every page below is a notebook executed in the Rust Jupyter kernel; read them in
order.</p>
<table>
<thead><tr><th>Notebook</th><th>What it teaches</th><th>Run time</th><th>Runs on</th><th>Practice</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
{practice_note}
<p>Run times are how long each notebook's cells took when it was last executed, on the
machine that executed it (for the committed notebooks, a 2-core machine without a GPU); the
first cell also compiles the notebook's code, so a second run is faster.</p>
<footer>Built {built} from {html.escape(source)}. Formulas are typeset by the copy of MathJax
in <code>{MATHJAX_DIR}/</code>; the pages need no network.</footer>
</body></html>
"""


def build(src_dir: Path, out: Path) -> list[str]:
    """Write the site into `out` (replacing it) and return the problems found in the
    exported pages (charts missing from a page, scripts from the network)."""
    paths = sorted(p for p in src_dir.glob("*.ipynb") if p.name not in SKIP)
    if not paths:
        return [f"no executed notebooks in {src_dir}"]
    pages = [Page(p) for p in paths]
    # The practice edition has no outputs, so executed copies (--from) may leave it out:
    # then the committed one is used.
    practice_dir = src_dir / PRACTICE_DIR
    if not practice_dir.is_dir():
        practice_dir = ROOT / "notebooks" / PRACTICE_DIR
    practice = {p.stem: Page(p) for p in sorted(practice_dir.glob("*.ipynb")) if p.name not in SKIP}
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    problems = []
    for i, p in enumerate(pages):
        prev = pages[i - 1] if i > 0 else None
        nxt = pages[i + 1] if i + 1 < len(pages) else None
        bar = nav(prev, nxt)
        target = tmp / p.html_name
        export_html(p.nb, target, head=page_head(p), top=bar, bottom=bar)
        problems += check_charts.check(p.src, target) + check_math(target)
        print(f"page {p.html_name}: {p.charts} chart(s), {fmt_seconds(p.seconds)}, {p.device}", flush=True)
    if practice:
        (tmp / PRACTICE_DIR).mkdir()
        shutil.copytree(tmp / MATHJAX_DIR, tmp / PRACTICE_DIR / MATHJAX_DIR)
        for p in practice.values():
            # A practice notebook usually comes without outputs: it shows what it holds.
            p.charts = check_charts.charts_in_outputs(p.nb)
            bar = nav(None, None, up="../index.html")
            target = tmp / PRACTICE_DIR / p.html_name
            export_html(p.nb, target, head=page_head(p), top=bar, bottom=bar)
            problems += check_math(target)
    try:
        source = str(src_dir.relative_to(ROOT))
    except ValueError:
        source = src_dir.name
    (tmp / "index.html").write_text(index_html(pages, practice, source), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    print(f"site: {len(pages)} pages and index.html in {out}", flush=True)
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", type=Path, default=ROOT / "notebooks",
                    help="folder of executed notebooks (default: notebooks/)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "site", help="default: build/site/")
    args = ap.parse_args(argv)
    problems = build(args.src.resolve(), args.out.resolve())
    for p in problems:
        print(f"site: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
