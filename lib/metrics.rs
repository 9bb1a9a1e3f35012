//! How good are the topics? Scores against known labels (scikit-learn's
//! `sklearn.metrics.cluster`), and topic coherence measured on documents.
//!
//! Each document gets one topic, its *dominant* one ([`dominant_topic`]: the largest entry
//! of its row of `W`). Comparing those assignments with the documents' true groups:
//!
//! * the contingency table `C[c][k]`: documents of class `c` assigned to topic `k`
//!   ([`contingency_matrix`]);
//! * purity `= (1/N) Σ_k max_c C[c][k]`: the share of documents whose topic's most common
//!   class is their own ([`purity`]);
//! * normalized mutual information `NMI = I(C; K) / ((H(C) + H(K)) / 2)`, with
//!   `I(C; K) = Σ_{c,k} (n_ck/N) ln(N n_ck / (n_c n_k))` and `H(C) = −Σ_c (n_c/N) ln(n_c/N)`:
//!   0 for independent labelings, 1 for the same partition
//!   ([`normalized_mutual_info_score`], scikit-learn's default arithmetic mean);
//! * the adjusted Rand index: the share of document pairs on which the two labelings agree
//!   (same group in both, or different groups in both), rescaled so that chance scores 0
//!   and identical partitions 1 ([`adjusted_rand_score`]).
//!
//! Topic coherence needs no labels: it asks whether a topic's top words occur together in
//! documents the model never saw ([`npmi_coherence`]).
//!
//! ```
//! use topicmod::metrics::{adjusted_rand_score, normalized_mutual_info_score, purity};
//! let truth = [0, 0, 1, 1, 2, 2];
//! let topics = [1, 1, 0, 0, 0, 2];
//! assert!((purity(&truth, &topics).unwrap() - 5.0 / 6.0).abs() < 1e-15);
//! assert!(normalized_mutual_info_score(&truth, &topics).unwrap() > 0.5);
//! assert_eq!(adjusted_rand_score(&truth, &truth).unwrap(), 1.0);
//! ```

use std::collections::BTreeMap;

use ndarray::{Array2, ArrayBase, Data, Ix2};

use crate::linop::Csr;
use crate::{Error, Result};

/// The contingency table of two labelings of the same documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Contingency {
    /// The distinct true labels, sorted: row `c` of [`Contingency::counts`] is `classes[c]`.
    pub classes: Vec<usize>,
    /// The distinct predicted labels, sorted: column `k` is `clusters[k]`.
    pub clusters: Vec<usize>,
    /// `counts[[c, k]]`: documents with true label `classes[c]` and predicted `clusters[k]`.
    pub counts: Array2<u64>,
}

impl Contingency {
    /// The number of documents.
    pub fn total(&self) -> u64 {
        self.counts.sum()
    }

    /// Documents per true label, `n_c` (the row sums).
    pub fn class_sizes(&self) -> Vec<u64> {
        self.counts.rows().into_iter().map(|r| r.sum()).collect()
    }

    /// Documents per predicted label, `n_k` (the column sums).
    pub fn cluster_sizes(&self) -> Vec<u64> {
        self.counts.columns().into_iter().map(|c| c.sum()).collect()
    }
}

fn check_labelings(labels_true: &[usize], labels_pred: &[usize]) -> Result<()> {
    if labels_true.len() != labels_pred.len() {
        return Err(Error::ShapeMismatch(format!(
            "labels_true has {} entries, labels_pred {}: one label per document in each",
            labels_true.len(),
            labels_pred.len()
        )));
    }
    Ok(())
}

/// Sorted distinct values and, for each entry of `labels`, the index of its value.
fn encode(labels: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut index: BTreeMap<usize, usize> = labels.iter().map(|&l| (l, 0)).collect();
    for (i, v) in index.values_mut().enumerate() {
        *v = i;
    }
    let codes = labels.iter().map(|l| index[l]).collect();
    (index.into_keys().collect(), codes)
}

/// The contingency table of `labels_true` (rows) against `labels_pred` (columns), like
/// scikit-learn's `contingency_matrix`.
pub fn contingency_matrix(labels_true: &[usize], labels_pred: &[usize]) -> Result<Contingency> {
    check_labelings(labels_true, labels_pred)?;
    let (classes, c_codes) = encode(labels_true);
    let (clusters, k_codes) = encode(labels_pred);
    let mut counts = Array2::<u64>::zeros((classes.len(), clusters.len()));
    for (&c, &k) in c_codes.iter().zip(&k_codes) {
        counts[[c, k]] += 1;
    }
    Ok(Contingency {
        classes,
        clusters,
        counts,
    })
}

