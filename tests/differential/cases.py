"""Random differential cases for tests/differential.rs: inputs drawn at random, run through
scikit-learn, written with scikit-learn's outputs.

    .venv/bin/python tests/differential/cases.py generate --seed S --n N --out FILE.json[.gz]

Half the cases (rounded up) are NMF fits, the rest text vectorizers, interleaved.

NMF cases: non-negative matrices of many shapes (1 to 30 rows and columns), dense or stored
sparse, with zero rows and columns, several value distributions and densities; every init
(None, random, nndsvd, nndsvda, nndsvdar), both solvers, the three named beta losses where
scikit-learn accepts them (coordinate descent only with Frobenius; Itakura-Saito only on a
matrix without zeros), penalties on W and H with any l1_ratio, tol, max_iter, shuffle and a
seed. Stored: W, H, reconstruction_err_, n_iter_, or the error scikit-learn raised.

Two measures keep iteration counts comparable across machines. Each stopping test compares
a ratio with tol (coordinate descent: violation / first violation; multiplicative updates:
loss decrease / initial loss, every 10 iterations). A case where one of those ratios lies
within 1e-6 (relative) of tol is drawn again, since rounding could flip the test; the
smallest distance is stored as `stop.margin`. For coordinate descent the first violation and
the gradients' size (sum of |X H^T| and |X^T W| in the first sweep) are stored too: the
crate treats a first violation below 4 k eps times that size as a start at the optimum and
stops at once, where scikit-learn may run a few sweeps of rounding noise (the noise-level
tie of tests/differential.rs).

Text cases: 1 to 12 documents of words from many scripts (Latin with accents, Greek with
final sigma, Turkish dotted and dotless I, combining marks, ligatures, digits of several
scripts, underscores, CJK, emoji, fullwidth forms) joined by ordinary and odd whitespace
and punctuation, and the parameters the crate's CountVectorizer / TfidfVectorizer have:
lowercase, stop_words (None, "english", a list), min_df / max_df (count or fraction),
max_features, binary, a fixed vocabulary, norm, use_idf, smooth_idf, sublinear_tf; some
cases fit on one set of documents and transform another. Stored: the vocabulary, the matrix
as CSR arrays, idf_, or the error.

With max_features, terms whose totals tie at the cut-off are chosen by NumPy's unstable
sort (which depends on the CPU); the crate keeps the alphabetically first. When the two
choices differ the case also stores `tie`: scikit-learn's output with the vocabulary fixed
to the alphabetical choice, which tests/differential.rs accepts as a tie.

Floats are written as Python reprs in strings so that Rust reads back the same doubles.
"""
import argparse
import gzip
import json
import os
import sys
import time
import warnings

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
import sklearn.decomposition._nmf as nmf_module
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils.extmath import safe_sparse_dot

EPS = np.finfo(np.float64).eps
# A stopping ratio this close (relative) to tol makes the case ill-conditioned: redraw.
MIN_STOP_MARGIN = 1e-6
# Coordinate descent's first violation over the crate's noise threshold (4 k eps times the
# gradients' size): at most NOISE_CLEAR is a start at the optimum beyond doubt; between
# NOISE_CLEAR and NOISE_REAL it may be noise on either side of the threshold (the crate's
# own rounding could put it on the other side, or sweeps of noise decide n_iter): redraw.
NOISE_CLEAR = 0.5
NOISE_REAL = 1e6
# Ill-conditioning probe: X is multiplied by (1 + PERTURBATION * N(0, 1)) entrywise and the
# refit must move W, H and the error by at most PERTURBED_RTOL (relative).
PERTURBATION = 1e-14
PERTURBED_RTOL = 1e-11
# See err_difference.
ERR_FLOOR = 1e-4
# An initial loss 2 D below this times S (see err_difference) is rounding noise.
INIT_LOSS_NOISE = 1e-12


def r(x):
    """A float as the string of its shortest round-trip repr."""
    return repr(float(x))


# ----------------------------------------------------------------------------------------
# NMF
# ----------------------------------------------------------------------------------------


