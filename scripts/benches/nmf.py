"""Bench rows: scikit-learn's NMF (coordinate descent, NNDSVD init) on the lesson's TF-IDF."""
from sklearn.decomposition import NMF


def run(ctx, rows):
    X = ctx.tfidf
    secs = _median_time(ctx, 5, lambda: NMF(n_components=5, init="nndsvd", random_state=1).fit_transform(X))
    rows.append(("NMF cd nndsvd k=5 (sparse tf-idf)", secs, "sklearn NMF(5, init='nndsvd')"))


def _median_time(ctx, reps, fn):
    """The harness's median_time, whether it hangs on the context or on the main script."""
    timer = getattr(ctx, "median_time", None)
    if timer is None:
        import __main__

        timer = __main__.median_time
    return timer(reps, fn)
