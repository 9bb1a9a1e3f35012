"""Bench rows: scikit-learn's randomized SVD of the lesson's TF-IDF matrix."""
from sklearn.utils.extmath import randomized_svd


def run(ctx, rows):
    X = ctx.tfidf
    secs = ctx.median_time(7, lambda: randomized_svd(X, 5))
    rows.append(("randomized SVD k=5 (sparse tf-idf)", secs, "sklearn randomized_svd"))

