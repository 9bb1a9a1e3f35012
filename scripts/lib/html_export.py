#!/usr/bin/env python3
"""HTML export of an executed notebook that shows its formulas without a network.

nbconvert's pages load MathJax (which typesets the `$...$` formulas of the markdown
cells) from a CDN, so a page opened offline shows raw TeX. The pinned PyPI package
`jupyter-server-mathjax` ships MathJax 2.7 (the version nbconvert's template is written
for); `export_html` copies it once into a `mathjax/` folder beside the pages and points
every page at that copy with a relative URL, so the export folder can be opened, moved or
zipped as it is.

`check_math(html)` is what the test harness asks of every exported page: if the page loads
MathJax at all, it loads it from a local copy that exists.

Usage: html_export.py EXECUTED.ipynb OUT.html   (export one notebook)
       html_export.py --self-test               (scripts/test runs it)
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

MATHJAX_DIR = "mathjax"
# The package ships one combined configuration (TeX and MathML input, HTML-CSS output)
# and, to stay small, only the STIX-Web fonts, while MathJax looks for its TeX fonts by
# default (without them accents land in the wrong place). Web fonts do not work from disk
# either: Chromium refuses a file:// page's font requests (its origin is opaque), and
# before loading any web font MathJax 2 probes with a font at `about:blank`, which Chromium
# reports as a console error on every page. So our configuration file tells MathJax to set
# formulas in the fonts the system has (no web fonts): the same look from disk and from a
# web host, and a page with no console error. `Safe` keeps formulas from carrying links or
# styles of their own, as nbconvert's default does.
LOCAL_CONFIG_NAME = "local/topicmod"
LOCAL_CONFIG_FILE = f"config/{LOCAL_CONFIG_NAME}.js"  # inside the copy
LOCAL_CONFIG = f"""// Written by scripts/lib/html_export.py: set formulas in the system's fonts (no web fonts).
MathJax.Hub.Config({{
  "HTML-CSS": {{availableFonts: [], preferredFont: null, webFont: null, imageFont: null}}
}});
MathJax.Ajax.loadComplete("[MathJax]/{LOCAL_CONFIG_FILE}");
"""
MATHJAX_CONFIG = f"TeX-AMS-MML_HTMLorMML-full,{LOCAL_CONFIG_NAME},Safe"
STAMP = ".topicmod-mathjax-version"  # the package version the copy came from


@functools.lru_cache(maxsize=1)
def mathjax_source() -> tuple[Path, str] | None:
    """The static MathJax folder of the installed `jupyter-server-mathjax` and its version,
    or None, with a note on stderr, when the package is not installed (found without
    importing it, which would import Jupyter Server). Looked up once per process."""
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    static = Path(spec.origin).parent / "static" if spec and spec.origin else None
    if static is None or not (static / "MathJax.js").is_file():
        print("note: jupyter-server-mathjax is not installed; the HTML pages load MathJax "
              "from a CDN (formulas show as TeX offline). scripts/setup installs it.",
              file=sys.stderr)
        return None
    return static, importlib.metadata.version("jupyter-server-mathjax")


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


def local_mathjax(out_dir: Path) -> str | None:
    """Make sure `out_dir/mathjax/` holds the installed MathJax and return the pages' URL
    for it (relative to `out_dir`); None when MathJax is not installed. The copy is redone
    when it came from another package version or holds another configuration of ours; it is
    made in a temporary folder and renamed into place, so an interrupted copy never looks
    complete."""
    src = mathjax_source()
    if src is None:
        return None
    static, version = src
    dst = out_dir / MATHJAX_DIR
    if not (_read(dst / STAMP) == version and _read(dst / LOCAL_CONFIG_FILE) == LOCAL_CONFIG):
        tmp = out_dir / f".{MATHJAX_DIR}.tmp.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(static, tmp)
        (tmp / LOCAL_CONFIG_FILE).parent.mkdir(parents=True, exist_ok=True)
        (tmp / LOCAL_CONFIG_FILE).write_text(LOCAL_CONFIG)
        (tmp / STAMP).write_text(version)
        shutil.rmtree(dst, ignore_errors=True)
        tmp.replace(dst)
    return f"{MATHJAX_DIR}/MathJax.js?config={MATHJAX_CONFIG}"


# nbconvert's page loads require.js from a CDN for Jupyter widgets, which the lesson does not
# use; offline the request fails (a console error) and the page waits on it.
REQUIRE_JS = re.compile(r'<script src="https://[^"]*/require(\.min)?\.js"></script>\s*')


def notebook_title(nb, fallback: str) -> str:
    """The text of the notebook's first Markdown heading, or `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip().replace("`", "")
    return fallback


