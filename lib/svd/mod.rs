//! Singular value decomposition `A = U diag(s) V^T` and the lesson's checks on it.
//!
//! Every real `m x n` matrix factors as `A = U Σ V^T` with `U` and `V` orthogonal and
//! `Σ` diagonal with non-negative entries `s_1 >= s_2 >= ... >= 0`, the singular values.
//! Only the first `k = min(m, n)` columns of `U` and rows of `V^T` ever meet a non-zero
//! singular value, so the *thin* SVD keeps just those: `U` is `m x k`, `s` has `k`
//! entries and `V^T` is `k x n`. The rows of `V^T` are orthonormal directions in term
//! space (the lesson reads them as topics), the columns of `U` say how much of each
//! topic every document holds, and `s` says how important each topic is overall.
//! [`svd_full`] keeps the square factors instead (`U` is `m x m`, `V^T` is `n x n`), as
//! NumPy's `full_matrices=True` does.
//!
//! [`svd`] follows LAPACK's divide-and-conquer driver (`dgesdd`), as
//! `scipy.linalg.svd(a, full_matrices=False)` does, so the singular vectors come out
//! with the same signs as SciPy's. For a wide matrix (`n >= 11 m / 6`, the lesson's
//! 2034 x 26576 one) `dgesdd` first factors `A = L Q` (LQ); here that step is done as
//! the QR factorization `Aᵀ = Qᵀ Lᵀ`, the same Householder reflections, on the
//! row-major storage that already holds `Aᵀ` column by column.
//!
//! ```
//! use ndarray::array;
//! use topicmod::svd::{allclose, is_orthonormal_columns, is_orthonormal_rows, svd};
//!
//! let a = array![[3.0, 0.0], [4.0, 5.0]];
//! let f = svd(&a).unwrap();
//! // singular values of this matrix are sqrt(45) and sqrt(5)
//! assert!(allclose(&f.s, &array![45f64.sqrt(), 5f64.sqrt()], 1e-12, 0.0));
//! assert!(allclose(&f.reconstruct(), &a, 1e-12, 1e-12));
//! assert!(is_orthonormal_columns(&f.u, 1e-12) && is_orthonormal_rows(&f.vt, 1e-12));
//! ```

mod lapack;
mod transpose;

use crate::{Error, Result};
use ndarray::{s, Array1, Array2, ArrayBase, Axis, Data, Dimension, Ix2, Zip};

use lapack::{gesdd_full_svd, gesdd_svd, wide_svd};

/// The transposed copy kernel, for `scripts/bench`'s kernel rows (not the lesson's API).
#[doc(hidden)]
pub use transpose::transposed_copy;

/// A thin SVD: `u` is `m x k`, `s` has the `k` singular values in decreasing order,
/// `vt` is `k x n`, and `A ≈ u diag(s) vt`.
#[derive(Clone, Debug)]
pub struct Svd {
    pub u: Array2<f64>,
    pub s: Array1<f64>,
    pub vt: Array2<f64>,
}

impl Svd {
    /// Number of components `k` (the length of `s`).
    pub fn n_components(&self) -> usize {
        self.s.len()
    }

    /// Shape `(m, n)` of the matrix this factorization approximates.
    pub fn dims(&self) -> (usize, usize) {
        (self.u.nrows(), self.vt.ncols())
    }

    /// `U diag(s) V^T`, the matrix the factorization stands for.
    ///
    /// Scaling column `j` of `U` by `s_j` gives `U diag(s)` in `O(mk)`; one matrix
    /// product with `V^T` then finishes the job (no `k x k` diagonal matrix is built).
    ///
    /// ```
    /// use ndarray::array;
    /// let f = topicmod::svd::Svd {
    ///     u: array![[1.0, 0.0], [0.0, 1.0]],
    ///     s: array![2.0, 1.0],
    ///     vt: array![[0.0, 1.0], [1.0, 0.0]],
    /// };
    /// assert_eq!(f.reconstruct(), array![[0.0, 2.0], [1.0, 0.0]]);
    /// ```
    pub fn reconstruct(&self) -> Array2<f64> {
        self.scaled_u().dot(&self.vt)
    }

