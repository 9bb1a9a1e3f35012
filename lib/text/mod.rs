//! Bag-of-words and TF-IDF matrices, the same as scikit-learn's.
//!
//! [`CountVectorizer`] turns documents into a sparse document-term matrix of token
//! counts; [`TfidfVectorizer`] reweighs those counts with [`TfidfTransformer`]. Both
//! reproduce scikit-learn 1.9's defaults: Python's `str.lower()`, tokens matching
//! `(?u)\b\w\w+\b` (see [`tokens`]), a vocabulary sorted by code point, optional stop
//! words, document-frequency pruning (`min_df`, `max_df`) and a `max_features` cap.
//!
//! ```
//! use topicmod::text::{CountVectorizer, StopWords};
//! let docs = ["The cat sat.", "The cat and the dog!"];
//! let mut cv = CountVectorizer::new().stop_words(StopWords::English);
//! let x = cv.fit_transform(&docs).unwrap();
//! assert_eq!(cv.get_feature_names_out().unwrap(), ["cat", "dog", "sat"]);
//! assert_eq!(x.to_dense(), ndarray::array![[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]);
//! ```
//!
//! This file is the estimators' API; the counting itself (token ids, parallel chunks,
//! pruning, CSR assembly) is in `count.rs`, tokenizing in `tokenize.rs`, hashing in
//! `hashing.rs`.
//!
//! Settings are builder setters. Those that store their argument as it is come from
//! the crate's `field_setters!` macro; the few written by hand have one-line
//! bodies (one statement, then `self`) of two kinds: converting the argument before storing it
//! (`min_df`/`max_df` take anything `Into<Df>`, `fixed_vocabulary` any iterator of
//! strings), or handing it to the estimator inside ([`TfidfVectorizer`] to its
//! [`CountVectorizer`] and [`TfidfTransformer`], [`HashingVectorizer`] to its analyzer).

mod count;
mod hashing;
mod interner;
mod stop_words;
mod tokenize;

pub use hashing::{murmurhash3_32, HashingVectorizer};
pub use stop_words::ENGLISH_STOP_WORDS;
pub use tokenize::{for_each_token, is_word_char, python_lower, tokens};

use crate::{Csr, Error, Result};
use count::Fitted;
use ndarray::Array1;
use std::borrow::Cow;
use std::collections::HashMap;

/// Which tokens to drop before counting.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum StopWords {
    /// Keep every token (scikit-learn's `stop_words=None`, the default).
    #[default]
    None,
    /// scikit-learn's built-in list, [`ENGLISH_STOP_WORDS`] (`stop_words='english'`).
    English,
    /// A custom list. Tokens are compared after lower-casing, the list as given.
    Custom(Vec<String>),
}

impl StopWords {
    /// The words this setting removes.
    pub fn words(&self) -> Vec<&str> {
        match self {
            StopWords::None => Vec::new(),
            StopWords::English => ENGLISH_STOP_WORDS.to_vec(),
            StopWords::Custom(list) => list.iter().map(String::as_str).collect(),
        }
    }
}

/// A document-frequency bound: an absolute number of documents, or a fraction of them.
///
/// scikit-learn tells these apart by the Python type (`min_df=2` vs `min_df=0.5`);
/// here the variant says it. A fraction `f` of `n` documents means `f * n` (not rounded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Df {
    /// At least 1 document.
    Count(usize),
    /// In `[0, 1]`.
    Fraction(f64),
}

impl From<usize> for Df {
    /// `2` means [`Df::Count(2)`](Df::Count), as `min_df=2` does in Python.
    fn from(n: usize) -> Self {
        Df::Count(n)
    }
}

impl From<f64> for Df {
    /// `0.5` means [`Df::Fraction(0.5)`](Df::Fraction), as `max_df=0.5` does in Python.
    fn from(f: f64) -> Self {
        Df::Fraction(f)
    }
}

impl Df {
    fn validate(self, name: &'static str) -> Result<()> {
        match self {
            Df::Count(0) => Err(Error::param(
                name,
                "a document count must be at least 1 (use Df::Fraction(0.0) for no bound)",
            )),
            Df::Fraction(f) if !(0.0..=1.0).contains(&f) => Err(Error::param(
                name,
                format!("a fraction of documents must lie in [0, 1], got {f}"),
            )),
            _ => Ok(()),
        }
    }

