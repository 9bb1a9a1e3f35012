#!/usr/bin/env python3
"""Execute the lesson notebooks headless in the project's Rust kernel.

Every notebooks/*.ipynb is found automatically (sorted by name), executed with
nbclient with the kernel's working directory set to notebooks/ (so that
`:dep topicmod = { path = ".." }` resolves), and written as an executed copy
(plus, with --html, an HTML page whose formulas are typeset by a copy of MathJax
in the output folder's mathjax/, so the pages read well offline) into the output
folder. The committed notebooks are only rewritten with --in-place.

With --practice it runs instead the practice editions (notebooks/practice/) that hold
exercises: there every exercise's check cell must answer the skeleton with "✗ not yet: ...",
while in the lesson notebooks every check cell must say ✓.

The last line printed is `notebooks: N passed, M failed`; the exit status is
non-zero when any notebook failed.
"""

from __future__ import annotations

import argparse
import re
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
import check_charts  # noqa: E402
from html_export import check_math, export_html  # noqa: E402

KERNEL = "topicmod-rust"
TIMEOUT_S = 1800  # per cell
STARTUP_TIMEOUT_S = 900  # the kernel loads the notebook's dependencies while it starts


def write_nb(nb, path: Path) -> None:
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, str(tmp))
    tmp.replace(path)


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# evcxr reports an error returned by `?` in a cell by printing it to stderr, without
# marking the cell as failed. So any stderr line in a code cell fails the notebook unless
# it is one of these known progress lines (cargo building dependencies in a first cell,
# the crate's corpus progress, libtorch's C++ warnings), or the cell is tagged
# `allow-stderr`.
BENIGN_STDERR = re.compile(
    r"^\s*$"
    r"|^\s*(Compiling|Finished|Building|Blocking|Updating|Locking|Adding|Downloaded|Downloading|Fresh|Checking)\b"
    r"|^topicmod kernel: "
    r"|^(downloading|downloaded) (the 20 Newsgroups corpus from )?\S+"
    r"|^parsing \S+\.\.\..*(posts in|failed)"
    r"|^\[W\d{4} [0-9:.]+ \S+\] Warning: "
)


def unexpected_stderr(nb) -> list[tuple[int, str]]:
    """(cell index, line) for every stderr line that is not known progress output."""
    bad = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "allow-stderr" in cell.get("metadata", {}).get("tags", []):
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                for line in ANSI.sub("", o.get("text", "")).replace("\r", "\n").splitlines():
                    if not BENIGN_STDERR.match(line):
                        bad.append((i, line))
    return bad


CHECK_PASSED = "✓"
CHECK_FAILED = "✗ not yet:"


def cell_text(cell) -> str:
    """Everything a code cell showed: its streams and the text and HTML of its displays."""
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        for mime in ("text/plain", "text/html"):
            parts.append("".join(o.get("data", {}).get(mime, "")))
    return "".join(parts)


def exercise_check_problems(nb) -> list[str]:
    """The exercises' check cells (tag `check`) must say ✓ in the full edition, where the
    answers are in place. In the practice edition, where skeletons stand for the answers,
    each must say what is wrong ("✗ not yet: ..."): so every check is seen to give feedback."""
    practice = nb.metadata.get("topicmod", {}).get("edition") == "practice"
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "check" not in cell.get("metadata", {}).get("tags", []):
            continue
        text = cell_text(cell)
        if practice and CHECK_FAILED not in text:
            problems.append(f"check cell {i} gave no '{CHECK_FAILED}' feedback on the practice skeleton")
        if not practice and (CHECK_PASSED not in text or CHECK_FAILED in text):
            problems.append(f"check cell {i} did not pass on the full edition's answer: {text.strip()[:300]!r}")
    return problems