    /// The best rank-`k` approximation's factors: the first `k` singular triplets.
    ///
    /// By the Eckart–Young theorem `U_k diag(s_k) V_k^T` is the closest rank-`k` matrix to
    /// `A` in the Frobenius norm, with error `sqrt(s_{k+1}^2 + ... )`.
    /// `k` must be between 1 and the number of components, else [`Error::InvalidRank`].
    ///
    /// ```
    /// use ndarray::array;
    /// let a = array![[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
    /// let f = topicmod::svd::svd(&a).unwrap().truncate(1).unwrap();
    /// assert_eq!((f.u.dim(), f.s.len(), f.vt.dim()), ((2, 1), 1, (1, 3)));
    /// assert!((topicmod::svd::reconstruction_error(&a, &f).unwrap() - 1.0).abs() < 1e-12);
    /// assert!(topicmod::svd::svd(&a).unwrap().truncate(3).is_err());
    /// ```
    pub fn truncate(&self, k: usize) -> Result<Svd> {
        let (rows, cols) = self.dims();
        let have = self.n_components();
        if k == 0 || k > have {
            return Err(Error::InvalidRank {
                requested: k,
                rows,
                cols,
                reason: format!("a truncated SVD keeps between 1 and {have} components"),
            });
        }
        Ok(Svd {
            u: self.u.slice(s![.., ..k]).to_owned(),
            s: self.s.slice(s![..k]).to_owned(),
            vt: self.vt.slice(s![..k, ..]).to_owned(),
        })
    }

    /// `U diag(s)`: column `j` of `U` times `s_j`.
    fn scaled_u(&self) -> Array2<f64> {
        &self.u * &self.s.view().insert_axis(Axis(0))
    }
}

/// A full SVD: `u` is `m x m`, `s` has the `k = min(m, n)` singular values in decreasing
/// order, `vt` is `n x n`, and `A = U Σ Vᵀ` with `Σ` the `m x n` matrix that holds `s` on
/// its diagonal and zeros elsewhere.
///
/// `U` and `V` are square and orthogonal. Their first `k` columns are the thin SVD's; the
/// others complete orthonormal bases of the whole spaces and meet only zeros of `Σ`, so
/// they never change the product (for a wide matrix, the last `n - k` rows of `Vᵀ` span
/// the null space of `A`).
#[derive(Clone, Debug)]
pub struct FullSvd {
    pub u: Array2<f64>,
    pub s: Array1<f64>,
    pub vt: Array2<f64>,
}

impl FullSvd {
    /// The thin SVD inside this one: the first `k` columns of `U` and rows of `Vᵀ`.
    ///
    /// ```
    /// use ndarray::array;
    /// let a = array![[3.0, 0.0, 0.0], [0.0, 0.0, 2.0]];
    /// let f = topicmod::svd::svd_full(&a).unwrap();
    /// assert_eq!((f.u.dim(), f.s.len(), f.vt.dim()), ((2, 2), 2, (3, 3)));
    /// let thin = f.thin();
    /// assert_eq!(thin.vt.dim(), (2, 3));
    /// assert!(topicmod::svd::allclose(&thin.reconstruct(), &a, 1e-12, 1e-12));
    /// ```
    pub fn thin(&self) -> Svd {
        let k = self.s.len();
        Svd {
            u: self.u.slice(s![.., ..k]).to_owned(),
            s: self.s.clone(),
            vt: self.vt.slice(s![..k, ..]).to_owned(),
        }
    }
}

