//! Helpers shared by the integration tests: gzip'd JSON fixtures, JSON -> Rust converters,
//! sparse-matrix comparisons and the lesson's corpus -> counts / tf-idf pipeline.
//!
//! Each test binary includes this with `mod common;` and uses only part of it.
#![allow(dead_code)]

pub mod vectorizer;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array2;
use serde_json::Value;
use topicmod::corpus::{lesson_corpus, Subset};
use topicmod::text::{CountVectorizer, StopWords, TfidfVectorizer};
use topicmod::Csr;

/// Reads and parses a gzip'd JSON fixture, `rel` relative to `tests/fixtures/`.
pub fn fixture_json(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "fixture {}: {e} (see tests/fixtures/make_*.py)",
            path.display()
        )
    });
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("fixture {}: not gzip text: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {}: not JSON: {e}", path.display()))
}

/// A JSON array of strings.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// A JSON array of non-negative integers.
pub fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// A JSON array of numbers.
pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// A JSON array of numbers or of Python float reprs in strings (exact round trip).
pub fn f64s_or_reprs(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) => s.parse().unwrap(),
            n => n.as_f64().unwrap(),
        })
        .collect()
}

/// A JSON array of equally long rows of numbers.
pub fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(f64s).collect();
    let (m, n) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((m, n), rows.concat()).unwrap()
}

/// A CSR matrix from the `shape`, `indptr` and `indices` fields of `v` and the values
/// in the field `data`.
pub fn csr(v: &Value, data: &str) -> Csr {
    let shape = usizes(&v["shape"]);
    Csr::new(
        (shape[0], shape[1]),
        usizes(&v["indptr"]),
        usizes(&v["indices"]),
        f64s(&v[data]),
    )
}

/// `max |a_i - b_i|`; the slices must be equally long.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Asserts that two CSR matrices have the same shape and the same stored positions, and
/// returns the largest difference between their stored values.
pub fn assert_same_csr_structure(ours: &Csr, theirs: &Csr, label: &str) -> f64 {
    assert_eq!(ours.shape(), theirs.shape(), "{label}: shape");
    assert_eq!(ours.is_csr(), theirs.is_csr(), "{label}: storage order");
    assert_eq!(
        ours.indptr().raw_storage(),
        theirs.indptr().raw_storage(),
        "{label}: indptr"
    );
    assert_eq!(ours.indices(), theirs.indices(), "{label}: indices");
    max_abs_diff(ours.data(), theirs.data())
}

/// The lesson's matrices as scikit-learn built them (tf-idf, counts, vocabulary), from the
/// committed fixture `tests/fixtures/nmf/lesson_matrices.json.gz`.
pub fn lesson_fixture() -> (Csr, Csr, Vec<String>) {
    let v = fixture_json("nmf/lesson_matrices.json.gz");
    (csr(&v, "tfidf"), csr(&v, "counts"), strings(&v["vocab"]))
}

/// The value of `TOPICMOD_DATA` (the 20 Newsgroups archive or a folder holding it).
/// Panics with instructions when it is unset, empty or names nothing: tests that need the
/// real corpus fail, they never skip.
pub fn lesson_data_path() -> PathBuf {
    match std::env::var_os("TOPICMOD_DATA") {
        Some(p) if !p.is_empty() => {
            let path = PathBuf::from(p);
            assert!(
                path.exists(),
                "TOPICMOD_DATA={} does not exist",
                path.display()
            );
            path
        }
        _ => panic!(
            "these tests need the 20 Newsgroups archive: set TOPICMOD_DATA to the path of \
             20news-bydate.tar.gz (or of a folder holding it)"
        ),
    }
}

/// The lesson's training posts, read by the crate's own corpus module from `TOPICMOD_DATA`.
pub fn lesson_train_docs() -> Vec<String> {
    lesson_data_path();
    lesson_corpus(Subset::Train)
        .expect("lesson corpus from TOPICMOD_DATA")
        .data
}

/// `CountVectorizer(stop_words = english)` of `docs`: the matrix and its vocabulary.
pub fn lesson_counts(docs: &[String]) -> (Csr, Vec<String>) {
    let mut cv = CountVectorizer::new().stop_words(StopWords::English);
    let x = cv.fit_transform(docs).expect("counts of the lesson corpus");
    let vocab = cv.get_feature_names_out().expect("vocabulary").to_vec();
    (x, vocab)
}

/// `TfidfVectorizer(stop_words = english)` of `docs`: the matrix and its vocabulary.
pub fn lesson_tfidf(docs: &[String]) -> (Csr, Vec<String>) {
    let mut tv = TfidfVectorizer::new().stop_words(StopWords::English);
    let x = tv.fit_transform(docs).expect("tf-idf of the lesson corpus");
    let vocab = tv.get_feature_names_out().expect("vocabulary").to_vec();
    (x, vocab)
}

/// A fresh scratch folder under the system temp dir, removed (with its contents) when
/// dropped. The name carries `tag`, the process id and a counter, so tests never share one.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "topicmod-corpus-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
