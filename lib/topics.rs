//! Reading topics off a factorization.
//!
//! Each row of `Vt` (SVD) or `H` (NMF) weighs every vocabulary term; the words with the
//! largest weights name the topic. [`show_topics`] prints them the way the lesson does,
//! one space-separated line per row.

use crate::{Error, Result};
use ndarray::{ArrayBase, ArrayView1, ArrayView2, Data, Ix2};

/// Indices of the `n` largest entries of `row`, largest first.
///
/// Ties are broken towards the larger index, which is what reversing a stable
/// ascending argsort gives (the lesson's `np.argsort(t)[:-n-1:-1]`).
pub fn top_indices(row: ArrayView1<f64>, n: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..row.len()).collect();
    idx.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(b.cmp(&a)));
    idx.truncate(n);
    idx
}

/// The top `n_top_words` words of each row of `components`, joined by spaces.
///
/// `components` has one column per vocabulary entry (`vocab.len()`).
///
/// ```
/// use ndarray::array;
/// let h = array![[0.1, 0.9, 0.5], [3.0, 0.0, 1.0]];
/// let vocab = ["apple", "banana", "cherry"].map(String::from);
/// let topics = topicmod::topics::show_topics(&h, &vocab, 2).unwrap();
/// assert_eq!(topics, vec!["banana cherry", "apple cherry"]);
/// ```
pub fn show_topics<S: Data<Elem = f64>>(
    components: &ArrayBase<S, Ix2>,
    vocab: &[String],
    n_top_words: usize,
) -> Result<Vec<String>> {
    // The work happens in non-generic code, compiled once (optimized) in this crate.
    show_topics_view(components.view(), vocab, n_top_words)
}

fn show_topics_view(
    components: ArrayView2<f64>,
    vocab: &[String],
    n_top_words: usize,
) -> Result<Vec<String>> {
    if components.ncols() != vocab.len() {
        return Err(Error::ShapeMismatch(format!(
            "components have {} columns but the vocabulary has {} words",
            components.ncols(),
            vocab.len()
        )));
    }
    Ok(components
        .rows()
        .into_iter()
        .map(|row| {
            top_indices(row, n_top_words)
                .into_iter()
                .map(|i| vocab[i].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ties_prefer_later_columns_and_n_is_capped() {
        let row = array![1.0, 2.0, 2.0, 0.5];
        assert_eq!(top_indices(row.view(), 3), vec![2, 1, 0]);
        assert_eq!(top_indices(row.view(), 10).len(), 4);
    }

    #[test]
    fn vocabulary_must_fit() {
        let h = array![[1.0, 2.0]];
        let err = show_topics(&h, &["a".to_string()], 1).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch(_)));
    }
}