/// Thin SVD of `a` (`m x n`) through LAPACK's `dgesdd`, with `k = min(m, n)` components.
///
/// Returns `U` (`m x k`, orthonormal columns), `s` (`k` values, decreasing, `>= 0`) and
/// `V^T` (`k x n`, orthonormal rows); `U` and `V^T` in column-major layout, as LAPACK
/// writes them (call `.as_standard_layout()` where row-major storage matters).
/// An empty matrix or one holding NaN or infinity is [`Error::InvalidInput`]; a LAPACK
/// failure (the iteration did not converge) is [`Error::Linalg`].
///
/// Each singular vector pair is defined only up to a joint sign flip; the signs here are
/// LAPACK's, as in SciPy and NumPy. A wide matrix (`n >= 11 m / 6`) takes `dgesdd`'s own
/// route with its first step, the LQ factorization, computed as a QR factorization of
/// `Aᵀ` (see `lapack::wide_svd`): the same signs as `dgesdd`, values equal to rounding.
pub fn svd<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Result<Svd> {
    let (m, n) = check_not_empty(a.dim())?;
    if m < n && n >= m * 11 / 6 {
        wide_svd(a.view())
    } else {
        gesdd_svd(a.view())
    }
}

/// Full SVD of `a` (`m x n`) through LAPACK's `dgesdd`: `U` is `m x m`, `Vᵀ` is `n x n`
/// (SciPy's and NumPy's `full_matrices=True`, NumPy's default).
///
/// The singular values are the thin SVD's ([`svd`]); what is extra is the rest of the
/// square factors. For a wide matrix that is costly: the `n x n` `Vᵀ` has `n²` entries
/// where the thin one has `m n`, and LAPACK must build all of them (for the lesson's
/// 2034 x 26576 matrix, 706 million numbers, 5.6 GB, against 54 million). Same errors as
/// [`svd`]: [`Error::InvalidInput`] for an empty matrix or NaN/infinite entries,
/// [`Error::Linalg`] if LAPACK fails. `U` and `Vᵀ` come in column-major layout.
///
/// ```
/// use ndarray::array;
/// use topicmod::svd::{is_orthonormal_rows, svd, svd_full};
/// let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let f = svd_full(&a).unwrap();
/// assert_eq!(f.vt.dim(), (3, 3));
/// assert!(is_orthonormal_rows(&f.vt, 1e-12));
/// // the third row of Vᵀ is orthogonal to both rows of A: A v₃ = 0
/// assert!(a.dot(&f.vt.row(2)).iter().all(|x| x.abs() < 1e-12));
/// assert!(topicmod::svd::allclose(&f.s, &svd(&a).unwrap().s, 1e-12, 1e-12));
/// ```
pub fn svd_full<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Result<FullSvd> {
    svd_full_view(a.view())
}

fn svd_full_view(a: ndarray::ArrayView2<f64>) -> Result<FullSvd> {
    check_not_empty(a.dim())?;
    gesdd_full_svd(a)
}

/// The shape back, or [`Error::InvalidInput`] for a matrix with no entries.
fn check_not_empty((m, n): (usize, usize)) -> Result<(usize, usize)> {
    if m == 0 || n == 0 {
        return Err(Error::InvalidInput(format!(
            "cannot take the SVD of an empty {m} x {n} matrix"
        )));
    }
    Ok((m, n))
}

/// `||U diag(s) V^T - A||_F`, how far the factorization is from `a`.
///
/// Computed a block of rows at a time, so no second `m x n` matrix is held in memory.
/// [`Error::ShapeMismatch`] if `a`'s shape is not the factorization's `(m, n)` or the
/// factors do not fit together.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let f = topicmod::svd::svd(&a).unwrap();
/// assert!(topicmod::svd::reconstruction_error(&a, &f).unwrap() < 1e-13);
/// assert!(topicmod::svd::reconstruction_error(&a.t(), &f).is_err());
/// ```
pub fn reconstruction_error<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>, svd: &Svd) -> Result<f64> {
    // The work happens in non-generic code, compiled once (optimized) in this crate.
    reconstruction_error_view(a.view(), svd)
}