    /// The bound as a number of documents out of `n_docs`.
    fn documents(self, n_docs: usize) -> f64 {
        match self {
            Df::Count(c) => c as f64,
            Df::Fraction(f) => f * n_docs as f64,
        }
    }
}

/// Row normalization of [`TfidfTransformer`] and [`HashingVectorizer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Norm {
    /// Divide each row by its Euclidean norm (the default).
    #[default]
    L2,
    /// Divide each row by the sum of its absolute values.
    L1,
    /// Leave rows as they are.
    None,
}

/// The documents as `&str`s. The vectorizers' public methods take any `&[S]` with
/// `S: AsRef<str>` and hand this to their non-generic bodies, so that the tokenizing and
/// counting is compiled once, in this crate, and not again (less optimized) in every
/// program or notebook cell that calls them with its own `S`.
fn str_slices<S: AsRef<str>>(docs: &[S]) -> Vec<&str> {
    docs.iter().map(AsRef::as_ref).collect()
}

/// Converts documents to a sparse matrix of token counts (scikit-learn's `CountVectorizer`).
///
/// Row `i`, column `j` counts how often term `j` occurs in document `i`. Defaults:
/// lower-casing on, no stop words, `min_df = Count(1)`, `max_df = Fraction(1.0)`, no
/// `max_features`, not binary. Columns are the vocabulary sorted by code point.
///
/// `max_features = Some(k)` keeps the `k` terms with the largest total counts; where terms
/// tie at the cut-off we keep the alphabetically first ones (scikit-learn's choice there
/// depends on an unstable sort).
///
/// Large inputs (over 256 KiB of text) are tokenized on one thread per core (at most 8)
/// and merged; the result is the same whatever the number of threads. Hence the `Sync`
/// bound on the documents (`String` and `&str` qualify).
///
/// ```
/// use topicmod::text::CountVectorizer;
/// let docs = ["apple banana apple", "banana cherry", "banana date"];
/// let mut cv = CountVectorizer::new().min_df(2); // terms in at least 2 documents
/// let x = cv.fit_transform(&docs).unwrap();
/// assert_eq!(cv.get_feature_names_out().unwrap(), ["banana"]);
/// let y = cv.transform(&["Banana split, banana!"]).unwrap();
/// assert_eq!(y.to_dense(), ndarray::array![[2.0]]);
/// # assert_eq!(x.nnz(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct CountVectorizer {
    lowercase: bool,
    stop_words: StopWords,
    min_df: Df,
    max_df: Df,
    max_features: Option<usize>,
    binary: bool,
    fixed_vocabulary: Option<Vec<String>>,
    /// Counting threads; `None` = one per core (the result does not depend on it).
    threads: Option<usize>,
    fitted: Option<Fitted>,
}

impl Default for CountVectorizer {
    fn default() -> Self {
        Self::new()
    }
}

impl CountVectorizer {
    /// A vectorizer with scikit-learn's defaults.
    pub fn new() -> Self {
        CountVectorizer {
            lowercase: true,
            stop_words: StopWords::None,
            min_df: Df::Count(1),
            max_df: Df::Fraction(1.0),
            max_features: None,
            binary: false,
            fixed_vocabulary: None,
            threads: None,
            fitted: None,
        }
    }

    field_setters! {
        /// Lower-case documents before tokenizing (default `true`).
        lowercase: bool,
        /// Tokens to drop (default [`StopWords::None`]).
        stop_words: StopWords,
        /// Keep only the `k` most frequent terms (by total count over the corpus).
        max_features: Option<usize>,
        /// Record presence (1) instead of counts.
        binary: bool,
    }

    /// Drop terms found in fewer documents than this (default `Df::Count(1)`).
    pub fn min_df(mut self, min_df: impl Into<Df>) -> Self {
        self.min_df = min_df.into();
        self
    }

    /// Drop terms found in more documents than this (default `Df::Fraction(1.0)`).
    pub fn max_df(mut self, max_df: impl Into<Df>) -> Self {
        self.max_df = max_df.into();
        self
    }

