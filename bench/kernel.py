#!/usr/bin/env python3
"""The `kernel` group of `scripts/bench`: how long cells take in the project's kernel.

For each notebook named (default: 04-gradient-descent), the project's Rust kernel
(evcxr, started by scripts/kernel) runs
  1. the notebook's first cell alone, once, so that its build slot is warm;
  2. then, in a new kernel, as a repeat execution would: the whole notebook, followed by
     six one-line cells (define a number, print it, a small vector, and so on).
The rows are the time outside cells (the kernel's start, which for ours loads the
notebook's dependencies, and its shutdown), the first cell of that repeat run, and the
median and slowest of the one-line cells. The reference is Python's ipykernel running
the same six one-liners after `import numpy as np`, in the same run.

The lesson's targets are printed with the figures: a repeat execution spends at most
10 s in its first cell, and a simple cell returns in under 1 s. This is a benchmark,
not a test: it reports, it does not fail on a slow machine. It does fail when a cell
errs or prints something other than what it should.

    bench/kernel.py --ours FILE --ref FILE [--notebooks NAME[,NAME]]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "scripts"))
from run_notebooks import KERNEL, cell_seconds, client_for  # noqa: E402

FIRST_CELL_TARGET_S = 10.0
SIMPLE_CELL_TARGET_S = 1.0

# (Rust cell, Python cell, what both print). The names are unlikely to clash with a
# notebook's own variables; each defining cell makes evcxr infer a new variable's type.
ONE_LINERS = [
    ('let bench_a = 2 + 2;\nprintln!("{bench_a}");', "bench_a = 2 + 2\nprint(bench_a)", "4"),
    ('println!("{}", bench_a * 3);', "print(bench_a * 3)", "12"),
    ('let bench_b: Vec<f64> = vec![1.0, 2.0];\nprintln!("{:?}", bench_b);',
     "bench_b = [1.0, 2.0]\nprint(bench_b)", "[1.0, 2.0]"),
    ('println!("{}", bench_b.len() as i32 + bench_a);', "print(len(bench_b) + bench_a)", "6"),
    ('let bench_c = bench_a + 1;\nprintln!("{bench_c}");', "bench_c = bench_a + 1\nprint(bench_c)", "5"),
    ('println!("{}", bench_c);', "print(bench_c)", "5"),
]


def stdout_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def execute(cells: list[str], kernel: str, notebook: Path):
    """Runs `cells` in a fresh kernel, set up as scripts/test sets it up for `notebook`
    (its folder as working directory; for the project's kernel, that notebook's build slot
    and dependencies); returns the executed notebook."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = client_for(nb, kernel, notebook)
    t0 = time.monotonic()
    client.execute()
    nb.metadata["bench_wall_s"] = time.monotonic() - t0
    return nb


def startup_seconds(nb) -> float:
    """Wall time of the execution not spent in cells: starting the kernel (for ours, it
    loads the notebook's dependencies then) and shutting it down."""
    return nb.metadata["bench_wall_s"] - sum(t for _, t in cell_seconds(nb))


def one_liner_times(nb, first: int, lang: int) -> list[float]:
    """Seconds of the one-line cells from index `first` on, after checking what each printed."""
    times = dict(cell_seconds(nb))
    out = []
    for k, (cell, spec) in enumerate(zip(nb.cells[first:], ONE_LINERS)):
        got = stdout_of(cell).strip()
        if got != spec[2]:
            raise SystemExit(f"bench_kernel: one-line cell {k} ({spec[lang]!r}) printed {got!r}, "
                             f"expected {spec[2]!r}")
        out.append(times[first + k])
    return out


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def rows_for(label: str, nb, first: float, lines: list[float]) -> list[tuple[str, float]]:
    return [
        (f"kernel {label}: start and shutdown", startup_seconds(nb)),
        (f"kernel {label}: first cell, repeat run", first),
        (f"kernel {label}: one-line cell, median of {len(lines)}", statistics.median(lines)),
        (f"kernel {label}: one-line cell, slowest", max(lines)),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="JSON rows of the Rust kernel")
    ap.add_argument("--ref", required=True, help="JSON rows of the Python reference")
    ap.add_argument("--notebooks", default="04-gradient-descent",
                    help="comma-separated notebook names in notebooks/ (default 04-gradient-descent)")
    args = ap.parse_args(argv)

    from jupyter_client.kernelspec import KernelSpecManager
    if KERNEL not in KernelSpecManager().find_kernel_specs():
        raise SystemExit(f"bench_kernel: the Jupyter kernel {KERNEL!r} is not installed; "
                         "run scripts/setup (it builds evcxr_jupyter and installs the kernel)")
    paths = [ROOT / "notebooks" / f"{n.strip().removesuffix('.ipynb')}.ipynb" for n in args.notebooks.split(",")]
    for path in paths:
        if not path.is_file():
            raise SystemExit(f"bench_kernel: no notebook {path.relative_to(ROOT)}")
    ours, ref = [], []
    # (in notebooks/ like the lesson; ipykernel ignores which notebook scripts/kernel would serve)
    py_nb = execute(["import numpy as np"] + [p for _, p, _ in ONE_LINERS], "python3", paths[0])
    py_first = cell_seconds(py_nb)[0][1]
    py_lines = one_liner_times(py_nb, 1, 1)
    reference = "ipykernel (Python): import numpy, then the same one-liners"

    for path in paths:
        lesson = [c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code"]
        if not lesson:
            raise SystemExit(f"bench_kernel: {path.name} has no code cell")
        print(f"[bench] kernel: {path.stem}: first cell once (builds its slot if cold)...",
              file=sys.stderr, flush=True)
        warm = execute(lesson[:1], KERNEL, path)
        print(f"[bench]   warm-up first cell {cell_seconds(warm)[0][1]:.1f} s", file=sys.stderr, flush=True)
        print(f"[bench] kernel: {path.stem}: repeat run of its {len(lesson)} cells, then "
              f"{len(ONE_LINERS)} one-line cells...", file=sys.stderr, flush=True)
        nb = execute(lesson + [r for r, _, _ in ONE_LINERS], KERNEL, path)
        first = cell_seconds(nb)[0][1]
        lines = one_liner_times(nb, len(lesson), 0)
        ours += rows_for(path.stem, nb, first, lines)
        ref += [(n, s, reference) for n, s in rows_for(path.stem, py_nb, py_first, py_lines)]
        print(f"[bench]   one-line cells: {' '.join(f'{t:.2f}' for t in lines)} s", file=sys.stderr)
        print(f"[bench]   targets: first cell of a repeat run <= {FIRST_CELL_TARGET_S:.0f} s: "
              f"{verdict(first <= FIRST_CELL_TARGET_S)} ({first:.2f} s); one-line cells under "
              f"{SIMPLE_CELL_TARGET_S:.0f} s: {verdict(max(lines) < SIMPLE_CELL_TARGET_S)} "
              f"(slowest {max(lines):.2f} s)", file=sys.stderr, flush=True)

    with open(args.ours, "w") as f:
        json.dump([{"name": n, "seconds": s} for n, s in ours], f, indent=2)
    with open(args.ref, "w") as f:
        json.dump([{"name": n, "seconds": s, "reference": r} for n, s, r in ref], f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