class Recorder:
    """Wraps scikit-learn's NMF internals to see the numbers its stopping tests compare."""

    def __init__(self):
        self.violations = []
        self.losses = []
        self.scale = 0.0
        self.calls = 0

    def __enter__(self):
        self.orig_cd = nmf_module._update_coordinate_descent
        self.orig_bd = nmf_module._beta_divergence

        def cd(X, W, Ht, *args):
            if self.calls < 2:  # the first sweep: W, then H
                self.scale += float(np.abs(safe_sparse_dot(X, Ht)).sum())
            self.calls += 1
            v = self.orig_cd(X, W, Ht, *args)
            self.violations.append(float(v))
            return v

        def bd(*args, **kwargs):
            v = self.orig_bd(*args, **kwargs)
            self.losses.append(float(v))
            # 2 D before the square root (the last call's is stored: a sparse Frobenius
            # loss that rounds below zero makes reconstruction_err_ NaN).
            self.squared = 2.0 * float(self.orig_bd(*args, **dict(kwargs, square_root=False)))
            return v

        nmf_module._update_coordinate_descent = cd
        nmf_module._beta_divergence = bd
        return self

    def __exit__(self, *exc):
        nmf_module._update_coordinate_descent = self.orig_cd
        nmf_module._beta_divergence = self.orig_bd


def draw_matrix(rng, positive):
    """A random non-negative m x n matrix; `positive`: no zeros at all."""
    small = rng.random() < 0.3
    m = int(rng.integers(1, 8 if small else 31))
    n = int(rng.integers(1, 8 if small else 31))
    if rng.random() < 0.15:
        m = max(m, 2)
        n = max(n, 2)
    kind = rng.choice(["uniform", "exponential", "counts", "lognormal"])
    if kind == "uniform":
        x = rng.random((m, n))
    elif kind == "exponential":
        x = rng.exponential(1.0, (m, n))
    elif kind == "counts":
        x = rng.poisson(rng.choice([0.5, 2.0, 6.0]), (m, n)).astype(float)
    else:
        x = rng.lognormal(0.0, 1.5, (m, n))
    x *= 10.0 ** rng.uniform(-3, 3)
    if positive:
        return x + 10.0 ** rng.uniform(-3, 0) * x.max() + 1e-3
    density = rng.choice([1.0, 0.7, 0.3, 0.1])
    x[rng.random((m, n)) > density] = 0.0
    if m > 1 and rng.random() < 0.4:
        x[rng.random(m) < 0.25] = 0.0
    if n > 1 and rng.random() < 0.4:
        x[:, rng.random(n) < 0.25] = 0.0
    if not x.any():
        x[rng.integers(m), rng.integers(n)] = 1.0 + rng.random()
    return x


def draw_nmf_params(rng, m, n, positive):
    if rng.random() < 0.08:
        # Likely a start at the optimum: NNDSVD with one component is the best rank-1 fit.
        return {"n_components": 1, "init": "nndsvd", "solver": "cd", "beta_loss": "frobenius",
                "tol": float(rng.choice([1e-3, 1e-4, 1e-5])), "max_iter": int(rng.choice([30, 200, 1000])),
                "alpha_W": 0.0, "alpha_H": "same", "l1_ratio": 0.0, "shuffle": bool(rng.random() < 0.3),
                "random_state": int(rng.integers(0, 2**31))}
    solver = "cd" if rng.random() < 0.5 else "mu"
    beta = "frobenius"
    if solver == "mu":
        beta = rng.choice(
            ["frobenius", "kullback-leibler", "itakura-saito"] if positive else ["frobenius", "kullback-leibler"]
        )
    limit = min(m, n)
    k = int(rng.integers(1, limit + 1)) if rng.random() < 0.85 else int(rng.integers(1, limit + 4))
    if rng.random() < 0.15:
        k = 1
    p = {
        "n_components": k,
        "init": [None, "random", "nndsvd", "nndsvda", "nndsvdar"][int(rng.integers(5))],
        "solver": solver,
        "beta_loss": str(beta),
        "tol": float(rng.choice([1e-2, 1e-3, 1e-4, 1e-5, 1e-6] + ([0.0] if solver == "mu" else []))),
        "max_iter": int(rng.choice([1, 2, 7, 30, 100, 200, 400])),
        "alpha_W": 0.0,
        "alpha_H": "same",
        "l1_ratio": 0.0,
        "shuffle": bool(solver == "cd" and rng.random() < 0.3),
        "random_state": int(rng.integers(0, 2**31)),
    }
    if rng.random() < 0.5:
        p["alpha_W"] = float(10.0 ** rng.uniform(-4, -0.5))
        p["l1_ratio"] = float(rng.choice([0.0, 1.0, rng.random()]))
        if rng.random() < 0.5:
            p["alpha_H"] = float(rng.choice([0.0, 10.0 ** rng.uniform(-4, -0.5)]))
    elif rng.random() < 0.2:
        p["alpha_H"] = float(10.0 ** rng.uniform(-4, -0.5))
        p["l1_ratio"] = float(rng.random())
    return p