    /// Use these terms, in this order, as the columns instead of learning a vocabulary
    /// (scikit-learn's `vocabulary=` parameter). `min_df`, `max_df` and `max_features`
    /// are then ignored, and `transform` works without `fit`.
    pub fn fixed_vocabulary<I, T>(mut self, terms: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.fixed_vocabulary = Some(terms.into_iter().map(Into::into).collect());
        self
    }

    /// Threads for counting: the crate's one policy (`TOPICMOD_NUM_THREADS`, else one per
    /// core, at most 8) unless a test set its own.
    fn threads(&self) -> usize {
        self.threads.unwrap_or_else(crate::threads::max_threads)
    }

    fn validate(&self) -> Result<()> {
        self.min_df.validate("min_df")?;
        self.max_df.validate("max_df")?;
        if self.max_features == Some(0) {
            return Err(Error::param("max_features", "must be at least 1 (or None)"));
        }
        Ok(())
    }

    /// Learns the vocabulary of `docs`.
    pub fn fit<S: AsRef<str> + Sync>(&mut self, docs: &[S]) -> Result<&mut Self> {
        self.fit_transform(docs)?;
        Ok(self)
    }

    /// Learns the vocabulary of `docs` and returns their count matrix
    /// (`docs.len()` x vocabulary size, CSR with sorted column indices).
    pub fn fit_transform<S: AsRef<str> + Sync>(&mut self, docs: &[S]) -> Result<Csr> {
        self.fit_transform_strs(&str_slices(docs))
    }

    fn fit_transform_strs(&mut self, docs: &[&str]) -> Result<Csr> {
        self.validate()?;
        let (x, fitted) = match &self.fixed_vocabulary {
            Some(terms) => {
                let fitted = Fitted::from_terms(terms.clone(), &self.stop_words)?;
                (count::count(self, &fitted, docs)?, fitted)
            }
            None => count::learn(self, docs)?,
        };
        self.fitted = Some(fitted);
        Ok(x)
    }

    fn fitted(&self) -> Result<Cow<'_, Fitted>> {
        match (&self.fitted, &self.fixed_vocabulary) {
            (Some(f), _) => Ok(Cow::Borrowed(f)),
            (None, Some(terms)) => Ok(Cow::Owned(Fitted::from_terms(
                terms.clone(),
                &self.stop_words,
            )?)),
            (None, None) => Err(Error::NotFitted("CountVectorizer")),
        }
    }

    /// Counts the learned terms in `docs`; tokens outside the vocabulary are ignored.
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<Csr> {
        self.transform_strs(&str_slices(docs))
    }

    fn transform_strs(&self, docs: &[&str]) -> Result<Csr> {
        count::count(self, &*self.fitted()?, docs)
    }

    /// The terms in column order.
    pub fn get_feature_names_out(&self) -> Result<&[String]> {
        match (&self.fitted, &self.fixed_vocabulary) {
            (Some(f), _) => Ok(&f.terms),
            (None, Some(terms)) => {
                // Report a bad fixed vocabulary the same way `fit` would.
                Fitted::from_terms(terms.clone(), &StopWords::None)?;
                Ok(terms)
            }
            (None, None) => Err(Error::NotFitted("CountVectorizer")),
        }
    }

    /// Term -> column map (scikit-learn's `vocabulary_`). Requires `fit`.
    pub fn vocabulary(&self) -> Result<&HashMap<String, usize>> {
        let f = self
            .fitted
            .as_ref()
            .ok_or(Error::NotFitted("CountVectorizer"))?;
        Ok(f.vocabulary.get_or_init(|| {
            f.terms
                .iter()
                .enumerate()
                .map(|(j, t)| (t.clone(), j))
                .collect()
        }))
    }

    /// The tokens of `doc` that would be counted, in order: lower-cased (if enabled),
    /// tokenized and stripped of stop words (scikit-learn's `build_analyzer()(doc)`).
    pub fn analyze(&self, doc: &str) -> Vec<String> {
        let text = if self.lowercase {
            python_lower(doc)
        } else {
            Cow::Borrowed(doc)
        };
        let stops = self.stop_words.words();
        let mut out = Vec::new();
        for_each_token(&text, |t| {
            if !stops.contains(&t) {
                out.push(t.to_string());
            }
        });
        out
    }
}

