"""Reference rows for the `gradient_descent` group (see bench/reference.py).

The lesson's NumPy gradient descent on the dense TF-IDF matrix: 50 updates from the
lesson's start (d = 5, lam = 1e3, lr = 1e-2, mu = 1e-6, seed 0). The same time is the
reference for our dense and our sparse-aware rows.
"""
import numpy as np

STEPS, D, LAM, LR, MU = 50, 5, 1e3, 1e-2, 1e-6


def penalty(M, mu):
    return np.where(M >= mu, 0, np.min(M - mu, 0))


def grads(M, W, H):
    R = W @ H - M
    return R @ H.T + penalty(W, MU) * LAM, W.T @ R + penalty(H, MU) * LAM


def upd(M, W, H, lr):
    dW, dH = grads(M, W, H)
    W -= lr * dW
    H -= lr * dH


def run(ctx, rows):
    M = ctx.tfidf.toarray()
    m, n = M.shape
    np.random.seed(0)
    W0 = np.abs(np.random.normal(scale=0.01, size=(m, D)))
    H0 = np.abs(np.random.normal(scale=0.01, size=(D, n)))

    def fifty():
        W, H = W0.copy(), H0.copy()
        for _ in range(STEPS):
            upd(M, W, H, LR)

    t = ctx.median_time(1, fifty)
    rows.append(("50 dense GD updates", t, "NumPy dense"))
    rows.append(("50 sparse-aware GD updates", t, "NumPy dense (50 updates)"))
