//! Singular value decomposition `A = U diag(s) V^T` and the lesson's checks on it.

use ndarray::{Array1, Array2};

/// A thin SVD: `u` is `m x k`, `s` has the `k` singular values in decreasing order,
/// `vt` is `k x n`, and `A ≈ u diag(s) vt`.
#[derive(Clone, Debug)]
pub struct Svd {
    pub u: Array2<f64>,
    pub s: Array1<f64>,
    pub vt: Array2<f64>,
}