/// Scales one row's stored values to unit norm (nothing for `Norm::None` or a zero row),
/// summing in index order as scikit-learn's row normalizers do.
fn normalize_row(row: &mut [f64], norm: Norm) {
    let scale = match norm {
        Norm::None => 0.0,
        Norm::L2 => row.iter().fold(0.0, |s, v| s + v * v).sqrt(),
        Norm::L1 => row.iter().fold(0.0, |s, v| s + v.abs()),
    };
    if scale != 0.0 {
        row.iter_mut().for_each(|v| *v /= scale);
    }
}

/// Reweighs a count matrix by inverse document frequency (scikit-learn's `TfidfTransformer`).
///
/// With `n` documents and `df(t)` the number of rows where column `t` is stored:
/// `idf(t) = ln((1 + n) / (1 + df(t))) + 1` with `smooth_idf` (default), else
/// `ln(n / df(t)) + 1`. Each entry becomes `tf * idf(t)`, where `tf` is the count or,
/// with `sublinear_tf`, `1 + ln(count)`; rows are then scaled to unit norm (`L2` by
/// default). All-zero rows stay zero.
#[derive(Debug, Clone)]
pub struct TfidfTransformer {
    norm: Norm,
    use_idf: bool,
    smooth_idf: bool,
    sublinear_tf: bool,
    idf: Option<Array1<f64>>,
    n_features: Option<usize>,
}

impl Default for TfidfTransformer {
    fn default() -> Self {
        Self::new()
    }
}

impl TfidfTransformer {
    /// A transformer with scikit-learn's defaults (`L2`, idf on, smoothed, linear tf).
    pub fn new() -> Self {
        TfidfTransformer {
            norm: Norm::L2,
            use_idf: true,
            smooth_idf: true,
            sublinear_tf: false,
            idf: None,
            n_features: None,
        }
    }

    field_setters! {
        /// Row normalization (default [`Norm::L2`]).
        norm: Norm,
        /// Multiply by the idf (default `true`).
        use_idf: bool,
        /// Add one to document counts and to `n`, as if an extra document held every term
        /// once (default `true`).
        smooth_idf: bool,
        /// Use `1 + ln(tf)` instead of `tf` (default `false`).
        sublinear_tf: bool,
    }

    /// Learns the idf vector from a count matrix (documents x terms).
    pub fn fit(&mut self, counts: &Csr) -> Result<&mut Self> {
        let x = csr_view(counts);
        let (n_samples, n_features) = x.shape();
        if x.data().iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(
                "the count matrix has NaN or infinite entries".into(),
            ));
        }
        self.idf = if self.use_idf {
            let mut df = vec![0usize; n_features];
            for &j in x.indices() {
                df[j] += 1;
            }
            let smooth = if self.smooth_idf { 1.0 } else { 0.0 };
            let n = n_samples as f64 + smooth;
            Some(
                df.iter()
                    .map(|&d| (n / (d as f64 + smooth)).ln() + 1.0)
                    .collect(),
            )
        } else {
            None
        };
        self.n_features = Some(n_features);
        Ok(self)
    }

    /// The tf-idf matrix of `counts`, with the idf learned by `fit`.
    pub fn transform(&self, counts: &Csr) -> Result<Csr> {
        let n_features = self
            .n_features
            .ok_or(Error::NotFitted("TfidfTransformer"))?;
        if counts.cols() != n_features {
            return Err(Error::ShapeMismatch(format!(
                "the matrix has {} columns but the transformer was fitted on {n_features}",
                counts.cols()
            )));
        }
        let shape = counts.shape();
        let (indptr, indices, mut data) = csr_view(counts).into_owned().into_raw_storage();
        for i in 0..shape.0 {
            let (a, b) = (indptr[i], indptr[i + 1]);
            let row = &mut data[a..b];
            if self.sublinear_tf {
                row.iter_mut().for_each(|v| *v = v.ln() + 1.0);
            }
            if let Some(idf) = &self.idf {
                for (v, &j) in row.iter_mut().zip(&indices[a..b]) {
                    *v *= idf[j];
                }
            }
            // An infinite weight cannot be normalized (scikit-learn's normalizer refuses it
            // too). It comes from an idf of ln(n / 0) + 1, or from the log of a stored zero.
            if self.norm != Norm::None && row.iter().any(|v| !v.is_finite()) {
                return Err(Error::InvalidInput(format!(
                    "row {i} has an infinite tf-idf weight, which cannot be normalized: with \
                     smooth_idf(false), a term that no document seen by fit contains has an \
                     infinite idf (use smooth_idf(true), or Norm::None to keep the infinity)"
                )));
            }
            normalize_row(row, self.norm);
        }
        Csr::try_new(shape, indptr, indices, data)
            .map_err(|(_, _, _, e)| Error::InvalidInput(format!("malformed CSR matrix: {e}")))
    }

    /// `fit` then `transform` on the same matrix.
    pub fn fit_transform(&mut self, counts: &Csr) -> Result<Csr> {
        self.fit(counts)?;
        self.transform(counts)
    }

    /// The learned idf vector (one entry per column). Errors before `fit` or when
    /// `use_idf` is off.
    pub fn idf(&self) -> Result<&Array1<f64>> {
        if !self.use_idf {
            return Err(Error::param(
                "use_idf",
                "no idf vector is learned when use_idf is false",
            ));
        }
        self.idf
            .as_ref()
            .ok_or(Error::NotFitted("TfidfTransformer"))
    }
}

