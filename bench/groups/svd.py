"""Reference rows for the `svd` group: scipy.linalg.svd(full_matrices=False) on the dense counts."""
import numpy as np
import scipy.linalg
import scipy.sparse


def run(ctx, rows):
    counts = ctx.counts
    dense = np.asarray(counts.todense() if scipy.sparse.issparse(counts) else counts, dtype=np.float64)
    # one repetition: the full SVD of the 2034 x 26576 matrix is slow
    seconds = ctx.median_time(1, lambda: scipy.linalg.svd(dense, full_matrices=False))
    rows.append(("full thin SVD (dense counts)", seconds, "scipy.linalg.svd(full_matrices=False)"))