fn reconstruction_error_view(a: ndarray::ArrayView2<f64>, svd: &Svd) -> Result<f64> {
    if a.dim() != svd.dims() || svd.u.ncols() != svd.s.len() || svd.vt.nrows() != svd.s.len() {
        return Err(Error::ShapeMismatch(format!(
            "matrix is {} x {} but the factors are U {} x {}, s {}, Vt {} x {}",
            a.nrows(),
            a.ncols(),
            svd.u.nrows(),
            svd.u.ncols(),
            svd.s.len(),
            svd.vt.nrows(),
            svd.vt.ncols()
        )));
    }
    const BLOCK: usize = 256;
    let us = svd.scaled_u();
    let mut sum_sq = 0.0;
    let m = a.nrows();
    let mut start = 0;
    while start < m {
        let end = (start + BLOCK).min(m);
        let mut block = us.slice(s![start..end, ..]).dot(&svd.vt);
        block -= &a.slice(s![start..end, ..]);
        sum_sq += block.iter().map(|d| d * d).sum::<f64>();
        start = end;
    }
    Ok(sum_sq.sqrt())
}

/// NumPy's `allclose`: same shape and `|a - b| <= atol + rtol |b|` for every entry.
///
/// Like NumPy the test is not symmetric (`b` is the reference), NaN is never close to
/// anything, and infinities are close only to the same infinity. Different shapes give
/// `false`. NumPy's defaults are `rtol = 1e-5`, `atol = 1e-8`.
///
/// ```
/// use ndarray::array;
/// use topicmod::svd::allclose;
/// assert!(allclose(&array![1.0, 2.0], &array![1.0 + 1e-9, 2.0], 1e-5, 1e-8));
/// assert!(!allclose(&array![1.0, f64::NAN], &array![1.0, f64::NAN], 1e-5, 1e-8));
/// assert!(!allclose(&array![1.0, 2.0], &array![1.0], 1e-5, 1e-8));
/// ```
pub fn allclose<S1, S2, D>(a: &ArrayBase<S1, D>, b: &ArrayBase<S2, D>, rtol: f64, atol: f64) -> bool
where
    S1: Data<Elem = f64>,
    S2: Data<Elem = f64>,
    D: Dimension,
{
    if a.shape() != b.shape() {
        return false;
    }
    Zip::from(a).and(b).all(|&x, &y| {
        if x == y {
            true // also equal infinities
        } else if !x.is_finite() || !y.is_finite() {
            false
        } else {
            (x - y).abs() <= atol + rtol * y.abs()
        }
    })
}

/// `max |Q^T Q - I|`: how far the columns of `q` are from orthonormal (0 when exact).
///
/// ```
/// use ndarray::array;
/// let q = array![[0.6, 0.0], [0.8, 0.0], [0.0, 2.0]];
/// assert!((topicmod::svd::orthonormality_error(&q) - 3.0).abs() < 1e-15);
/// ```
pub fn orthonormality_error<S: Data<Elem = f64>>(q: &ArrayBase<S, Ix2>) -> f64 {
    gram_error_of(q.view().reversed_axes())
}

/// `max |Q Q^T - I|`: how far the rows of `q` are from orthonormal (0 when exact).
pub fn orthonormality_error_rows<S: Data<Elem = f64>>(q: &ArrayBase<S, Ix2>) -> f64 {
    gram_error_of(q.view())
}

/// `max |Q Qᵀ - I|` (non-generic: compiled once, in this crate).
fn gram_error_of(q: ndarray::ArrayView2<f64>) -> f64 {
    gram_error(q.dot(&q.t()))
}

/// Whether the columns of `q` are orthonormal to within `tol` (see [`orthonormality_error`]).
pub fn is_orthonormal_columns<S: Data<Elem = f64>>(q: &ArrayBase<S, Ix2>, tol: f64) -> bool {
    orthonormality_error(q) <= tol
}