/// `m` as CSR (a CSC input is converted).
fn csr_view(m: &Csr) -> Cow<'_, Csr> {
    if m.is_csr() {
        Cow::Borrowed(m)
    } else {
        Cow::Owned(m.to_csr())
    }
}

/// [`CountVectorizer`] followed by [`TfidfTransformer`] (scikit-learn's `TfidfVectorizer`).
///
/// ```
/// use topicmod::text::TfidfVectorizer;
/// let mut tv = TfidfVectorizer::new();
/// let x = tv.fit_transform(&["apple apple banana", "banana cherry"]).unwrap();
/// let row0 = x.outer_view(0).unwrap();
/// let norm: f64 = row0.iter().map(|(_, v)| v * v).sum();
/// assert!((norm - 1.0).abs() < 1e-12);
/// // idf = ln(3 / 2) + 1 for "apple", ln(3 / 3) + 1 = 1 for "banana".
/// assert!((tv.idf().unwrap()[0] - (1.5f64.ln() + 1.0)).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TfidfVectorizer {
    counts: CountVectorizer,
    tfidf: TfidfTransformer,
}

impl TfidfVectorizer {
    /// A vectorizer with scikit-learn's defaults.
    pub fn new() -> Self {
        TfidfVectorizer {
            counts: CountVectorizer::new(),
            tfidf: TfidfTransformer::new(),
        }
    }

    /// See [`CountVectorizer::lowercase`].
    pub fn lowercase(mut self, yes: bool) -> Self {
        self.counts = self.counts.lowercase(yes);
        self
    }

    /// See [`CountVectorizer::stop_words`].
    pub fn stop_words(mut self, stop_words: StopWords) -> Self {
        self.counts = self.counts.stop_words(stop_words);
        self
    }

    /// See [`CountVectorizer::min_df`].
    pub fn min_df(mut self, min_df: impl Into<Df>) -> Self {
        self.counts = self.counts.min_df(min_df);
        self
    }

    /// See [`CountVectorizer::max_df`].
    pub fn max_df(mut self, max_df: impl Into<Df>) -> Self {
        self.counts = self.counts.max_df(max_df);
        self
    }

    /// See [`CountVectorizer::max_features`].
    pub fn max_features(mut self, k: Option<usize>) -> Self {
        self.counts = self.counts.max_features(k);
        self
    }

    /// See [`CountVectorizer::binary`] (tf becomes 0/1).
    pub fn binary(mut self, yes: bool) -> Self {
        self.counts = self.counts.binary(yes);
        self
    }

    /// See [`CountVectorizer::fixed_vocabulary`].
    pub fn fixed_vocabulary<I, T>(mut self, terms: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.counts = self.counts.fixed_vocabulary(terms);
        self
    }

    /// See [`TfidfTransformer::norm`].
    pub fn norm(mut self, norm: Norm) -> Self {
        self.tfidf = self.tfidf.norm(norm);
        self
    }

    /// See [`TfidfTransformer::use_idf`].
    pub fn use_idf(mut self, yes: bool) -> Self {
        self.tfidf = self.tfidf.use_idf(yes);
        self
    }

