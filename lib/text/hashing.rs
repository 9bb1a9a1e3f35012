//! [`HashingVectorizer`]: a document-term matrix without a vocabulary (scikit-learn's
//! `HashingVectorizer`), for corpora too large to hold a vocabulary or to see twice.

use super::{normalize_row, CountVectorizer, Norm, StopWords};
use crate::{Csr, Error, Result};

/// Token counts hashed into a fixed number of columns, the same as scikit-learn's
/// `HashingVectorizer`.
///
/// Each token (lower-cased, tokenized and stop-worded as [`CountVectorizer`] does) goes to
/// column `|h| mod n_features`, where `h` is the signed 32-bit MurmurHash3 of its UTF-8
/// bytes (seed 0). With `alternate_sign` (default) it adds `+1` when `h >= 0` and `−1`
/// otherwise, so that colliding tokens cancel on average; rows are then scaled to unit
/// norm (`L2` by default). There is nothing to fit: the same document always gives the
/// same row, and no column can be traced back to its word.
///
/// ```
/// use topicmod::text::HashingVectorizer;
/// let hv = HashingVectorizer::new().n_features(16);
/// let x = hv.transform(&["the cat sat", "the cat"]).unwrap();
/// assert_eq!(x.shape(), (2, 16));
/// let norm: f64 = x.outer_view(0).unwrap().data().iter().map(|v| v * v).sum();
/// assert!((norm - 1.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct HashingVectorizer {
    analyzer: CountVectorizer,
    n_features: usize,
    alternate_sign: bool,
    binary: bool,
    norm: Norm,
}

impl Default for HashingVectorizer {
    fn default() -> Self {
        Self::new()
    }
}

impl HashingVectorizer {
    /// scikit-learn's defaults: 2²⁰ columns, lower-casing, no stop words, alternating
    /// signs, L2 rows.
    pub fn new() -> Self {
        HashingVectorizer {
            analyzer: CountVectorizer::new(),
            n_features: 1 << 20,
            alternate_sign: true,
            binary: false,
            norm: Norm::L2,
        }
    }
    field_setters! {
        /// Number of columns (at most 2³¹ − 1).
        n_features: usize,
        /// Add `−1` for tokens whose hash is negative (default true).
        alternate_sign: bool,
        /// Set every stored entry to 1 before normalizing.
        binary: bool,
        /// Row normalization (default `L2`).
        norm: Norm,
    }
    /// Lower-case documents before tokenizing (default true).
    pub fn lowercase(mut self, lowercase: bool) -> Self {
        self.analyzer = self.analyzer.lowercase(lowercase);
        self
    }
    /// Tokens to drop before hashing.
    pub fn stop_words(mut self, stop_words: StopWords) -> Self {
        self.analyzer = self.analyzer.stop_words(stop_words);
        self
    }
    /// The number of columns its rows have (the `n_features` setting).
    pub fn n_columns(&self) -> usize {
        self.n_features
    }

    /// The hashed document-term matrix of `docs` (`docs.len() x n_features`).
    pub fn transform<S: AsRef<str>>(&self, docs: &[S]) -> Result<Csr> {
        self.transform_observing(docs, |_, _| {})
    }

    /// [`HashingVectorizer::transform`], calling `seen(column, token)` for every token it
    /// hashes: the one way back from a column to the words that land in it (see
    /// [`crate::stream::ColumnNames`]).
    pub fn transform_observing<S: AsRef<str>>(
        &self,
        docs: &[S],
        mut seen: impl FnMut(usize, &str),
    ) -> Result<Csr> {
        if self.n_features == 0 || self.n_features > i32::MAX as usize {
            return Err(Error::param(
                "n_features",
                format!("must be between 1 and 2^31 - 1, got {}", self.n_features),
            ));
        }
        if docs.is_empty() {
            return Err(Error::InvalidInput(
                "cannot vectorize an empty list of documents".into(),
            ));
        }
        let mut indptr = vec![0usize];
        let mut indices = Vec::new();
        let mut data = Vec::new();
        let mut row: Vec<(usize, f64)> = Vec::new();
        for doc in docs {
            row.clear();
            for token in self.analyzer.analyze(doc.as_ref()) {
                let h = murmurhash3_32(token.as_bytes(), 0);
                // |h| mod n; |−2³¹| taken as 2³¹ as scikit-learn defines it.
                let column = (h.unsigned_abs() as usize) % self.n_features;
                seen(column, &token);
                let sign = if self.alternate_sign && h < 0 {
                    -1.0
                } else {
                    1.0
                };
                row.push((column, sign));
            }
            row.sort_by_key(|&(j, _)| j);
            // Sum duplicates; a sum of zero stays stored, as in scikit-learn.
            let start = data.len();
            for &(j, v) in &row {
                if indices.len() > start && indices[indices.len() - 1] == j {
                    *data.last_mut().expect("an entry") += v;
                } else {
                    indices.push(j);
                    data.push(v);
                }
            }
            let stored = &mut data[start..];
            if self.binary {
                stored.iter_mut().for_each(|v| *v = 1.0);
            }
            normalize_row(stored, self.norm);
            indptr.push(indices.len());
        }
        Csr::try_new((docs.len(), self.n_features), indptr, indices, data)
            .map_err(|(_, _, _, e)| Error::InvalidInput(format!("malformed CSR matrix: {e}")))
    }

    /// [`HashingVectorizer::transform`]; there is nothing to fit.
    pub fn fit_transform<S: AsRef<str>>(&self, docs: &[S]) -> Result<Csr> {
        self.transform(docs)
    }
}

/// MurmurHash3 (x86, 32 bits) of `key` with `seed`, as a signed integer (scikit-learn's
/// `murmurhash3_32(key, seed, positive=False)`).
pub fn murmurhash3_32(key: &[u8], seed: u32) -> i32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = seed;
    let blocks = key.chunks_exact(4);
    let tail = blocks.remainder();
    for block in blocks {
        let k = u32::from_le_bytes(block.try_into().expect("4 bytes"));
        h ^= mix(k);
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &b) in tail.iter().enumerate() {
            k |= (b as u32) << (8 * i);
        }
        h ^= mix(k);
    }
    h ^= key.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}
