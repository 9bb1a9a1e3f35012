//! The counting engine behind [`CountVectorizer`]: tokens to column ids, per-document
//! counts, the vocabulary learned from them (sorted by code point, pruned by `min_df`,
//! `max_df` and `max_features`) and the CSR matrix with sorted rows.
//!
//! Large inputs are cut into chunks of documents counted on the crate's threads
//! ([`map_chunks`]); each chunk learns its own token ids, and the chunks are merged in
//! document order, so the vocabulary and the matrix do not depend on the thread count.

use super::interner::Interner;
use super::tokenize::{self, for_each_token};
use super::{CountVectorizer, StopWords};
use crate::threads::{map_chunks, TEXT_MIN_BYTES};
use crate::{Csr, Error, Result};
use std::collections::HashMap;
use std::sync::OnceLock;

/// In the token lookup table: a token that is never counted (a stop word, or a term
/// pruned by `min_df`/`max_df`/`max_features`). Also marks dropped columns.
const SKIP: u32 = u32::MAX;

/// What `fit` learned: the terms in column order and the token lookup table.
#[derive(Debug, Clone, Default)]
pub(super) struct Fitted {
    /// Column `j` counts `terms[j]`.
    pub(super) terms: Vec<String>,
    /// Token -> column, or [`SKIP`] for stop words (and pruned terms).
    lookup: Interner,
    /// Term -> column, built on first use by [`CountVectorizer::vocabulary`].
    pub(super) vocabulary: OnceLock<HashMap<String, usize>>,
}

impl Fitted {
    /// A fixed vocabulary (scikit-learn's `vocabulary=`): `terms` in column order, with
    /// the stop words marked as never counted.
    pub(super) fn from_terms(terms: Vec<String>, stop_words: &StopWords) -> Result<Self> {
        if terms.is_empty() {
            return Err(Error::EmptyVocabulary(
                "the fixed vocabulary passed to the vectorizer has no terms".into(),
            ));
        }
        let too_many = || Error::param("vocabulary", "too many terms (at most 2^32 - 2)");
        let mut lookup = Interner::with_capacity(terms.len());
        for (j, t) in terms.iter().enumerate() {
            match lookup.get_or_insert(t, j as u32) {
                None => return Err(too_many()),
                Some((_, false)) => {
                    return Err(Error::param("vocabulary", format!("duplicate term {t:?}")))
                }
                Some((_, true)) => {}
            }
        }
        // The analyzer drops stop words before looking tokens up, so a stop word that is
        // also in the vocabulary is never counted.
        for w in stop_words.words() {
            let (id, _) = lookup.get_or_insert(w, SKIP).ok_or_else(too_many)?;
            lookup.set_value(id, SKIP);
        }
        Ok(Fitted {
            terms,
            lookup,
            vocabulary: OnceLock::new(),
        })
    }

    /// Column of `tok`, or `None` for stop words, pruned and unknown tokens.
    #[inline]
    fn column(&self, tok: &str) -> Option<u32> {
        let id = self.lookup.get(tok)?;
        Some(self.lookup.value(id)).filter(|&v| v != SKIP)
    }
}

/// Counts `docs` against a fitted vocabulary: `docs.len()` x `fitted.terms.len()`,
/// tokens outside the vocabulary ignored.
pub(super) fn count(cv: &CountVectorizer, fitted: &Fitted, docs: &[&str]) -> Result<Csr> {
    let raw = count_known(docs, cv.lowercase, fitted, cv.threads());
    assemble(&raw, None, fitted.terms.len(), cv.binary)
}