    /// See [`TfidfTransformer::smooth_idf`].
    pub fn smooth_idf(mut self, yes: bool) -> Self {
        self.tfidf = self.tfidf.smooth_idf(yes);
        self
    }

    /// See [`TfidfTransformer::sublinear_tf`].
    pub fn sublinear_tf(mut self, yes: bool) -> Self {
        self.tfidf = self.tfidf.sublinear_tf(yes);
        self
    }

    /// Learns vocabulary and idf from `docs`.
    pub fn fit<S: AsRef<str> + Sync>(&mut self, docs: &[S]) -> Result<&mut Self> {
        self.fit_transform(docs)?;
        Ok(self)
    }

    /// Learns vocabulary and idf from `docs` and returns their tf-idf matrix.
    pub fn fit_transform<S: AsRef<str> + Sync>(&mut self, docs: &[S]) -> Result<Csr> {
        let counts = self.counts.fit_transform_strs(&str_slices(docs))?;
        self.tfidf.fit(&counts)?;
        self.tfidf.transform(&counts)
    }

    /// The tf-idf matrix of `docs` with the learned vocabulary and idf.
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<Csr> {
        if self.tfidf.n_features.is_none() {
            return Err(Error::NotFitted("TfidfVectorizer"));
        }
        let counts = self.counts.transform_strs(&str_slices(docs))?;
        self.tfidf.transform(&counts)
    }

    /// The terms in column order.
    pub fn get_feature_names_out(&self) -> Result<&[String]> {
        self.counts.get_feature_names_out()
    }

    /// Term -> column map.
    pub fn vocabulary(&self) -> Result<&HashMap<String, usize>> {
        self.counts.vocabulary()
    }

    /// The learned idf vector.
    pub fn idf(&self) -> Result<&Array1<f64>> {
        self.tfidf.idf()
    }

    /// The count vectorizer inside.
    pub fn count_vectorizer(&self) -> &CountVectorizer {
        &self.counts
    }

