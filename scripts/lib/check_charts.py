#!/usr/bin/env python3
"""Check that an executed notebook's HTML export shows its charts.

A notebook declares how many charts it renders in its metadata:
    "metadata": {"topicmod": {"expects_charts": 3}, ...}
Without that key, a notebook whose code mentions `evcxr_figure` must show at
least one chart. A chart is an inline <svg> element in a cell output (plotters'
evcxr backend sends them as text/html; image/svg+xml outputs count too), and the
HTML export must carry at least that many charts more than the export of an empty
notebook does (the page template has a few icons of its own). In the export a chart
is either an inline <svg> element or, for image/svg+xml outputs, an <img> whose
source is a base64 SVG data URL (that is how nbconvert embeds them).

Usage: check_charts.py EXECUTED.ipynb [EXPORT.html]   (exit 1 on a problem)
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

import nbformat

SVG = re.compile(r"<svg[\s>]", re.IGNORECASE)
HTML_CHART = re.compile(r"<svg[\s>]|<img[^>]+src=\"data:image/svg\+xml", re.IGNORECASE)


def expected_charts(nb) -> int:
    meta = nb.metadata.get("topicmod", {})
    if "expects_charts" in meta:
        return int(meta["expects_charts"])
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return 1 if "evcxr_figure" in code else 0


def charts_in_outputs(nb) -> int:
    n = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime in ("text/html", "image/svg+xml"):
                text = data.get(mime, "")
                if isinstance(text, list):
                    text = "".join(text)
                n += len(SVG.findall(text))
    return n


@lru_cache(maxsize=1)
def template_svgs() -> int:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.v4.new_notebook())
    return len(HTML_CHART.findall(body))


def check(ipynb: Path, html: Path | None = None) -> list[str]:
    nb = nbformat.read(str(ipynb), as_version=4)
    want = expected_charts(nb)
    problems = []
    got = charts_in_outputs(nb)
    if got < want:
        problems.append(f"{ipynb.name}: expected {want} chart(s) in the outputs, found {got}")
    if html is not None and html.exists():
        in_html = len(HTML_CHART.findall(html.read_text(encoding="utf-8"))) - template_svgs()
        if in_html < want:
            problems.append(f"{html.name}: expected {want} chart(s) (inline <svg> or SVG image), found {in_html}")
    elif html is not None:
        problems.append(f"{html}: missing HTML export")
    return problems


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__)
        return 2
    problems = check(Path(argv[0]), Path(argv[1]) if len(argv) > 1 else None)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