/// Learns the vocabulary of `docs` with `cv`'s settings and counts them: tokens sorted by
/// code point, then pruned to those in at least `min_df` and at most `max_df` documents,
/// then (with `max_features = Some(k)`) to the `k` largest total counts.
pub(super) fn learn(cv: &CountVectorizer, docs: &[&str]) -> Result<(Csr, Fitted)> {
    let (raw, mut lookup) = learn_counts(docs, cv.lowercase, &cv.stop_words.words(), cv.threads())?;
    let n_ids = lookup.len();
    let candidates: Vec<u32> = (0..n_ids as u32)
        .filter(|&id| lookup.value(id as usize) != SKIP)
        .collect();
    if candidates.is_empty() {
        return Err(Error::EmptyVocabulary(
            "the documents contain no tokens of two or more word characters \
             (perhaps only stop words)"
                .into(),
        ));
    }

    let n_docs = docs.len();
    let high = cv.max_df.documents(n_docs);
    let low = cv.min_df.documents(n_docs);
    if high < low {
        return Err(Error::param(
            "max_df",
            format!(
                "max_df = {:?} allows {high} documents, fewer than min_df = {:?} ({low})",
                cv.max_df, cv.min_df
            ),
        ));
    }

    // Document frequency and total count of each term (binary counts if asked).
    let mut df = vec![0usize; n_ids];
    let mut tf = vec![0u64; n_ids];
    for (&j, &v) in raw.cols.iter().zip(&raw.vals) {
        df[j as usize] += 1;
        tf[j as usize] += if cv.binary { 1 } else { v as u64 };
    }

    // Terms by code point, then pruned by document frequency.
    let n_terms = candidates.len();
    let mut kept = sorted_by_string(candidates, &lookup);
    kept.retain(|&j| {
        let d = df[j as usize] as f64;
        d <= high && d >= low
    });
    if let Some(k) = cv.max_features {
        if kept.len() > k {
            // Stable sort by decreasing total: among equal totals the alphabetically
            // first terms win. Then back to alphabetical order.
            let mut pos: Vec<u32> = (0..kept.len() as u32).collect();
            pos.sort_by(|&a, &b| tf[kept[b as usize] as usize].cmp(&tf[kept[a as usize] as usize]));
            pos.truncate(k);
            pos.sort_unstable();
            kept = pos.iter().map(|&p| kept[p as usize]).collect();
        }
    }
    if kept.is_empty() {
        return Err(Error::EmptyVocabulary(format!(
            "after pruning no terms remain: every one of the {n_terms} terms occurs in \
             fewer than min_df = {:?} or more than max_df = {:?} documents; try a lower \
             min_df or a higher max_df",
            cv.min_df, cv.max_df
        )));
    }

    let mut new_col = vec![SKIP; n_ids];
    for (c, &j) in kept.iter().enumerate() {
        new_col[j as usize] = c as u32;
    }
    let x = assemble(&raw, Some(&new_col), kept.len(), cv.binary)?;

    // Stop words and pruned terms map to SKIP, kept terms to their column.
    let terms: Vec<String> = kept
        .iter()
        .map(|&j| lookup.get_str(j as usize).to_string())
        .collect();
    for (v, &c) in lookup.values_mut().iter_mut().zip(&new_col) {
        *v = c;
    }
    let fitted = Fitted {
        terms,
        lookup,
        vocabulary: OnceLock::new(),
    };
    Ok((x, fitted))
}

/// Counts before column renumbering: row `i` holds `cols/vals[indptr[i]..indptr[i+1]]`,
/// columns in order of first appearance within the row.
struct RawCounts {
    indptr: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<u32>,
}

/// Tokenizes (after lower-casing, if asked) and counts `docs`. `resolve` maps a token to
/// its column, or to `None` to skip it (a stop word or an unknown term).
fn count_documents<S: AsRef<str>>(
    docs: &[S],
    lowercase: bool,
    mut resolve: impl FnMut(&str) -> Option<u32>,
) -> RawCounts {
    // For the current document: `seen[j] == d` iff column j already occurred, and then
    // `slot[j]` is its position in `cols`/`vals`.
    let mut seen: Vec<usize> = Vec::new();
    let mut slot: Vec<usize> = Vec::new();
    let mut indptr = Vec::with_capacity(docs.len() + 1);
    indptr.push(0);
    // About one stored entry per 16 bytes of text in English prose.
    let guess = docs.iter().map(|d| d.as_ref().len()).sum::<usize>() / 16;
    let mut cols: Vec<u32> = Vec::with_capacity(guess);
    let mut vals: Vec<u32> = Vec::with_capacity(guess);
    let mut tok_buf = String::new();
    for (d, doc) in docs.iter().enumerate() {
        let doc = doc.as_ref();
        let mut count = |tok: &str| {
            let Some(j) = resolve(tok) else { return };
            let j = j as usize;
            if j >= seen.len() {
                seen.resize(j + 1, usize::MAX);
                slot.resize(j + 1, 0);
            }
            if seen[j] == d {
                vals[slot[j]] += 1;
            } else {
                seen[j] = d;
                slot[j] = cols.len();
                cols.push(j as u32);
                vals.push(1);
            }
        };
        if !lowercase {
            for_each_token(doc, &mut count);
        } else if doc.is_ascii() {
            tokenize::for_each_lowercase_ascii_token(doc, &mut tok_buf, &mut count);
        } else {
            let lowered = doc.to_lowercase();
            for_each_token(&lowered, &mut count);
        }
        indptr.push(cols.len());
    }
    RawCounts { indptr, cols, vals }
}