def stop_margins(p, rec, n_iter, loss_scale):
    """The smallest relative distance of a stopping ratio from tol, and the CD noise data."""
    tol = p["tol"]
    out = {"margin": None}
    if p["solver"] == "cd":
        v = rec.violations
        sweeps = [v[2 * i] + v[2 * i + 1] for i in range(len(v) // 2)]
        assert len(sweeps) == n_iter, (len(sweeps), n_iter)
        first = sweeps[0]
        out["violation_init"] = r(first)
        out["gradient_scale"] = r(rec.scale)
        threshold = 4.0 * p["n_components"] * EPS * rec.scale
        out["noise_start"] = bool(first <= threshold)
        if threshold > 0 and NOISE_CLEAR < first / threshold < NOISE_REAL:
            return None
        if first > 0 and not out["noise_start"] and tol > 0:
            out["margin"] = min(abs(s / first - tol) / tol for s in sweeps)
    elif tol > 0:
        losses = rec.losses[:-1]  # the last one is reconstruction_err_
        assert len(losses) == 1 + n_iter // 10, (len(losses), n_iter)
        init = losses[0]
        if not init * init > INIT_LOSS_NOISE * loss_scale:
            # The initial loss is rounding noise (NaN where a sparse Frobenius loss rounds
            # below zero): the stopping ratios divide by it, and the noise decides n_iter.
            return None
        if init > 0 and len(losses) > 1:
            ratios = [(a - b) / init for a, b in zip(losses, losses[1:])]
            out["margin"] = min(abs(q - tol) / tol for q in ratios)
    if out["margin"] is not None and out["margin"] < MIN_STOP_MARGIN:
        return None
    return out


def amplifies_rounding(x, sparse, p, w, h, model, rng):
    """Whether the fit turns rounding-sized changes of X into visible changes of the result:
    two refits on X times (1 + 1e-14 noise) must stay within PERTURBED_RTOL of the first fit
    (relative to each matrix's largest entry) and take as many iterations. Near-degenerate
    problems (k close to min(m, n), long unconverged runs) fail this: there another BLAS
    kernel's rounding alone moves scikit-learn to another local solution."""
    for _ in range(2):
        xp = x * (1.0 + PERTURBATION * rng.standard_normal(x.shape))
        other = NMF(**p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w2 = other.fit_transform(sp.csr_array(xp) if sparse else xp)
        if other.n_iter_ != model.n_iter_:
            return True
        for a, b in ((w2, w), (other.components_, h)):
            scale = np.abs(b).max()
            if np.abs(a - b).max() > PERTURBED_RTOL * (scale if scale > 0 else 1.0):
                return True
        if err_difference(other.reconstruction_err_, model.reconstruction_err_, x, p["beta_loss"]) > PERTURBED_RTOL:
            return True
    return False


def svd_start_not_unique(x, p):
    """Whether an NNDSVD start (nndsvd, nndsvda, nndsvdar, or init=None, which picks nndsvda
    when k <= min(m, n)) comes from singular vectors that X does not determine: k beyond
    X's numerical rank (the extra pairs are any basis of the null space), or two of the
    first k + 1 singular values equal to a relative 1e-6 (any rotation of their pairs is
    as good). Which basis an SVD returns then depends on rounding alone, and so does the
    fit that starts from it."""
    k = p["n_components"]
    init = p["init"]
    if init is None:
        init = "nndsvda" if k <= min(x.shape) else "random"
    if not init.startswith("nndsvd"):
        return False
    s = np.linalg.svd(x, compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return False
    rank = int((s > s[0] * max(x.shape) * EPS).sum())
    if k > rank:
        return True
    top = s[: min(k + 1, rank)]
    return bool(np.any(np.abs(np.diff(top)) <= 1e-6 * top[:-1]))


def err_difference(a, b, x, beta_loss):
    """How far two reconstruction errors sqrt(2 D) lie apart, as tests/differential.rs
    measures it: |a^2 - b^2| / max(b^2, ERR_FLOOR * S), with S the size of D's terms
    (sum of x^2 for Frobenius, sum of x for Kullback-Leibler, the number of entries for
    Itakura-Saito). Below ERR_FLOOR * S the error is mostly rounding noise of the loss's
    sum (sparse Frobenius input computes it as |X|^2 + tr(W^T W H H^T) - 2 tr(W^T X H^T))."""
    return abs(a * a - b * b) / max(b * b, ERR_FLOOR * loss_scale(x, beta_loss), 1e-300)


def loss_scale(x, beta_loss):
    """The size S of the terms summed in 2 D (see err_difference)."""
    return {"frobenius": (x * x).sum(), "kullback-leibler": x.sum(), "itakura-saito": x.size}[beta_loss]


def nmf_case(rng):
    """One NMF case; redraws ill-conditioned ones. Returns (case, redraws)."""
    redraws = 0
    while True:
        positive = rng.random() < 0.25
        x = draw_matrix(rng, positive)
        m, n = x.shape
        p = draw_nmf_params(rng, m, n, positive)
        sparse = bool(rng.random() < 0.4)
        xs = sp.csr_array(x)
        model = NMF(**p)
        case = {
            "kind": "nmf",
            "shape": [m, n],
            "sparse": sparse,
            "X": {"indptr": xs.indptr.tolist(), "indices": xs.indices.tolist(), "data": [r(v) for v in xs.data]},
            "params": {key: (r(v) if isinstance(v, float) else v) for key, v in p.items()},
        }
        try:
            with Recorder() as rec, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = model.fit_transform(xs if sparse else x)
        except ValueError as e:
            case["expected"] = {"error": f"ValueError: {e}"}
            return case, redraws
        stop = stop_margins(p, rec, model.n_iter_, loss_scale(x, p["beta_loss"]))
        h = model.components_
        if stop is None or not (np.all(np.isfinite(w)) and np.all(np.isfinite(h))):
            redraws += 1
            continue
        if amplifies_rounding(x, sparse, p, w, h, model, rng) or svd_start_not_unique(x, p):
            redraws += 1
            continue
        case["stop"] = stop
        case["expected"] = {
            "W": [r(v) for v in w.ravel()],
            "H": [r(v) for v in h.ravel()],
            "err": r(model.reconstruction_err_),
            "err_squared": r(rec.squared),
            "n_iter": int(model.n_iter_),
        }
        return case, redraws


# ----------------------------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------------------------

WORDS = {
    "latin": ["apple", "Apple", "APPLE", "banana", "cherry", "data", "Data", "the", "and", "of", "is",
              "a", "x", "NASA", "space", "Space", "café", "CAFÉ", "résumé", "naïve", "Ærø", "ÿ", "µ",
              "don't", "e-mail", "O'Neil", "U.S.A.", "Þorn", "ðe"],
    "digits": ["2023", "3.14", "42nd", "3d", "x86_64", "b2b", "99", "007", "x²", "10¹⁰", "½", "Ⅻ",
               "ⅫⅫ", "①②", "٣٤", "١٢٣", "१२३", "๑๒", "mixed٣"],
    "underscore": ["snake_case", "__init__", "_x", "a_b", "_", "__", "x_", "_1", "A_B"],
    "combining": ["cafe\u0301", "man\u0303ana", "mañana", "a\u0308b", "e\u0301\u0301", "n\u0303",
                  "Ö", "O\u0308", "\u0301ab"],
    "ligature": ["ﬁne", "ﬂow", "ﬃ", "Ǆemal", "ǅemal", "ǆemal", "ẞIG", "Straße", "STRASSE", "Æon",
                 "ĳssel", "Ĳ"],
    "turkish": ["İstanbul", "ISTANBUL", "istanbul", "ıi", "İi", "DİŞ", "dış", "İ", "Iı", "KIZ", "kız"],
    "greek": ["ΟΔΟΣ", "ΣΟΦΟΣ", "σοφος", "σοφοσ", "λόγος", "ΛΌΓΟΣ", "ΑΣ'Β", "Σ", "ΣΣ", "αβγ",
              "ΑΣ1", "ΑΣ_", "ἈΣ", "ΣΑΣ", "ΌΣ"],
    "cjk": ["東京", "日本語", "中文", "한국어", "テキスト", "北京市", "ｶﾀｶﾅ"],
    "emoji": ["😀", "😀😀", "👍🏽", "🇫🇷", "a😀b", "ok👍ok", "❤️", "x🙂y🙂", "🙂🙂"],
    "other": ["Москва", "москва", "ЁЖ", "ёж", "עברית", "العربية", "ℌ𝔢𝔩𝔩𝔬", "ＡＢＣ", "ｆｕｌｌ", "Ꭰꭰ",
              "ǈj", "ªº", "Ⓐⓑ"],
}
ALL_WORDS = [w for ws in WORDS.values() for w in ws]
# Characters for made-up tokens, a few from each class.
CHARS = list("abcxyzAZ09_éÉßİıΣσςαΑ") + ["\u0301", "\u0308", "ﬁ", "Ǆ", "ǅ", "٣", "²", "東", "😀",
                                          "\u200d", "\u00ad", "Ж", "ж", "ℌ", "Ａ", "ⓐ"]
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\u2028", "\u0085",
              "\x0b", "\x0c", "\u1680", "\u202f", "\u200b", ", ", ". ", "! ", " - ", "; ", "'", "-",
              "/", "—", "…", "\u200d"]


def draw_doc(rng, pool):
    tokens = []
    for _ in range(int(rng.integers(0, 16))):
        u = rng.random()
        if u < 0.75:
            tokens.append(pool[int(rng.integers(len(pool)))])
        else:
            tokens.append("".join(CHARS[int(i)] for i in rng.integers(0, len(CHARS), int(rng.integers(1, 6)))))
    out = []
    for t in tokens:
        out.append(t)
        out.append(SEPARATORS[int(rng.integers(len(SEPARATORS)))])
    if out and rng.random() < 0.5:
        out.pop()
    if rng.random() < 0.2:
        out.insert(0, SEPARATORS[int(rng.integers(len(SEPARATORS)))])
    return "".join(out)


def draw_docs(rng, pool, lo, hi):
    return [draw_doc(rng, pool) for _ in range(int(rng.integers(lo, hi + 1)))]


def draw_text_params(rng, pool):
    p = {"kind": "tfidf" if rng.random() < 0.5 else "count"}
    if rng.random() < 0.3:
        p["lowercase"] = False
    u = rng.random()
    if u < 0.2:
        p["stop_words"] = "english"
    elif u < 0.4:
        p["stop_words"] = sorted({pool[int(i)] if rng.random() < 0.5 else pool[int(i)].lower()
                                  for i in rng.integers(0, len(pool), int(rng.integers(1, 6)))})
    if rng.random() < 0.15:
        # A fixed vocabulary: pool words (lowercased or not) and made-up terms, no duplicates.
        terms = {pool[int(i)].lower() if rng.random() < 0.7 else pool[int(i)]
                 for i in rng.integers(0, len(pool), int(rng.integers(1, 10)))}
        if rng.random() < 0.3:
            terms.add("zz_unused")
        p["vocabulary"] = [t for t in rng.permutation(sorted(terms)).tolist()]
    else:
        if rng.random() < 0.35:
            p["min_df"] = int(rng.integers(1, 4)) if rng.random() < 0.5 else r(rng.uniform(0.0, 0.6))
        if rng.random() < 0.35:
            p["max_df"] = int(rng.integers(1, 8)) if rng.random() < 0.5 else r(rng.uniform(0.2, 1.0))
        if rng.random() < 0.35:
            p["max_features"] = int(rng.integers(1, 12))
    if rng.random() < 0.2:
        p["binary"] = True
    if p["kind"] == "tfidf":
        if rng.random() < 0.4:
            p["norm"] = [None, "l1", "l2"][int(rng.integers(3))]
        if rng.random() < 0.25:
            p["use_idf"] = False
        if rng.random() < 0.25:
            p["smooth_idf"] = False
        if rng.random() < 0.3:
            p["sublinear_tf"] = True
    return p


def sk_kwargs(p):
    kw = {k: v for k, v in p.items() if k != "kind"}
    for key in ("min_df", "max_df"):
        if isinstance(kw.get(key), str):
            kw[key] = float(kw[key])
    return kw


def vectorize(p, fit_docs, transform_docs):
    """scikit-learn's output for the parameters, as stored in a case."""
    cls = TfidfVectorizer if p["kind"] == "tfidf" else CountVectorizer
    vec = cls(**sk_kwargs(p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if transform_docs is None:
            x = vec.fit_transform(fit_docs)
        else:
            vec.fit(fit_docs)
            x = vec.transform(transform_docs)
    x = sp.csr_array(x)
    x.sort_indices()
    out = {
        "vocab": vec.get_feature_names_out().tolist(),
        "shape": list(x.shape),
        "indptr": x.indptr.tolist(),
        "indices": x.indices.tolist(),
    }
    if p["kind"] == "count":
        out["data"] = [int(v) for v in x.data]
        out["idf"] = None
    else:
        out["data"] = [r(v) for v in x.data]
        out["idf"] = [r(v) for v in vec.idf_] if vec.use_idf else None
    return out


def alphabetical_choice(p, fit_docs):
    """With max_features cutting through terms of equal total: (the crate's choice, the terms
    ranked strictly above the cut-off, the tied group); None when there is no tie."""
    k = p.get("max_features")
    if k is None:
        return None
    probe = {key: v for key, v in sk_kwargs(p).items()
             if key in ("lowercase", "stop_words", "min_df", "max_df", "binary")}
    cv = CountVectorizer(**probe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = cv.fit_transform(fit_docs)
    if p.get("binary"):
        x.data[:] = 1
    totals = np.asarray(x.sum(axis=0)).ravel()
    terms = cv.get_feature_names_out().tolist()
    if len(terms) <= k:
        return None
    cut = np.sort(totals)[::-1][k - 1]
    above = sorted(t for t, s in zip(terms, totals) if s > cut)
    tied = sorted(t for t, s in zip(terms, totals) if s == cut)
    if len(above) + len(tied) <= k:
        return None
    return sorted(above + tied[: k - len(above)]), above, tied


def text_case(rng):
    pool_size = int(rng.integers(4, 30))
    classes = list(WORDS)
    chosen = rng.choice(classes, size=int(rng.integers(1, len(classes) + 1)), replace=False)
    words = [w for c in chosen for w in WORDS[str(c)]]
    pool = [words[int(i)] for i in rng.integers(0, len(words), pool_size)]
    fit_docs = draw_docs(rng, pool, 1, 12)
    transform_docs = draw_docs(rng, pool, 1, 6) if rng.random() < 0.25 else None
    p = draw_text_params(rng, pool)
    case = {"kind": "text", "params": p, "fit_docs": fit_docs, "transform_docs": transform_docs}
    try:
        expected = vectorize(p, fit_docs, transform_docs)
    except ValueError as e:
        case["expected"] = {"error": f"ValueError: {e}"}
        return case
    case["expected"] = expected
    choice = alphabetical_choice(p, fit_docs)
    if choice is not None:
        alpha, above, tied = choice
        theirs = set(expected["vocab"])
        # scikit-learn's choice must keep every term above the cut-off and take as many
        # tied terms as the alphabetical choice does; anything else is not a tie.
        assert set(above) <= theirs and len(theirs & set(tied)) == len(alpha) - len(above), p
        if expected["vocab"] != alpha:
            fixed = {key: v for key, v in p.items() if key not in ("min_df", "max_df", "max_features")}
            fixed["vocabulary"] = alpha
            tie = vectorize(fixed, fit_docs, transform_docs)
            case["tie"] = tie
    return case


# ----------------------------------------------------------------------------------------


def generate(seed, n):
    rng = np.random.default_rng(seed)
    cases, redraws, errors = [], 0, 0
    for i in range(n):
        if i % 2 == 0:
            case, extra = nmf_case(rng)
            redraws += extra
        else:
            case = text_case(rng)
        case["id"] = f"{case['kind']}-{seed}-{i}"
        errors += "error" in case["expected"]
        cases.append(case)
    info = {
        "seed": seed,
        "n": n,
        "redrawn_ill_conditioned": redraws,
        "expected_errors": errors,
        "versions": {"python": sys.version.split()[0], "sklearn": sklearn.__version__,
                     "numpy": np.__version__, "scipy": scipy.__version__},
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }
    return {"generator": info, "cases": cases}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="draw N cases and write them with scikit-learn's outputs")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--n", type=int, default=100)
    g.add_argument("--out", required=True)
    args = ap.parse_args()
    start = time.time()
    doc = generate(args.seed, args.n)
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    if args.out.endswith(".gz"):
        # No file name or time in the header: the same cases give the same bytes.
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(text)
    else:
        with open(tmp, "wb") as f:
            f.write(text)
    os.replace(tmp, args.out)
    info = doc["generator"]
    print(f"{args.n} cases (seed {args.seed}; {info['expected_errors']} expected errors, "
          f"{info['redrawn_ill_conditioned']} ill-conditioned NMF draws replaced) -> {args.out} "
          f"({os.path.getsize(args.out) / 1e3:.0f} kB, {time.time() - start:.1f} s)")


if __name__ == "__main__":
    main()
