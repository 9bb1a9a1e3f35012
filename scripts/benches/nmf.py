"""Bench rows: scikit-learn's NMF (coordinate descent, NNDSVD init) on the lesson's TF-IDF."""
from sklearn.decomposition import NMF


def run(ctx, rows):
    X = ctx.tfidf
    secs = ctx.median_time(5, lambda: NMF(n_components=5, init="nndsvd", random_state=1).fit_transform(X))
    rows.append(("NMF cd nndsvd k=5 (sparse tf-idf)", secs, "sklearn NMF(5, init='nndsvd')"))

