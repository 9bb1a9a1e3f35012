//! `text` against scikit-learn on real corpora: the lesson's posts (train and test
//! subsets) and two other newsgroups with headers kept, vectorized by the crate's own
//! pipeline (`topicmod::corpus`) and compared with fixtures from
//! tests/fixtures/make_text.py. Needs the corpus: set `TOPICMOD_DATA`.

use flate2::read::GzDecoder;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use topicmod::corpus::{lesson_corpus, FetchOptions, Remove, Subset};
use topicmod::text::{CountVectorizer, Df, Norm, StopWords, TfidfVectorizer};
use topicmod::Csr;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/text")
        .join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    GzDecoder::new(file).read_to_string(&mut text).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn require_data() {
    match std::env::var_os("TOPICMOD_DATA") {
        Some(p) if !p.is_empty() => {}
        _ => panic!(
            "these tests need the 20 Newsgroups archive: set TOPICMOD_DATA to the path of \
             20news-bydate.tar.gz (or of a folder holding it)"
        ),
    }
}

/// The documents of a fixture corpus, loaded by the crate's own corpus module.
fn corpus(name: &str) -> Vec<String> {
    require_data();
    let dataset = match name {
        "lesson_train" => lesson_corpus(Subset::Train),
        "lesson_test" => lesson_corpus(Subset::Test),
        "autos_med_train" => FetchOptions::new()
            .subset(Subset::Train)
            .categories(&["rec.autos", "sci.med"])
            .remove(Remove::NONE)
            .cache_dir(Path::new(env!("CARGO_TARGET_TMPDIR")).join("text-corpus-cache"))
            .download_if_missing(false)
            .fetch(),
        other => panic!("unknown fixture corpus {other}"),
    };
    dataset
        .unwrap_or_else(|e| panic!("loading {name} from TOPICMOD_DATA: {e}"))
        .data
}

/// SHA-256 of the documents, each followed by a NUL byte (as the fixture script computes it).
fn digest(docs: &[String]) -> String {
    let mut h = Sha256::new();
    for d in docs {
        h.update(d.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn df(v: &Value) -> Df {
    if v.is_u64() {
        Df::Count(v.as_u64().unwrap() as usize)
    } else {
        Df::Fraction(v.as_f64().unwrap())
    }
}

/// A vectorizer configured as the fixture case says.
enum Vectorizer {
    Count(CountVectorizer),
    Tfidf(TfidfVectorizer),
}

impl Vectorizer {
    fn from_params(p: &Value) -> Self {
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

    fn fit_transform(&mut self, docs: &[String]) -> Csr {
        match self {
            Vectorizer::Count(v) => v.fit_transform(docs).unwrap(),
            Vectorizer::Tfidf(v) => v.fit_transform(docs).unwrap(),
        }
    }

    fn fit(&mut self, docs: &[String]) {
        match self {
            Vectorizer::Count(v) => drop(v.fit(docs).unwrap()),
            Vectorizer::Tfidf(v) => drop(v.fit(docs).unwrap()),
        }
    }

    fn transform(&self, docs: &[String]) -> Csr {
        match self {
            Vectorizer::Count(v) => v.transform(docs).unwrap(),
            Vectorizer::Tfidf(v) => v.transform(docs).unwrap(),
        }
    }

    fn names(&self) -> Vec<String> {
        match self {
            Vectorizer::Count(v) => v.get_feature_names_out().unwrap().to_vec(),
            Vectorizer::Tfidf(v) => v.get_feature_names_out().unwrap().to_vec(),
        }
    }

    fn idf(&self) -> Option<Vec<f64>> {
        match self {
            Vectorizer::Count(_) => None,
            Vectorizer::Tfidf(v) => v.idf().ok().map(|a| a.to_vec()),
        }
    }
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    // Counts are JSON integers, tf-idf values Python reprs in strings.
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) => s.parse().unwrap(),
            n => n.as_f64().unwrap(),
        })
        .collect()
}

/// Compares our matrix and vocabulary with scikit-learn's: structure exactly, counts
/// exactly, tf-idf within 1e-12.
fn check_case(case: &Value, x: &Csr, names: &[String], idf: Option<Vec<f64>>, label: &str) {
    let tfidf = case["params"]["kind"] == "tfidf";
    assert_eq!(names, strings(&case["vocab"]), "{label}: vocabulary");
    assert_eq!([x.rows(), x.cols()].to_vec(), usizes(&case["shape"]), "{label}: shape");
    assert!(x.is_csr(), "{label}: not CSR");
    assert_eq!(x.indptr().raw_storage(), usizes(&case["indptr"]), "{label}: indptr");
    assert_eq!(x.indices(), usizes(&case["indices"]), "{label}: indices");
    let close = |a: f64, b: f64| if tfidf { (a - b).abs() <= 1e-12 } else { a == b };
    if !case["data"].is_null() {
        let expected = floats(&case["data"]);
        assert_eq!(x.data().len(), expected.len(), "{label}: nnz");
        for (k, (&a, &b)) in x.data().iter().zip(&expected).enumerate() {
            assert!(close(a, b), "{label}: entry {k}: ours {a:e}, scikit-learn {b:e}");
        }
    } else {
        let sums = floats(&case["row_sums"]);
        let sumsq = floats(&case["row_sumsq"]);
        for (i, row) in x.outer_iterator().enumerate() {
            let s: f64 = row.data().iter().sum();
            let q: f64 = row.data().iter().map(|v| v * v).sum();
            assert!((s - sums[i]).abs() <= 1e-12, "{label}: row {i} sum {s} vs {}", sums[i]);
            assert!((q - sumsq[i]).abs() <= 1e-12, "{label}: row {i} sum of squares");
        }
    }
    match (case.get("idf"), idf) {
        (Some(Value::Array(_)), Some(ours)) => {
            let theirs = floats(&case["idf"]);
            assert_eq!(ours.len(), theirs.len(), "{label}: idf length");
            for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert!((a - b).abs() <= 1e-12, "{label}: idf[{j}] {a} vs {b}");
            }
        }
        (Some(Value::Null), None) | (None, None) => {}
        (expected, ours) => panic!("{label}: idf {expected:?} vs ours {}", ours.is_some()),
    }
}

