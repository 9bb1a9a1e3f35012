//! The vectorizer cases of tests/fixtures/make_text.py and tests/differential/cases.py: a `CountVectorizer` or
//! `TfidfVectorizer` built from a case's parameters, and the comparison of its output with
//! scikit-learn's.

use serde_json::Value;
use topicmod::text::{CountVectorizer, Df, Norm, StopWords, TfidfVectorizer};
use topicmod::Csr;

use super::{f64s_or_reprs, strings, usizes};

/// `min_df` / `max_df`: an integer is a document count, a float (or a float written as
/// its Python repr, as the differential cases store them) a fraction of the documents.
pub fn df(v: &Value) -> Df {
    match v {
        Value::Number(k) if k.is_u64() => Df::Count(k.as_u64().unwrap() as usize),
        Value::String(s) => Df::Fraction(s.parse().unwrap_or_else(|_| panic!("not a float: {s}"))),
        other => Df::Fraction(other.as_f64().unwrap()),
    }
}

/// A vectorizer configured as the fixture case says.
pub enum Vectorizer {
    Count(CountVectorizer),
    Tfidf(TfidfVectorizer),
}

impl Vectorizer {
    pub fn from_params(p: &Value) -> Self {
        let mut cv = CountVectorizer::new();
        let mut tv = TfidfVectorizer::new();
        macro_rules! both {
            ($m:ident, $arg:expr) => {{
                cv = cv.$m($arg);
                tv = tv.$m($arg);
            }};
        }
        for (key, v) in p.as_object().unwrap() {
            match key.as_str() {
                "kind" => {}
                "stop_words" => both!(
                    stop_words,
                    match v {
                        Value::Null => StopWords::None,
                        Value::String(s) if s == "english" => StopWords::English,
                        list => StopWords::Custom(strings(list)),
                    }
                ),
                "min_df" => both!(min_df, df(v)),
                "max_df" => both!(max_df, df(v)),
                "max_features" => both!(max_features, v.as_u64().map(|k| k as usize)),
                "binary" => both!(binary, v.as_bool().unwrap()),
                "lowercase" => both!(lowercase, v.as_bool().unwrap()),
                "vocabulary" => both!(fixed_vocabulary, strings(v)),
                "norm" => {
                    tv = tv.norm(match v.as_str() {
                        None => Norm::None,
                        Some("l1") => Norm::L1,
                        Some("l2") => Norm::L2,
                        Some(other) => panic!("norm {other}"),
                    })
                }
                "use_idf" => tv = tv.use_idf(v.as_bool().unwrap()),
                "smooth_idf" => tv = tv.smooth_idf(v.as_bool().unwrap()),
                "sublinear_tf" => tv = tv.sublinear_tf(v.as_bool().unwrap()),
                other => panic!("unknown parameter {other}"),
            }
        }
        match p["kind"].as_str() {
            Some("count") => Vectorizer::Count(cv),
            Some("tfidf") => Vectorizer::Tfidf(tv),
            k => panic!("kind {k:?}"),
        }
    }

    pub fn fit_transform(&mut self, docs: &[String]) -> Csr {
        match self {
            Vectorizer::Count(v) => v.fit_transform(docs).unwrap(),
            Vectorizer::Tfidf(v) => v.fit_transform(docs).unwrap(),
        }
    }

    pub fn fit(&mut self, docs: &[String]) {
        match self {
            Vectorizer::Count(v) => drop(v.fit(docs).unwrap()),
            Vectorizer::Tfidf(v) => drop(v.fit(docs).unwrap()),
        }
    }

    pub fn transform(&self, docs: &[String]) -> Csr {
        match self {
            Vectorizer::Count(v) => v.transform(docs).unwrap(),
            Vectorizer::Tfidf(v) => v.transform(docs).unwrap(),
        }
    }

    pub fn names(&self) -> Vec<String> {
        match self {
            Vectorizer::Count(v) => v.get_feature_names_out().unwrap().to_vec(),
            Vectorizer::Tfidf(v) => v.get_feature_names_out().unwrap().to_vec(),
        }
    }

    pub fn idf(&self) -> Option<Vec<f64>> {
        match self {
            Vectorizer::Count(_) => None,
            Vectorizer::Tfidf(v) => v.idf().ok().map(|a| a.to_vec()),
        }
    }
}

/// Compares our matrix and vocabulary with scikit-learn's: structure exactly, counts
/// exactly, tf-idf within 1e-12.
pub fn check_case(case: &Value, x: &Csr, names: &[String], idf: Option<Vec<f64>>, label: &str) {
    let tfidf = case["params"]["kind"] == "tfidf";
    assert_eq!(names, strings(&case["vocab"]), "{label}: vocabulary");
    assert_eq!(
        [x.rows(), x.cols()].to_vec(),
        usizes(&case["shape"]),
        "{label}: shape"
    );
    assert!(x.is_csr(), "{label}: not CSR");
    assert_eq!(
        x.indptr().raw_storage(),
        usizes(&case["indptr"]),
        "{label}: indptr"
    );
    assert_eq!(x.indices(), usizes(&case["indices"]), "{label}: indices");
    let close = |a: f64, b: f64| {
        if tfidf {
            (a - b).abs() <= 1e-12
        } else {
            a == b
        }
    };
    if !case["data"].is_null() {
        let expected = f64s_or_reprs(&case["data"]);
        assert_eq!(x.data().len(), expected.len(), "{label}: nnz");
        for (k, (&a, &b)) in x.data().iter().zip(&expected).enumerate() {
            assert!(
                close(a, b),
                "{label}: entry {k}: ours {a:e}, scikit-learn {b:e}"
            );
        }
    } else {
        let sums = f64s_or_reprs(&case["row_sums"]);
        let sumsq = f64s_or_reprs(&case["row_sumsq"]);
        for (i, row) in x.outer_iterator().enumerate() {
            let s: f64 = row.data().iter().sum();
            let q: f64 = row.data().iter().map(|v| v * v).sum();
            assert!(
                (s - sums[i]).abs() <= 1e-12,
                "{label}: row {i} sum {s} vs {}",
                sums[i]
            );
            assert!(
                (q - sumsq[i]).abs() <= 1e-12,
                "{label}: row {i} sum of squares"
            );
        }
    }
    match (case.get("idf"), idf) {
        (Some(Value::Array(_)), Some(ours)) => {
            let theirs = f64s_or_reprs(&case["idf"]);
            assert_eq!(ours.len(), theirs.len(), "{label}: idf length");
            for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert!((a - b).abs() <= 1e-12, "{label}: idf[{j}] {a} vs {b}");
            }
        }
        (Some(Value::Null), None) | (None, None) => {}
        (expected, ours) => panic!("{label}: idf {expected:?} vs ours {}", ours.is_some()),
    }
}
