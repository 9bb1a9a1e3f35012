"""Reference rows for the `text` group (see bench/reference.py)."""


def run(ctx, rows):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    docs = ctx.train.data
    CountVectorizer(stop_words="english").fit_transform(docs)
    secs = ctx.median_time(7, lambda: CountVectorizer(stop_words="english").fit_transform(docs))
    rows.append(("count vectorizing", secs, "sklearn CountVectorizer.fit_transform"))
    secs = ctx.median_time(7, lambda: TfidfVectorizer(stop_words="english").fit_transform(docs))
    rows.append(("tf-idf vectorizing", secs, "sklearn TfidfVectorizer.fit_transform"))