/// Purity `(1/N) Σ_k max_c C[c][k]`: 1 when every topic holds one class only. (It rewards
/// many small topics: one topic per document scores 1; read it beside NMI and ARI.)
pub fn purity(labels_true: &[usize], labels_pred: &[usize]) -> Result<f64> {
    let c = contingency_matrix(labels_true, labels_pred)?;
    if labels_true.is_empty() {
        return Ok(1.0);
    }
    let best: u64 = c
        .counts
        .columns()
        .into_iter()
        .map(|col| col.iter().copied().max().unwrap_or(0))
        .sum();
    Ok(best as f64 / labels_true.len() as f64)
}

/// Entropy `−Σ (n_i/N) ln(n_i/N)` of label counts (0 for a single label).
fn entropy(counts: impl Iterator<Item = u64>) -> f64 {
    let counts: Vec<f64> = counts.filter(|&n| n > 0).map(|n| n as f64).collect();
    if counts.len() <= 1 {
        return 0.0;
    }
    let total: f64 = counts.iter().sum();
    let ln_total = total.ln();
    -counts
        .iter()
        .map(|&n| (n / total) * (n.ln() - ln_total))
        .sum::<f64>()
}

/// The mutual information `I(C; K)` of two labelings, in nats (scikit-learn's
/// `mutual_info_score`).
pub fn mutual_info_score(labels_true: &[usize], labels_pred: &[usize]) -> Result<f64> {
    let c = contingency_matrix(labels_true, labels_pred)?;
    Ok(mutual_info(&c))
}

fn mutual_info(c: &Contingency) -> f64 {
    let (rows, cols) = c.counts.dim();
    if rows <= 1 || cols <= 1 {
        return 0.0;
    }
    let (n_c, n_k) = (c.class_sizes(), c.cluster_sizes());
    let total = c.total() as f64;
    let ln_total = total.ln();
    // Each term in the same arrangement as scikit-learn: (n/N)(ln n − ln N) +
    // (n/N)(−ln(n_c n_k) + 2 ln N); terms below machine epsilon are dropped.
    let mut mi = 0.0;
    for ((i, j), &n) in c.counts.indexed_iter() {
        if n == 0 {
            continue;
        }
        let share = n as f64 / total;
        let outer = (n_c[i] as f64) * (n_k[j] as f64);
        let term =
            share * ((n as f64).ln() - ln_total) + share * (-outer.ln() + ln_total + ln_total);
        if term.abs() >= f64::EPSILON {
            mi += term;
        }
    }
    mi.max(0.0)
}

/// Normalized mutual information `I(C; K) / ((H(C) + H(K)) / 2)` (scikit-learn's
/// `normalized_mutual_info_score` with its default arithmetic mean): 1 for the same
/// partition (also when both put every document in one group), 0 for independent ones.
pub fn normalized_mutual_info_score(labels_true: &[usize], labels_pred: &[usize]) -> Result<f64> {
    let c = contingency_matrix(labels_true, labels_pred)?;
    let (rows, cols) = c.counts.dim();
    if rows == cols && rows <= 1 {
        return Ok(1.0);
    }
    let mi = mutual_info(&c);
    if mi == 0.0 {
        return Ok(0.0);
    }
    let h_true = entropy(c.class_sizes().into_iter());
    let h_pred = entropy(c.cluster_sizes().into_iter());
    Ok(mi / ((h_true + h_pred) / 2.0))
}

/// The adjusted Rand index (scikit-learn's `adjusted_rand_score`): over all ordered pairs
/// of documents, with `tp` pairs together in both labelings, `tn` apart in both, `fp`/`fn`
/// together in only one, `ARI = 2 (tp·tn − fn·fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn))`.
/// 1 for identical partitions, about 0 for random ones, negative for worse than chance.
pub fn adjusted_rand_score(labels_true: &[usize], labels_pred: &[usize]) -> Result<f64> {
    let c = contingency_matrix(labels_true, labels_pred)?;
    let n = labels_true.len() as i128;
    let (n_c, n_k) = (c.class_sizes(), c.cluster_sizes());
    let sum_squares: i128 = c.counts.iter().map(|&x| (x as i128) * (x as i128)).sum();
    let mut together_pred = 0i128; // Σ_ck n_ck n_k
    let mut together_true = 0i128; // Σ_ck n_ck n_c
    for ((i, j), &x) in c.counts.indexed_iter() {
        together_pred += x as i128 * n_k[j] as i128;
        together_true += x as i128 * n_c[i] as i128;
    }
    let tp = sum_squares - n;
    let fp = together_pred - sum_squares;
    let fn_ = together_true - sum_squares;
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let num = 2.0 * ((tp * tn - fn_ * fp) as f64);
    let den = ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)) as f64;
    Ok(num / den)
}

