"""Bench rows: scikit-learn's NMF (coordinate descent, NNDSVD init) on the lesson's TF-IDF,
and its MiniBatchNMF (defaults: batches of 1024 rows, NNDSVDa init) on the lesson's counts."""
import warnings

import numpy as np
from sklearn.decomposition import NMF, MiniBatchNMF
from sklearn.exceptions import ConvergenceWarning


def run(ctx, rows):
    X = ctx.tfidf
    secs = ctx.median_time(5, lambda: NMF(n_components=5, init="nndsvd", random_state=1).fit_transform(X))
    rows.append(("NMF cd nndsvd k=5 (sparse tf-idf)", secs, "sklearn NMF(5, init='nndsvd')"))

    # float64 up front (as ours), so the fit does not time a conversion
    C = ctx.counts.astype(np.float64)
    with warnings.catch_warnings():
        # the defaults run all 200 passes on this matrix and warn so
        warnings.simplefilter("ignore", ConvergenceWarning)
        secs = ctx.median_time(5, lambda: MiniBatchNMF(n_components=5, random_state=1).fit_transform(C))
    rows.append(("MiniBatchNMF k=5 (sparse counts)", secs, "sklearn MiniBatchNMF(5, random_state=1)"))