/// Appends `next` (whose columns are translated by `map`, if given) to `raw`.
fn append_counts(raw: &mut RawCounts, next: RawCounts, map: Option<&[u32]>) {
    let offset = raw.cols.len();
    match map {
        Some(m) => raw.cols.extend(next.cols.iter().map(|&c| m[c as usize])),
        None => raw.cols.extend_from_slice(&next.cols),
    }
    raw.vals.extend_from_slice(&next.vals);
    raw.indptr
        .extend(next.indptr[1..].iter().map(|&p| p + offset));
}

/// Counts `docs` against a fitted lookup table (tokens it does not know are skipped).
fn count_known<S: AsRef<str> + Sync>(
    docs: &[S],
    lowercase: bool,
    fitted: &Fitted,
    threads: usize,
) -> RawCounts {
    let mut parts = map_chunks(
        docs,
        |d| d.as_ref().len(),
        threads,
        TEXT_MIN_BYTES,
        |chunk| count_documents(chunk, lowercase, |t| fitted.column(t)),
    )
    .into_iter();
    let mut raw = parts
        .next()
        .unwrap_or_else(|| count_documents(docs, lowercase, |_| None));
    for part in parts {
        append_counts(&mut raw, part, None);
    }
    raw
}

/// Counts `docs` while learning their vocabulary. Every token gets an id in the returned
/// interner (stop words first, with the value [`SKIP`]); the counts use those ids as
/// provisional columns. Chunks are counted in parallel with their own interners, then
/// merged; ids differ with the chunking but, once sorted, the vocabulary does not.
fn learn_counts<S: AsRef<str> + Sync>(
    docs: &[S],
    lowercase: bool,
    stop_words: &[&str],
    threads: usize,
) -> Result<(RawCounts, Interner)> {
    let too_large = || {
        Error::InvalidInput(
            "more than 2^32 - 2 distinct tokens or 4 GiB of distinct text; the vocabulary is \
             too large"
                .into(),
        )
    };
    let learn = |chunk: &[S]| {
        let mut lookup = Interner::with_capacity(1 << 14);
        for w in stop_words {
            lookup.get_or_insert(w, SKIP);
        }
        let mut full = false;
        let raw = count_documents(chunk, lowercase, |tok| match lookup.get_or_insert(tok, 0) {
            Some((id, _)) if lookup.value(id) != SKIP => Some(id as u32),
            Some(_) => None,
            None => {
                full = true;
                None
            }
        });
        (!full).then_some((raw, lookup))
    };
    let mut parts =
        map_chunks(docs, |d| d.as_ref().len(), threads, TEXT_MIN_BYTES, learn).into_iter();
    let (mut raw, mut lookup) = match parts.next() {
        Some(first) => first.ok_or_else(too_large)?,
        None => learn(docs).ok_or_else(too_large)?,
    };
    for part in parts {
        let (next, local) = part.ok_or_else(too_large)?;
        let map = (0..local.len())
            .map(|id| {
                let (g, _) = lookup
                    .get_or_insert(local.get_str(id), local.value(id))
                    .ok_or_else(too_large)?;
                Ok(g as u32)
            })
            .collect::<Result<Vec<u32>>>()?;
        append_counts(&mut raw, next, Some(&map));
    }
    Ok((raw, lookup))
}