/// The dominant topic of each document: the column of its row's largest entry (the first
/// one on ties). For `W` from NMF, or `U Σ` from an SVD (where signs are arbitrary, so take
/// absolute values first if that is what you mean).
pub fn dominant_topic<S: Data<Elem = f64>>(doc_topic: &ArrayBase<S, Ix2>) -> Result<Vec<usize>> {
    if doc_topic.ncols() == 0 {
        return Err(Error::InvalidInput(
            "the document-topic matrix has no columns (no topics)".into(),
        ));
    }
    let mut out = Vec::with_capacity(doc_topic.nrows());
    for (i, row) in doc_topic.rows().into_iter().enumerate() {
        let mut best = 0;
        for (k, &x) in row.iter().enumerate() {
            if x.is_nan() {
                return Err(Error::InvalidInput(format!(
                    "row {i} of the document-topic matrix holds NaN"
                )));
            }
            if x > row[best] {
                best = k;
            }
        }
        out.push(best);
    }
    Ok(out)
}

/// Topic coherence by normalized pointwise mutual information, one number per topic.
///
/// `topics[t]` lists topic `t`'s top words as column indices of `docs`, a document-term
/// matrix of documents the model was not fitted on (a word *occurs* in a document when its
/// entry is non-zero). With `N` documents, `p(w)` the share of documents containing `w` and
/// `p(w, v)` the share containing both,
///
/// `NPMI(w, v) = ln(p(w, v) / (p(w) p(v))) / −ln p(w, v)`,
///
/// −1 when the two words never occur together, 0 when they occur together as often as
/// chance predicts, 1 when they always occur together. A topic's coherence is the mean over
/// all pairs of its words (Bouma 2009; Lau, Newman and Baldwin 2014).
pub fn npmi_coherence(topics: &[Vec<usize>], docs: &Csr) -> Result<Vec<f64>> {
    let n_docs = docs.rows();
    if n_docs == 0 {
        return Err(Error::InvalidInput(
            "coherence needs at least one document".into(),
        ));
    }
    let csc = docs.to_csc();
    // Sorted document lists of every word that appears in a topic.
    let mut occurs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (t, words) in topics.iter().enumerate() {
        if words.len() < 2 {
            return Err(Error::InvalidInput(format!(
                "topic {t} has {} words; coherence needs at least two",
                words.len()
            )));
        }
        for &w in words {
            if w >= docs.cols() {
                return Err(Error::InvalidInput(format!(
                    "topic {t} names word {w}, but the documents have {} words",
                    docs.cols()
                )));
            }
            occurs.entry(w).or_insert_with(|| {
                let col = csc.outer_view(w).expect("column in range");
                col.iter()
                    .filter(|(_, &v)| v != 0.0)
                    .map(|(d, _)| d)
                    .collect()
            });
        }
    }
    let n = n_docs as f64;
    let npmi = |a: &[usize], b: &[usize]| -> f64 {
        let both = count_common(a, b);
        if both == 0 {
            return -1.0;
        }
        let p_ab = both as f64 / n;
        if p_ab == 1.0 {
            return 1.0;
        }
        let (p_a, p_b) = (a.len() as f64 / n, b.len() as f64 / n);
        (p_ab / (p_a * p_b)).ln() / -p_ab.ln()
    };
    Ok(topics
        .iter()
        .map(|words| {
            let mut sum = 0.0;
            let mut pairs = 0usize;
            for (i, a) in words.iter().enumerate() {
                for b in &words[i + 1..] {
                    sum += npmi(&occurs[a], &occurs[b]);
                    pairs += 1;
                }
            }
            sum / pairs as f64
        })
        .collect())
}