def cell_seconds(nb) -> list[tuple[int, float]]:
    """(cell index, seconds) for every executed code cell, from the timestamps nbclient
    records (`iopub.execute_input` to `shell.execute_reply`)."""
    from datetime import datetime

    out = []
    for i, cell in enumerate(nb.cells):
        ex = cell.get("metadata", {}).get("execution", {})
        a, b = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if cell.cell_type == "code" and a and b:
            t = (datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00")))
            out.append((i, t.total_seconds()))
    return out


def timing_summary(nb) -> str:
    """One line: the first cell (it loads the crate), the median and the fastest of the rest,
    and the slowest cell with its index."""
    times = cell_seconds(nb)
    if not times:
        return "no cell timings"
    first = times[0][1]
    rest = sorted(t for _, t in times[1:])
    if not rest:
        return f"first cell {first:.1f} s"
    median = rest[len(rest) // 2]
    slow_i, slow_t = max(times[1:], key=lambda x: x[1])
    under_1s = sum(1 for t in rest if t < 1.0)
    return (f"first cell {first:.1f} s; other {len(rest)} cells: fastest {rest[0]:.2f} s, "
            f"median {median:.2f} s, {under_1s} under 1 s, slowest {slow_t:.1f} s (cell {slow_i})")


def show_failure(nb) -> None:
    """Print the failing cell's source, its stderr and its error (evcxr puts the
    compiler's diagnostics in the error's traceback)."""
    for i, cell in enumerate(nb.cells):
        outs = cell.get("outputs", [])
        errors = [o for o in outs if o.get("output_type") == "error"]
        if not errors:
            continue
        print(f"----- cell {i} -----\n{cell.source}\n----- output -----")
        for o in outs:
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                print(ANSI.sub("", o.get("text", "")).rstrip())
        for e in errors:
            print(f"{e.get('ename')}: {e.get('evalue')}")
            for line in e.get("traceback", []):
                print(ANSI.sub("", line))
        print("------------------", flush=True)


def client_for(nb, kernel: str, notebook: Path, timeout: int = TIMEOUT_S,
               startup_timeout: int = STARTUP_TIMEOUT_S) -> NotebookClient:
    """An nbclient that executes `nb` in `kernel` with notebook's folder as working
    directory (so `:dep topicmod = { path = ".." }` resolves) and records cell timings.
    It also names `notebook` in TOPICMOD_NOTEBOOK: scripts/kernel reads it when the kernel
    starts, to pick that notebook's build slot and load its `:dep` lines."""
    os.environ["TOPICMOD_NOTEBOOK"] = str(notebook)
    return NotebookClient(nb, timeout=timeout, startup_timeout=startup_timeout,
                          kernel_name=kernel, resources={"metadata": {"path": str(notebook.parent)}},
                          allow_errors=False, record_timing=True)


def run_one(src: Path, args) -> bool:
    nb = nbformat.read(str(src), as_version=4)
    client = client_for(nb, args.kernel, src, args.timeout, args.startup_timeout)
    t0 = time.monotonic()
    ok = True
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        ok = False
        print(f"FAILED {src.name}: {type(err).__name__}", flush=True)
        show_failure(nb)
        if not isinstance(err, CellExecutionError):
            print(err, flush=True)
    except Exception as err:  # kernel start-up problems and the like
        ok = False
        print(f"FAILED {src.name}: {type(err).__name__}: {err}", flush=True)
    wall = time.monotonic() - t0
    if ok:
        for i, line in unexpected_stderr(nb):
            ok = False
            print(f"FAILED {src.name}: cell {i} printed to stderr (an error returned by `?`?): {line}", flush=True)
        for p in exercise_check_problems(nb):
            ok = False
            print(f"FAILED {src.name}: {p}", flush=True)

    outputs = []
    if args.in_place and ok:
        write_nb(nb, src)
        outputs.append(src)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        dst = args.out / src.name
        write_nb(nb, dst)
        outputs.append(dst)
        if args.html:
            html = dst.with_suffix(".html")
            export_html(nb, html)
            outputs.append(html)
            problems = check_charts.check(dst, html) + check_math(html)
            for p in problems:
                print(f"FAILED {src.name}: {p}", flush=True)
            ok = ok and not problems
    status = "ok" if ok else "FAILED"
    if args.timings:
        print(f"       {src.name}: {timing_summary(nb)}", flush=True)
    print(f"{status:6} {src.name}  {wall:7.1f} s  -> {', '.join(str(o.relative_to(ROOT)) if o.is_relative_to(ROOT) else str(o) for o in outputs)}", flush=True)
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb, sorted")
    ap.add_argument("--out", type=Path, help="folder for the executed copies")
    ap.add_argument("--html", action="store_true", help="also export HTML pages (with a local MathJax) and check their charts and formulas")
    ap.add_argument("--in-place", action="store_true", help="rewrite the given notebooks with fresh outputs")
    ap.add_argument("--practice", action="store_true",
                    help="run the practice editions (notebooks/practice/) that hold exercises, instead of the lesson")
    ap.add_argument("--timings", action="store_true", help="print per-cell timing figures for each notebook")
    ap.add_argument("--kernel", default=KERNEL, help=f"kernel name (default {KERNEL})")
    ap.add_argument("--timeout", type=int, default=TIMEOUT_S, help=f"seconds per cell (default {TIMEOUT_S})")
    ap.add_argument("--startup-timeout", type=int, default=STARTUP_TIMEOUT_S,
                    help="seconds for the kernel to start (it may load the notebook's dependencies)")
    args = ap.parse_args(argv)
    if args.out:
        args.out = args.out.resolve()
    if args.notebooks:
        paths = [p.resolve() for p in args.notebooks]
    elif args.practice:
        paths = [p for p in sorted((ROOT / "notebooks" / "practice").glob("*.ipynb"))
                 if any("check" in c.get("metadata", {}).get("tags", [])
                        for c in nbformat.read(str(p), as_version=4).cells)]
    else:
        paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("no notebooks found")
        print("notebooks: 0 passed, 0 failed")
        return 1
    passed = failed = 0
    t0 = time.monotonic()
    for p in paths:
        print(f"--- {p.name}", flush=True)
        if run_one(p, args):
            passed += 1
        else:
            failed += 1
    print(f"notebooks total wall time {time.monotonic() - t0:.1f} s")
    print(f"notebooks: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