/// `ids` sorted by their strings in code point order (= UTF-8 byte order). Compares an
/// 8-byte big-endian prefix first, which settles most comparisons without touching the
/// strings.
fn sorted_by_string(ids: Vec<u32>, lookup: &Interner) -> Vec<u32> {
    // (prefix << 64 | id): a plain integer sort orders by prefix; runs of equal
    // prefixes (strings sharing their first 8 bytes) are then sorted in full.
    let mut keyed: Vec<u128> = ids
        .into_iter()
        .map(|id| {
            let b = lookup.get_bytes(id as usize);
            let mut p = [0u8; 8];
            let n = b.len().min(8);
            p[..n].copy_from_slice(&b[..n]);
            (u64::from_be_bytes(p) as u128) << 64 | id as u128
        })
        .collect();
    keyed.sort_unstable();
    let mut start = 0;
    while start < keyed.len() {
        let prefix = keyed[start] >> 64;
        let mut end = start + 1;
        while end < keyed.len() && keyed[end] >> 64 == prefix {
            end += 1;
        }
        if end - start > 1 {
            keyed[start..end].sort_unstable_by(|a, b| {
                lookup
                    .get_bytes(*a as u32 as usize)
                    .cmp(lookup.get_bytes(*b as u32 as usize))
            });
        }
        start = end;
    }
    keyed.into_iter().map(|k| k as u32).collect()
}

/// Builds the CSR matrix, renumbering column `j` as `new_col[j]` (dropping
/// [`SKIP`]) and sorting each row's columns.
fn assemble(raw: &RawCounts, new_col: Option<&[u32]>, n_cols: usize, binary: bool) -> Result<Csr> {
    let n_rows = raw.indptr.len() - 1;
    let col_of = |k: usize| match new_col {
        Some(map) => map[raw.cols[k] as usize],
        None => raw.cols[k],
    };
    // Sorting each row is a transpose there and back: bucket the entries by column
    // (rows come in order, so each column lists its rows in order), then walk the
    // columns in order and deal the entries back to their rows.
    let mut col_ptr = vec![0usize; n_cols + 1];
    let mut indptr = vec![0usize; n_rows + 1];
    for i in 0..n_rows {
        let mut kept = 0;
        for k in raw.indptr[i]..raw.indptr[i + 1] {
            let j = col_of(k);
            if j != SKIP {
                col_ptr[j as usize + 1] += 1;
                kept += 1;
            }
        }
        indptr[i + 1] = indptr[i] + kept;
    }
    for j in 0..n_cols {
        col_ptr[j + 1] += col_ptr[j];
    }
    let nnz = indptr[n_rows];
    let mut by_col: Vec<(u32, u32)> = vec![(0, 0); nnz];
    let mut next = col_ptr.clone();
    for i in 0..n_rows {
        for k in raw.indptr[i]..raw.indptr[i + 1] {
            let j = col_of(k);
            if j != SKIP {
                by_col[next[j as usize]] = (i as u32, raw.vals[k]);
                next[j as usize] += 1;
            }
        }
    }
    let mut indices = vec![0usize; nnz];
    let mut data = vec![0f64; nnz];
    let mut next = indptr.clone();
    for j in 0..n_cols {
        for &(i, v) in &by_col[col_ptr[j]..col_ptr[j + 1]] {
            let at = next[i as usize];
            indices[at] = j;
            data[at] = if binary { 1.0 } else { v as f64 };
            next[i as usize] += 1;
        }
    }
    Csr::try_new((n_rows, n_cols), indptr, indices, data).map_err(|(_, _, _, e)| {
        Error::InvalidInput(format!("internal CSR construction failed: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::super::{CountVectorizer, Df, StopWords};

    #[test]
    fn parallel_counting_matches_serial() {
        // Enough text (> threads::TEXT_MIN_BYTES) to be split into chunks.
        let docs: Vec<String> = (0..3000)
            .map(|i| {
                format!(
                    "Doc{} shares words: alpha BETA gamma{} delta_{} é{} the of {}",
                    i % 97,
                    i % 13,
                    i % 7,
                    i % 5,
                    "filler text ".repeat(i % 11)
                )
            })
            .collect();
        let run = |threads: usize, fixed: bool| {
            let mut cv = CountVectorizer::new()
                .stop_words(StopWords::English)
                .min_df(Df::Count(2))
                .max_features(Some(60));
            if fixed {
                cv = cv.fixed_vocabulary(["alpha", "doc5", "gamma3", "zz"]);
            }
            cv.threads = Some(threads);
            let x = cv.fit_transform(&docs).unwrap();
            let y = cv.transform(&docs[..500]).unwrap();
            (x, y, cv.get_feature_names_out().unwrap().to_vec())
        };
        for fixed in [false, true] {
            let serial = run(1, fixed);
            for threads in [2, 3, 8] {
                assert_eq!(
                    run(threads, fixed),
                    serial,
                    "{threads} threads, fixed {fixed}"
                );
            }
        }
    }
}