    /// See [`CountVectorizer::analyze`].
    pub fn analyze(&self, doc: &str) -> Vec<String> {
        self.counts.analyze(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(x: &Csr) -> Vec<Vec<f64>> {
        x.to_dense().outer_iter().map(|r| r.to_vec()).collect()
    }

    #[test]
    fn counts_and_vocabulary_order() {
        let docs = ["b a_ b", "A_ zz Zz é1 éa", ""];
        let mut cv = CountVectorizer::new();
        let x = cv.fit_transform(&docs).unwrap();
        assert_eq!(
            cv.get_feature_names_out().unwrap(),
            ["a_", "zz", "é1", "éa"]
        );
        assert_eq!(
            dense(&x),
            vec![
                vec![1.0, 0.0, 0.0, 0.0],
                vec![1.0, 2.0, 1.0, 1.0],
                vec![0.0, 0.0, 0.0, 0.0]
            ]
        );
        assert_eq!(cv.vocabulary().unwrap()["zz"], 1);
        let y = cv.transform(&["ZZ unknown a_ a_"]).unwrap();
        assert_eq!(dense(&y), vec![vec![2.0, 1.0, 0.0, 0.0]]);
        let empty: [&str; 0] = [];
        assert_eq!(cv.transform(&empty).unwrap().shape(), (0, 4));
        assert!(matches!(
            CountVectorizer::new().fit(&empty),
            Err(Error::EmptyVocabulary(_))
        ));
    }

    #[test]
    fn df_bounds_and_max_features() {
        let docs = ["aa bb cc", "aa bb", "aa dd dd dd"];
        let mut cv = CountVectorizer::new().min_df(2).max_df(0.9);
        cv.fit(&docs).unwrap();
        assert_eq!(cv.get_feature_names_out().unwrap(), ["bb"]);
        let mut cv = CountVectorizer::new().min_df(Df::Count(2));
        cv.fit(&docs).unwrap();
        assert_eq!(cv.get_feature_names_out().unwrap(), ["aa", "bb"]);
        let mut cv = CountVectorizer::new().max_df(Df::Fraction(0.9));
        cv.fit(&docs).unwrap();
        assert_eq!(cv.get_feature_names_out().unwrap(), ["bb", "cc", "dd"]);
        // Totals: aa 3, bb 2, cc 1, dd 3 -> keep aa and dd.
        let mut cv = CountVectorizer::new().max_features(Some(2));
        cv.fit(&docs).unwrap();
        assert_eq!(cv.get_feature_names_out().unwrap(), ["aa", "dd"]);
        // Tie at the cut-off (bb 2 vs none): with binary, aa 3, bb 2, cc 1, dd 1.
        let mut cv = CountVectorizer::new().binary(true).max_features(Some(3));
        let x = cv.fit_transform(&docs).unwrap();
        assert_eq!(cv.get_feature_names_out().unwrap(), ["aa", "bb", "cc"]);
        assert_eq!(x.data().iter().copied().fold(0.0, f64::max), 1.0);
    }

    #[test]
    fn errors() {
        let docs = ["the and of", "a an"];
        let e = CountVectorizer::new()
            .stop_words(StopWords::English)
            .fit_transform(&docs);
        assert!(matches!(e, Err(Error::EmptyVocabulary(_))));
        let e = CountVectorizer::new()
            .min_df(Df::Count(2))
            .fit_transform(&["aa bb", "cc"]);
        assert!(matches!(e, Err(Error::EmptyVocabulary(_))));
        let e = CountVectorizer::new()
            .min_df(Df::Count(2))
            .max_df(Df::Count(1))
            .fit_transform(&docs);
        assert!(matches!(
            e,
            Err(Error::InvalidParameter { name: "max_df", .. })
        ));
        for bad in [
            Df::Fraction(1.5),
            Df::Fraction(-0.1),
            Df::Fraction(f64::NAN),
            Df::Count(0),
        ] {
            let e = CountVectorizer::new().min_df(bad).fit_transform(&docs);
            assert!(matches!(
                e,
                Err(Error::InvalidParameter { name: "min_df", .. })
            ));
        }
        let e = CountVectorizer::new()
            .max_features(Some(0))
            .fit_transform(&docs);
        assert!(matches!(e, Err(Error::InvalidParameter { .. })));
        let cv = CountVectorizer::new();
        assert!(matches!(cv.transform(&docs), Err(Error::NotFitted(_))));
        assert!(matches!(
            cv.get_feature_names_out(),
            Err(Error::NotFitted(_))
        ));
        let tv = TfidfVectorizer::new();
        assert!(matches!(tv.transform(&docs), Err(Error::NotFitted(_))));
        assert!(matches!(tv.idf(), Err(Error::NotFitted(_))));
        let e = CountVectorizer::new()
            .fixed_vocabulary(["aa", "aa"])
            .fit_transform(&docs);
        assert!(matches!(e, Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn fixed_vocabulary_keeps_order_and_drops_stop_words() {
        let cv = CountVectorizer::new()
            .stop_words(StopWords::Custom(vec!["bb".into()]))
            .fixed_vocabulary(["zz", "bb", "aa"]);
        let x = cv.transform(&["aa bb zz zz qq"]).unwrap();
        assert_eq!(dense(&x), vec![vec![2.0, 0.0, 1.0]]);
        assert_eq!(cv.get_feature_names_out().unwrap(), ["zz", "bb", "aa"]);
    }

    #[test]
    fn tfidf_matches_hand_computation() {
        let docs = ["aa aa bb", "bb cc"];
        let mut tv = TfidfVectorizer::new().norm(Norm::None).sublinear_tf(true);
        let x = tv.fit_transform(&docs).unwrap();
        let idf_a = (3.0f64 / 2.0).ln() + 1.0;
        let d = dense(&x);
        assert!((d[0][0] - (1.0 + 2f64.ln()) * idf_a).abs() < 1e-15);
        assert!((d[0][1] - 1.0).abs() < 1e-15);
        let mut t = TfidfTransformer::new().norm(Norm::L1).use_idf(false);
        let c = CountVectorizer::new().fit_transform(&docs).unwrap();
        let y = t.fit_transform(&c).unwrap();
        assert_eq!(dense(&y)[0], vec![2.0 / 3.0, 1.0 / 3.0, 0.0]);
        assert!(matches!(t.idf(), Err(Error::InvalidParameter { .. })));
    }
}
