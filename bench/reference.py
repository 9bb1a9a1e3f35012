"""The reference side of `scripts/bench`: scikit-learn / SciPy / NumPy / PyTorch timings.

Runs every group in bench/groups/*.py in one process and writes
[{"name", "seconds", "reference"}, ...] as JSON to the file named by --json (or stdout).
"""
import argparse
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))

GROUPS = ["corpus", "text", "svd", "randomized", "nmf", "gradient_descent", "torch"]


def median_time(reps, fn):
    """Median wall time in seconds of `reps` calls of `fn`."""
    times = []
    for _ in range(max(1, reps)):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


class Ctx:
    """The lesson's data, built once and shared by every group."""

    def __init__(self):
        self._train = self._counts = self._tfidf = None

    @property
    def train(self):
        if self._train is None:
            import sklearn_corpus

            self._train = sklearn_corpus.lesson("train")
        return self._train

    @property
    def counts(self):
        if self._counts is None:
            from sklearn.feature_extraction.text import CountVectorizer

            self._counts = CountVectorizer(stop_words="english").fit_transform(self.train.data)
        return self._counts

    @property
    def tfidf(self):
        if self._tfidf is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._tfidf = TfidfVectorizer(stop_words="english").fit_transform(self.train.data)
        return self._tfidf

    median_time = staticmethod(median_time)


def load_group(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", os.path.join(HERE, "groups", f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--only")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    ctx = Ctx()
    rows = []
    for name in GROUPS:
        if only is not None and name not in only:
            continue
        print(f"[bench] reference: {name}...", file=sys.stderr, flush=True)
        before = len(rows)
        load_group(name).run(ctx, rows)
        for r in rows[before:]:
            print(f"[bench]   {r[0]:<45} {r[1]:>10.4f} s  ({r[2]})", file=sys.stderr, flush=True)
    out = [{"name": n, "seconds": s, "reference": ref} for n, s, ref in rows]
    text = json.dumps(out, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