def export_html(nb, path: Path, *, head: str = "", top: str = "", bottom: str = "") -> None:
    """Write `nb` as an HTML page at `path` (atomically), titled by its first heading, with
    MathJax from a local copy beside it when the package is installed and no script from
    the network. `head`, `top` and `bottom` are HTML added to the page's head and to the
    start and end of its body (the website's styles and navigation)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()
    url = local_mathjax(path.parent)
    if url is not None:
        exporter.mathjax_url = url
    resources = {"metadata": {"name": notebook_title(nb, path.stem)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = REQUIRE_JS.sub("", body, count=1)
    if head:
        body = body.replace("</head>", head + "\n</head>", 1)
    if top:
        body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + top, body, count=1)
    if bottom:
        i = body.rfind("</body>")
        body = body[:i] + bottom + "\n" + body[i:]
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)


SCRIPT_SRC = re.compile(r"<script[^>]*\ssrc=\"([^\"]+)\"", re.IGNORECASE)
NETWORK = re.compile(r"^[a-z][a-z0-9+.-]*:|^//", re.IGNORECASE)


def check_math(html: Path) -> list[str]:
    """Problems with how the page at `html` loads its scripts: MathJax from a network
    address or from a local path that does not exist, any other script from the network."""
    text = html.read_text(encoding="utf-8")
    problems = []
    for src in SCRIPT_SRC.findall(text):
        if "mathjax" not in src.lower():
            continue
        path = src.split("?", 1)[0]
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", path, re.IGNORECASE):
            problems.append(f"{html.name} loads MathJax from the network ({path}): "
                            "formulas show as raw TeX offline")
        elif not (html.parent / path).is_file():
            problems.append(f"{html.name} loads MathJax from {path}, which is not there")
    for src in SCRIPT_SRC.findall(text):
        if "mathjax" not in src.lower() and NETWORK.match(src):
            problems.append(f"{html.name} loads a script from the network ({src}): "
                            "the page is not self-contained")
    return problems


def self_test() -> None:
    """Check `check_math` on pages written for the purpose, and `export_html` on a notebook
    with a formula: its page must load the local copy, which must hold our configuration."""
    import tempfile

    import nbformat

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)

        def page(name: str, src: str) -> Path:
            p = d / name
            p.write_text(f'<html><head><script src="{src}"></script></head></html>', encoding="utf-8")
            return p

        cdn = check_math(page("cdn.html", "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=x"))
        assert len(cdn) == 1 and "network" in cdn[0], cdn
        assert len(check_math(page("proto.html", "//cdn.example/MathJax.js"))) == 1
        missing = check_math(page("missing.html", "mathjax/MathJax.js?config=x"))
        assert len(missing) == 1 and "not there" in missing[0], missing
        other = check_math(page("other.html", "https://example.org/require.js"))
        assert len(other) == 1 and "self-contained" in other[0], other

        if mathjax_source() is None:
            sys.exit("self-test: jupyter-server-mathjax is not installed (scripts/setup installs it)")
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A `loss`\n\n$L(a, b) = a^2$")])
        out = d / "nb.html"
        export_html(nb, out, head="<style>/*h*/</style>", top="<nav>top</nav>", bottom="<nav>end</nav>")
        assert check_math(out) == [], check_math(out)
        text = out.read_text(encoding="utf-8")
        assert "<title>A loss</title>" in text, text[:400]
        assert "require" not in SCRIPT_SRC.pattern and not re.search(r"require(\.min)?\.js", text)
        assert text.index("<style>/*h*/</style>") < text.index("</head>")
        assert text.index("<nav>top</nav>") < text.index("A <code>loss</code>") < text.index("<nav>end</nav>")
        assert f'src="{MATHJAX_DIR}/MathJax.js?config={MATHJAX_CONFIG}"' in out.read_text(encoding="utf-8")
        assert (d / MATHJAX_DIR / LOCAL_CONFIG_FILE).read_text() == LOCAL_CONFIG
        assert not list(d.glob(f".{MATHJAX_DIR}.tmp.*"))
    print("html_export self-test: ok")


if __name__ == "__main__":
    import nbformat

    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    if len(sys.argv) != 3:
        sys.exit("usage: html_export.py EXECUTED.ipynb OUT.html | --self-test")
    out = Path(sys.argv[2])
    export_html(nbformat.read(sys.argv[1], as_version=4), out)
    issues = check_math(out)
    for p in issues:
        print(p, file=sys.stderr)
    sys.exit(1 if issues else 0)