/// How many values two sorted lists share.
fn count_common(a: &[usize], b: &[usize]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The indices of the `n` largest entries of each row of `components` (topics x words),
/// largest first: the words [`npmi_coherence`] scores, the same ones (and in the same
/// order, ties towards the larger index) that [`crate::topics::show_topics`] prints.
pub fn top_word_indices<S: Data<Elem = f64>>(
    components: &ArrayBase<S, Ix2>,
    n: usize,
) -> Result<Vec<Vec<usize>>> {
    if n == 0 || n > components.ncols() {
        return Err(Error::param(
            "n",
            format!(
                "must be between 1 and the number of words ({}), got {n}",
                components.ncols()
            ),
        ));
    }
    Ok(components
        .rows()
        .into_iter()
        .map(|row| crate::topics::top_indices(row, n))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contingency_and_purity_by_hand() {
        let truth = [3, 3, 1, 1, 1, 7];
        let pred = [0, 2, 2, 2, 0, 0];
        let c = contingency_matrix(&truth, &pred).unwrap();
        assert_eq!(c.classes, vec![1, 3, 7]);
        assert_eq!(c.clusters, vec![0, 2]);
        assert_eq!(c.counts, ndarray::array![[1, 2], [1, 1], [1, 0]]);
        assert_eq!(c.total(), 6);
        // topic 0: classes 1, 3, 7 once each (best 1); topic 2: class 1 twice.
        assert_eq!(purity(&truth, &pred).unwrap(), 3.0 / 6.0);
        assert!(contingency_matrix(&truth, &pred[..5]).is_err());
    }

    #[test]
    fn scores_at_their_limits() {
        let a = [0, 0, 1, 1, 2, 2];
        let renamed = [5, 5, 9, 9, 1, 1];
        assert!((normalized_mutual_info_score(&a, &renamed).unwrap() - 1.0).abs() < 1e-15);
        assert!((adjusted_rand_score(&a, &renamed).unwrap() - 1.0).abs() < 1e-15);
        // One group each: a perfect match by convention; one vs many: no information.
        assert_eq!(
            normalized_mutual_info_score(&[1, 1, 1], &[4, 4, 4]).unwrap(),
            1.0
        );
        assert_eq!(
            normalized_mutual_info_score(&[1, 1, 1], &[0, 1, 2]).unwrap(),
            0.0
        );
        assert_eq!(mutual_info_score(&[1, 1, 1], &[0, 1, 2]).unwrap(), 0.0);
        // scikit-learn's docstring example: -0.5.
        assert_eq!(
            adjusted_rand_score(&[0, 0, 1, 1], &[0, 1, 0, 1]).unwrap(),
            -0.5
        );
        assert_eq!(adjusted_rand_score(&[], &[]).unwrap(), 1.0);
    }

    #[test]
    fn nmi_by_hand() {
        // Two groups of two; the prediction splits one of them.
        let t = [0, 0, 1, 1];
        let p = [0, 0, 1, 2];
        let ln2 = 2f64.ln();
        let mi = ln2; // H(C) = ln 2, and K determines C.
        let h_k = -(0.5 * 0.5f64.ln() + 2.0 * 0.25 * 0.25f64.ln());
        let want = mi / ((ln2 + h_k) / 2.0);
        assert!((mutual_info_score(&t, &p).unwrap() - mi).abs() < 1e-15);
        assert!((normalized_mutual_info_score(&t, &p).unwrap() - want).abs() < 1e-15);
    }

    #[test]
    fn dominant_topic_takes_the_first_largest() {
        let w = ndarray::array![[0.1, 0.7, 0.7], [2.0, 0.0, 1.0], [0.0, 0.0, 0.0]];
        assert_eq!(dominant_topic(&w).unwrap(), vec![1, 0, 0]);
        assert!(dominant_topic(&Array2::<f64>::zeros((2, 0))).is_err());
        assert!(dominant_topic(&ndarray::array![[0.0, f64::NAN]]).is_err());
    }

    #[test]
    fn npmi_by_hand() {
        // 4 documents x 4 words: w0 and w1 always together (in docs 0, 1), w2 in docs 0-3,
        // w3 in doc 3 only.
        let dense = ndarray::array![
            [1.0, 2.0, 1.0, 0.0],
            [1.0, 1.0, 1.0, 0.0],
            [0.0, 0.0, 3.0, 0.0],
            [0.0, 0.0, 1.0, 1.0]
        ];
        let docs = crate::linop::dense_to_csr(&dense);
        let c = npmi_coherence(&[vec![0, 1], vec![0, 3], vec![0, 2]], &docs).unwrap();
        // p(0) = p(1) = p(01) = 1/2: ln(2) / ln(2) = 1.
        assert!((c[0] - 1.0).abs() < 1e-15);
        assert_eq!(c[1], -1.0);
        // w2 is in every document: p(02) = p(0), so PMI = ln(1) = 0.
        assert!(c[2].abs() < 1e-15);
        let three = npmi_coherence(&[vec![0, 1, 3]], &docs).unwrap();
        assert!((three[0] - (1.0 - 1.0 - 1.0) / 3.0).abs() < 1e-15);
        assert!(npmi_coherence(&[vec![0]], &docs).is_err());
        assert!(npmi_coherence(&[vec![0, 9]], &docs).is_err());
    }

    #[test]
    fn top_word_indices_largest_first() {
        let h = ndarray::array![[0.1, 0.5, 0.5, 0.2], [3.0, 0.0, 1.0, 2.0]];
        assert_eq!(
            top_word_indices(&h, 3).unwrap(),
            vec![vec![2, 1, 3], vec![0, 3, 2]]
        );
        assert!(top_word_indices(&h, 0).is_err());
        assert!(top_word_indices(&h, 5).is_err());
    }
}
