"""Bench rows: scikit-learn's randomized SVD of the lesson's TF-IDF matrix."""
from sklearn.utils.extmath import randomized_svd


def run(ctx, rows):
    X = ctx.tfidf
    secs = _median_time(ctx, 7, lambda: randomized_svd(X, 5))
    rows.append(("randomized SVD k=5 (sparse tf-idf)", secs, "sklearn randomized_svd"))


def _median_time(ctx, reps, fn):
    """The harness's median_time, whether it hangs on the context or on the main script."""
    timer = getattr(ctx, "median_time", None)
    if timer is None:
        import __main__

        timer = __main__.median_time
    return timer(reps, fn)