#[test]
fn corpora_match_scikit_learn() {
    let fx = fixture("corpora.json.gz");
    let mut docs: HashMap<String, Vec<String>> = HashMap::new();
    for (name, meta) in fx["corpora"].as_object().unwrap() {
        let d = corpus(name);
        assert_eq!(d.len() as u64, meta["n_docs"].as_u64().unwrap(), "{name}: number of documents");
        assert_eq!(
            digest(&d),
            meta["sha256"].as_str().unwrap(),
            "{name}: the corpus text differs from scikit-learn's (a corpus problem, not a text one)"
        );
        docs.insert(name.clone(), d);
    }
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    for (n, case) in cases.iter().enumerate() {
        let name = case["corpus"].as_str().unwrap();
        let label = format!("case {n} {name} {}", case["params"]);
        let mut v = Vectorizer::from_params(&case["params"]);
        let x = match case["fit_on"].as_str() {
            Some(fit_on) => {
                v.fit(&docs[fit_on]);
                v.transform(&docs[name])
            }
            None => v.fit_transform(&docs[name]),
        };
        check_case(case, &x, &v.names(), v.idf(), &label);
    }
}

/// The lesson's numbers, straight from `lesson_corpus`.
#[test]
fn lesson_bag_of_words() {
    let docs = corpus("lesson_train");
    let mut cv = CountVectorizer::new().stop_words(StopWords::English);
    let x = cv.fit_transform(&docs).unwrap();
    assert_eq!((x.rows(), x.cols()), (2034, 26576));
    assert_eq!(x.nnz(), 133_634);
    let vocab = cv.get_feature_names_out().unwrap();
    assert_eq!(
        vocab[7000..7020].join(" "),
        "cosmonauts cosmos cosponsored cost costa costar costing costly costruction costs cosy \
         cote couched couldn council councils counsel counselees counselor count"
    );
    assert_eq!(cv.vocabulary().unwrap()["cosmonauts"], 7000);
    // The same matrix through the dense view the notebooks use.
    let dense = x.to_dense();
    assert_eq!(dense.sum(), x.data().iter().sum::<f64>());
}