/// Whether the rows of `q` are orthonormal to within `tol` (see [`orthonormality_error_rows`]).
pub fn is_orthonormal_rows<S: Data<Elem = f64>>(q: &ArrayBase<S, Ix2>, tol: f64) -> bool {
    orthonormality_error_rows(q) <= tol
}

/// `max |G - I|` for a square Gram matrix; NaN entries make the result NaN.
fn gram_error(g: Array2<f64>) -> f64 {
    identity_deviation(g.view()).0
}

/// `max |G − I|` over a square `g`, with the first entry `(i, j)` where it occurs (NaN, at the
/// first NaN entry, if there is one). The orthonormality errors above and the exercise check
/// of a Gram matrix both read it.
pub(crate) fn identity_deviation(g: ndarray::ArrayView2<f64>) -> (f64, (usize, usize)) {
    let mut worst = (0.0f64, (0, 0));
    for ((i, j), &v) in g.indexed_iter() {
        let d = (v - if i == j { 1.0 } else { 0.0 }).abs();
        if d.is_nan() {
            return (f64::NAN, (i, j));
        }
        if d > worst.0 {
            worst = (d, (i, j));
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RandomState;
    use ndarray::array;

    #[test]
    fn shapes_follow_the_thin_convention() {
        let mut rs = RandomState::new(7);
        for (m, n) in [(5, 3), (3, 5), (4, 4), (1, 6), (6, 1)] {
            let a = rs.standard_normal_matrix(m, n);
            let f = svd(&a).unwrap();
            let k = m.min(n);
            assert_eq!(f.u.dim(), (m, k));
            assert_eq!(f.s.len(), k);
            assert_eq!(f.vt.dim(), (k, n));
            // column-major, as LAPACK writes them (and SciPy returns them)
            assert!(f.u.t().is_standard_layout() && f.vt.t().is_standard_layout());
            assert!(f.s.windows(2).into_iter().all(|w| w[0] >= w[1]));
            assert!(reconstruction_error(&a, &f).unwrap() < 1e-12);
            assert!(is_orthonormal_columns(&f.u, 1e-13));
            assert!(is_orthonormal_rows(&f.vt, 1e-13));
        }
    }

    #[test]
    fn wide_route_matches_dgesdd_on_the_whole_matrix() {
        // The wide route (QR of Aᵀ, then dgesdd on L) against dgesdd on A itself: the
        // same signs and, up to rounding, the same numbers; row-major, column-major and
        // sparse-looking inputs, down to the smallest shapes that take the route.
        let mut rs = RandomState::new(11);
        for (m, n) in [(1, 2), (2, 3), (6, 11), (7, 12), (20, 100), (60, 400)] {
            let mut a = rs.standard_normal_matrix(m, n);
            if m >= 20 {
                // mostly zeros with a few counts, like a bag of words
                a.mapv_inplace(|x| if x > 1.2 { (3.0 * x).floor() } else { 0.0 });
            }
            let reference = gesdd_svd(a.view()).unwrap();
            for input in [
                a.clone(),
                a.t().as_standard_layout().reversed_axes().to_owned(),
            ] {
                let f = svd(&input).unwrap();
                assert!(f.u.t().is_standard_layout() && f.vt.t().is_standard_layout());
                let scale = reference.s[0];
                assert!(
                    allclose(&f.s, &reference.s, 1e-12, 1e-13 * scale),
                    "{m} x {n}"
                );
                // singular vectors of (numerically) distinct singular values
                for t in 0..m.min(n) {
                    let gap = |u: usize| (reference.s[t] - reference.s[u]).abs();
                    if (t > 0 && gap(t - 1) < 1e-8 * scale)
                        || (t + 1 < m && gap(t + 1) < 1e-8 * scale)
                    {
                        continue;
                    }
                    // With the `torch` feature, libtorch's bundled LAPACK answers these
                    // calls, and its dgesdd need not choose the reference LAPACK's signs
                    // (see the README): there the pair may come out flipped, jointly.
                    let flip =
                        if cfg!(feature = "torch") && f.vt.row(t).dot(&reference.vt.row(t)) < 0.0 {
                            -1.0
                        } else {
                            1.0
                        };
                    let (ours, theirs) = (&f.vt.row(t) * flip, reference.vt.row(t));
                    assert!(allclose(&ours, &theirs, 1e-8, 1e-10), "{m} x {n}, row {t}");
                    let (ours, theirs) = (&f.u.column(t) * flip, reference.u.column(t));
                    assert!(
                        allclose(&ours, &theirs, 1e-8, 1e-10),
                        "{m} x {n}, column {t}"
                    );
                }
                assert!(reconstruction_error(&a, &f).unwrap() < 1e-12 * scale * (n as f64));
            }
        }
        let mut bad = rs.standard_normal_matrix(3, 9);
        bad[[2, 8]] = f64::NAN;
        assert!(matches!(svd(&bad), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn full_svd_has_square_orthogonal_factors() {
        let mut rs = RandomState::new(5);
        for (m, n) in [(5, 3), (3, 5), (4, 4), (1, 6), (6, 1), (20, 70)] {
            let mut a = rs.standard_normal_matrix(m, n);
            if m >= 20 {
                // rank-deficient: a repeated row, so one singular value is (numerically) 0
                let row = a.row(0).to_owned();
                a.row_mut(1).assign(&row);
            }
            let f = svd_full(&a).unwrap();
            let k = m.min(n);
            assert_eq!((f.u.dim(), f.s.len(), f.vt.dim()), ((m, m), k, (n, n)));
            // square and orthogonal: orthonormal columns and rows alike
            for q in [&f.u, &f.vt] {
                assert!(is_orthonormal_columns(q, 1e-13) && is_orthonormal_rows(q, 1e-13));
            }
            let thin = svd(&a).unwrap();
            let scale = thin.s[0];
            assert!(allclose(&f.s, &thin.s, 1e-12, 1e-13 * scale), "{m} x {n}");
            assert!(reconstruction_error(&a, &f.thin()).unwrap() < 1e-12 * scale * (n as f64));
            // the rows of Vᵀ beyond the k-th (and the columns of U beyond it) meet only
            // zeros of Σ: A maps them to zero
            if n > k {
                let rest = a.dot(&f.vt.slice(s![k.., ..]).t());
                assert!(rest.iter().all(|x| x.abs() < 1e-12 * scale), "{m} x {n}");
            }
            if m > k {
                let rest = a.t().dot(&f.u.slice(s![.., k..]));
                assert!(rest.iter().all(|x| x.abs() < 1e-12 * scale), "{m} x {n}");
            }
        }
        assert!(matches!(
            svd_full(&Array2::<f64>::zeros((0, 3))),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            svd_full(&array![[1.0, f64::NAN], [0.0, 1.0]]),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn accepts_views_and_transposes() {
        let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let f = svd(&a.t()).unwrap();
        assert!(allclose(&f.reconstruct(), &a.t(), 1e-12, 1e-12));
        let g = svd(&a.view()).unwrap();
        assert!(allclose(&f.s, &g.s, 1e-12, 0.0));
    }

    #[test]
    fn bad_input_is_an_error() {
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(matches!(svd(&empty), Err(Error::InvalidInput(_))));
        assert!(matches!(
            svd(&Array2::<f64>::zeros((3, 0))),
            Err(Error::InvalidInput(_))
        ));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let a = array![[1.0, bad], [0.0, 1.0]];
            assert!(matches!(svd(&a), Err(Error::InvalidInput(_))));
        }
    }

    #[test]
    fn zero_matrix_has_zero_singular_values() {
        let f = svd(&Array2::<f64>::zeros((3, 2))).unwrap();
        assert_eq!(f.s, array![0.0, 0.0]);
        assert!(is_orthonormal_columns(&f.u, 1e-14));
    }

    #[test]
    fn truncate_checks_rank() {
        let a = array![[3.0, 1.0], [1.0, 3.0], [0.0, 0.0]];
        let f = svd(&a).unwrap();
        for k in [0, 3] {
            match f.truncate(k) {
                Err(Error::InvalidRank {
                    requested,
                    rows,
                    cols,
                    ..
                }) => {
                    assert_eq!((requested, rows, cols), (k, 3, 2))
                }
                other => panic!("expected InvalidRank, got {other:?}"),
            }
        }
        let t = f.truncate(1).unwrap();
        // singular values 4 and 2: the rank-1 error is the dropped one
        assert!((reconstruction_error(&a, &t).unwrap() - 2.0).abs() < 1e-12);
        assert!(
            reconstruction_error(&a, &f.truncate(2).unwrap())
                .unwrap()
                .abs()
                < 1e-13
        );
    }

    #[test]
    fn reconstruction_error_spans_blocks_and_checks_shape() {
        let mut rs = RandomState::new(3);
        let a = rs.standard_normal_matrix(600, 20);
        let f = svd(&a).unwrap();
        let e = reconstruction_error(&a, &f).unwrap();
        let direct = (&f.reconstruct() - &a).mapv(|d| d * d).sum().sqrt();
        assert!((e - direct).abs() < 1e-13 && e < 1e-11);
        let t = f.truncate(5).unwrap();
        let expect = f.s.slice(s![5..]).mapv(|v| v * v).sum().sqrt();
        assert!((reconstruction_error(&a, &t).unwrap() - expect).abs() < 1e-10 * expect);
        assert!(matches!(
            reconstruction_error(&a.t(), &f),
            Err(Error::ShapeMismatch(_))
        ));
    }

    #[test]
    fn allclose_matches_numpy() {
        // np.allclose(a, b) is |a-b| <= atol + rtol*|b|, with b the reference
        assert!(allclose(&array![100.0], &array![100.0 + 1e-3], 1e-5, 0.0));
        assert!(!allclose(&array![100.0], &array![100.0 + 2e-3], 1e-5, 0.0));
        // asymmetry: rtol scales |b| only
        assert!(allclose(&array![0.0], &array![1e-8], 0.0, 1e-8));
        assert!(allclose(&array![2.0], &array![1.0], 1.0, 0.0));
        assert!(!allclose(&array![1.0], &array![2.0], 0.4, 0.0));
        assert!(allclose(
            &array![f64::INFINITY],
            &array![f64::INFINITY],
            0.0,
            0.0
        ));
        assert!(!allclose(
            &array![f64::INFINITY],
            &array![f64::NEG_INFINITY],
            1.0,
            1.0
        ));
        assert!(!allclose(&array![f64::INFINITY], &array![1e300], 1.0, 1.0));
        assert!(!allclose(&array![f64::NAN], &array![f64::NAN], 1.0, 1.0));
        assert!(!allclose(
            &array![[1.0, 2.0]],
            &array![[1.0], [2.0]],
            1.0,
            1.0
        ));
        assert!(allclose(
            &Array2::<f64>::zeros((0, 3)),
            &Array2::<f64>::zeros((0, 3)),
            0.0,
            0.0
        ));
    }

    #[test]
    fn orthonormality_errors() {
        let q = array![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
        assert_eq!(orthonormality_error(&q), 0.0);
        assert_eq!(orthonormality_error_rows(&q.t()), 0.0);
        // rows of a tall matrix cannot be orthonormal: the third row is zero
        assert_eq!(orthonormality_error_rows(&q), 1.0);
        let skew = array![[1.0, 0.1], [0.0, 1.0]];
        assert!((orthonormality_error(&skew) - 0.1).abs() < 1e-15);
        assert!(!is_orthonormal_columns(&skew, 0.05) && is_orthonormal_columns(&skew, 0.2));
        assert!(orthonormality_error(&array![[f64::NAN]]).is_nan());
        assert!(!is_orthonormal_rows(&array![[f64::NAN]], 1.0));
    }
}
