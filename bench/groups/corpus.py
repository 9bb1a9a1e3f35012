"""Reference rows for the `corpus` group (see bench/reference.py).

"corpus load (warm)": scikit-learn's fetch_20newsgroups with the lesson's arguments
once its zlib'd pickle cache exists (the first call builds it): unpickle both
subsets, strip headers/footers/quotes, keep four groups, shuffle.
"""
import sklearn_corpus


def run(ctx, rows):
    sklearn_corpus.lesson("train")  # builds the pickle cache if needed
    t = ctx.median_time(7, lambda: sklearn_corpus.lesson("train"))
    rows.append(("corpus load (warm)", t, "sklearn fetch_20newsgroups (warm cache)"))
