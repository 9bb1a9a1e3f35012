//! One abstraction for "a matrix we multiply by": dense `ndarray` arrays and sparse
//! CSR matrices from `sprs`.
//!
//! Randomized SVD only needs the products `A X` and `A^T X`; NMF and the gradient
//! descent code also need a few reductions (sum, sum of squares, minimum, NaN check).
//! [`DataMatrix`] gathers those, so each algorithm is written once and runs on both
//! representations. Beside the traits: the sparse products [`csr_dot_dense`] and
//! [`csr_t_dot_dense`], the Gram matrix [`gram`] (`AᵀA`), and [`CsrWithTranspose`].
//!
//! The loops behind the products live in `kernels.rs` (gathers, scatters, prefetching,
//! the Gram kernel); `blas.rs` holds the OpenBLAS thread-count switch.

use ndarray::{Array2, ArrayBase, ArrayView2, Data, Ix2};
use sprs::CsMat;

mod blas;
mod kernels;

pub(crate) use blas::SingleThreadedBlas;
pub(crate) use kernels::{gram_upper_add, mirror_upper};

/// Sparse matrix type used throughout the crate (compressed sparse rows, `f64`).
pub type Csr = CsMat<f64>;

/// A linear operator `A` of shape `(m, n)`: all that range finders need.
pub trait LinearOperator {
    /// `(rows, cols)`.
    fn dims(&self) -> (usize, usize);
    /// `A X` for a dense `X` of shape `(n, k)`, giving `(m, k)`.
    fn matmul(&self, x: &ArrayView2<f64>) -> Array2<f64>;
    /// `A^T X` for a dense `X` of shape `(m, k)`, giving `(n, k)`.
    fn t_matmul(&self, x: &ArrayView2<f64>) -> Array2<f64>;
    /// `true` for sparse storage (its products run on the crate's own kernels).
    fn is_sparse(&self) -> bool {
        false
    }
    /// The CSR matrix behind this operator, if it is one (algorithms that multiply by `Aᵀ`
    /// many times use it to build a [`CsrWithTranspose`]).
    fn as_csr(&self) -> Option<&Csr> {
        None
    }
    /// This operator as a trait object (implementations return `self`). The crate's
    /// generic entry points (`randomized_svd` and friends) hand it to non-generic bodies,
    /// so the algorithms are compiled once, optimized, in this crate, and not again in
    /// every program or notebook cell that calls them with its own matrix type.
    fn as_operator(&self) -> &dyn LinearOperator;
}

/// A data matrix: a [`LinearOperator`] whose entries we can also reduce over.
pub trait DataMatrix: LinearOperator {
    /// Sum of all entries.
    fn sum_all(&self) -> f64;
    /// Sum of squared entries, `||A||_F^2`.
    fn sum_sq(&self) -> f64;
    /// Smallest entry (structural zeros of a sparse matrix count as `0.0`); NaN if any entry is NaN.
    fn min_entry(&self) -> f64;
    /// Whether any stored entry is NaN or infinite.
    fn has_non_finite(&self) -> bool;
    /// A dense copy.
    fn to_array(&self) -> Array2<f64>;
    /// Mean of all entries, `sum / (m n)`.
    fn mean_all(&self) -> f64 {
        let (m, n) = self.dims();
        self.sum_all() / (m * n) as f64
    }
    /// This matrix as a trait object (implementations return `self`); see
    /// [`LinearOperator::as_operator`].
    fn as_data_matrix(&self) -> &dyn DataMatrix;
}

impl<S: Data<Elem = f64>> LinearOperator for ArrayBase<S, Ix2> {
    fn dims(&self) -> (usize, usize) {
        self.dim()
    }
    fn matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        self.view().dot(x)
    }
    fn t_matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        self.t().dot(x)
    }
    fn as_operator(&self) -> &dyn LinearOperator {
        self
    }
}

// The dense reductions take a view and run non-generic code, compiled once (optimized) in
// this crate rather than in every program or notebook cell that uses its own `S`.
impl<S: Data<Elem = f64>> DataMatrix for ArrayBase<S, Ix2> {
    fn sum_all(&self) -> f64 {
        dense_sum(self.view())
    }
    fn sum_sq(&self) -> f64 {
        dense_sum_sq(self.view())
    }
    fn min_entry(&self) -> f64 {
        dense_min(self.view())
    }
    fn has_non_finite(&self) -> bool {
        dense_has_non_finite(self.view())
    }
    fn to_array(&self) -> Array2<f64> {
        self.to_owned()
    }
    fn as_data_matrix(&self) -> &dyn DataMatrix {
        self
    }
}

fn dense_sum(a: ArrayView2<f64>) -> f64 {
    a.iter().sum()
}

fn dense_sum_sq(a: ArrayView2<f64>) -> f64 {
    a.iter().map(|v| v * v).sum()
}

fn dense_min(a: ArrayView2<f64>) -> f64 {
    min_of(a.iter().copied(), false)
}

fn dense_has_non_finite(a: ArrayView2<f64>) -> bool {
    a.iter().any(|v| !v.is_finite())
}

impl LinearOperator for Csr {
    fn dims(&self) -> (usize, usize) {
        CsMat::shape(self)
    }
    fn matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        csr_dot_dense(self, x)
    }
    fn t_matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        csr_t_dot_dense(self, x)
    }
    fn is_sparse(&self) -> bool {
        true
    }
    fn as_csr(&self) -> Option<&Csr> {
        Some(self)
    }
    fn as_operator(&self) -> &dyn LinearOperator {
        self
    }
}

impl DataMatrix for Csr {
    fn sum_all(&self) -> f64 {
        self.data().iter().sum()
    }
    fn sum_sq(&self) -> f64 {
        self.data().iter().map(|v| v * v).sum()
    }
    fn min_entry(&self) -> f64 {
        let (m, n) = CsMat::shape(self);
        min_of(self.data().iter().copied(), self.nnz() < m * n)
    }
    fn has_non_finite(&self) -> bool {
        self.data().iter().any(|v| !v.is_finite())
    }
    fn to_array(&self) -> Array2<f64> {
        self.to_dense()
    }
    fn as_data_matrix(&self) -> &dyn DataMatrix {
        self
    }
}

fn min_of(values: impl Iterator<Item = f64>, has_implicit_zero: bool) -> f64 {
    let start = if has_implicit_zero {
        0.0
    } else {
        f64::INFINITY
    };
    values.fold(start, |acc, v| {
        if v.is_nan() || acc.is_nan() {
            f64::NAN
        } else {
            acc.min(v)
        }
    })
}

/// `A X` for CSR `A` (`m x n`) and dense `X` (`n x k`); works for CSC storage too.
///
/// Row `i` of the result is `sum_j A[i, j] X[j, :]`, accumulated in stored order. Large
/// products split the rows between threads; every row is still summed by one thread in
/// stored order, so the result does not depend on the number of threads.
pub fn csr_dot_dense(a: &Csr, x: &ArrayView2<f64>) -> Array2<f64> {
    kernels::gather_product(a, x, None)
}

/// `A^T X` for CSR `A` (`m x n`) and dense `X` (`m x k`), without forming `A^T`.
///
/// Row `i` of `X`, scaled by `A[i, j]`, is added into row `j` of the result. Large
/// products scatter two fixed halves of `A`'s rows into separate buffers (on two threads
/// when allowed) and add the two at the end: the same grouping of sums on every machine.
pub fn csr_t_dot_dense(a: &Csr, x: &ArrayView2<f64>) -> Array2<f64> {
    kernels::scatter_product(a, x)
}

/// `AᵀA` (`k x k`) for a tall dense `A` (`rows x k`), by a single pass over the rows.
///
/// Written out rather than handed to BLAS: for `k` around 5 a threaded `gemm` costs more in
/// thread start-up than the arithmetic itself. The rows are cut into fixed blocks of 2048;
/// each block is summed from zero by the crate's one Gram kernel and the block sums are
/// added in block order, so the result does not depend on how many threads share the
/// blocks.
pub fn gram(a: ArrayView2<f64>) -> Array2<f64> {
    let k = a.ncols();
    let a = a.as_standard_layout();
    let flat = a.as_slice().expect("standard layout is contiguous");
    Array2::from_shape_vec((k, k), kernels::gram_blocked(flat, k)).expect("k x k")
}

/// A CSR matrix `A` together with a CSR copy of `Aᵀ`, so that both `A X` and `Aᵀ X` run
/// as row-by-row gathers ([`csr_dot_dense`]): each output row is summed by one thread, in
/// stored order, reading `X` instead of scattering into the output. Building `Aᵀ` costs
/// one pass over the stored entries; iterative methods (power iterations, NMF) repay it
/// after a product or two.
///
/// Row `j` of `Aᵀ X` is `Σ_i A[i, j] X[i, :]` summed over `i` in increasing order.
pub struct CsrWithTranspose<'a> {
    a: &'a Csr,
    at: Csr,
    /// `Some(1)`: products on the calling thread only; `None`: shared out as they are worth.
    parts: Option<usize>,
}

impl<'a> CsrWithTranspose<'a> {
    /// Stores `Aᵀ` next to `a` (a CSC `a` is first read as CSR).
    pub fn new(a: &'a Csr) -> Self {
        CsrWithTranspose {
            a,
            at: kernels::transpose_csr(a),
            parts: None,
        }
    }
    /// The same, with every product on the calling thread: for small products made many
    /// times in a loop (a mini-batch step), where starting threads costs more than it
    /// saves. The same sums in the same order, so the same results.
    pub(crate) fn serial(a: &'a Csr) -> Self {
        CsrWithTranspose {
            parts: Some(1),
            ..Self::new(a)
        }
    }
    /// The matrix `A`.
    pub fn matrix(&self) -> &Csr {
        self.a
    }
}

impl LinearOperator for CsrWithTranspose<'_> {
    fn dims(&self) -> (usize, usize) {
        CsMat::shape(self.a)
    }
    fn matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        kernels::gather_product(self.a, x, self.parts)
    }
    fn t_matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        kernels::gather_product(&self.at, x, self.parts)
    }
    fn is_sparse(&self) -> bool {
        true
    }
    fn as_operator(&self) -> &dyn LinearOperator {
        self
    }
}

impl DataMatrix for CsrWithTranspose<'_> {
    fn sum_all(&self) -> f64 {
        self.a.sum_all()
    }
    fn sum_sq(&self) -> f64 {
        self.a.sum_sq()
    }
    fn min_entry(&self) -> f64 {
        self.a.min_entry()
    }
    fn has_non_finite(&self) -> bool {
        self.a.has_non_finite()
    }
    fn to_array(&self) -> Array2<f64> {
        self.a.to_array()
    }
    fn as_data_matrix(&self) -> &dyn DataMatrix {
        self
    }
}

/// `A^T` as an operator, without copying `A`.
pub struct Transposed<'a, A: ?Sized>(pub &'a A);

impl<A: LinearOperator + ?Sized> LinearOperator for Transposed<'_, A> {
    fn dims(&self) -> (usize, usize) {
        let (m, n) = self.0.dims();
        (n, m)
    }
    fn matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        self.0.t_matmul(x)
    }
    fn t_matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        self.0.matmul(x)
    }
    fn is_sparse(&self) -> bool {
        self.0.is_sparse()
    }
    fn as_operator(&self) -> &dyn LinearOperator {
        self
    }
}

/// A dense `m x n` array as CSR, dropping exact zeros.
pub fn dense_to_csr<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>) -> Csr {
    let (m, n) = a.dim();
    let mut indptr = Vec::with_capacity(m + 1);
    let mut indices = Vec::new();
    let mut data = Vec::new();
    indptr.push(0);
    for row in a.rows() {
        for (j, &v) in row.iter().enumerate() {
            if v != 0.0 {
                indices.push(j);
                data.push(v);
            }
        }
        indptr.push(indices.len());
    }
    CsMat::new((m, n), indptr, indices, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn sparse_and_dense_products_agree() {
        let a = array![[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]];
        let s = dense_to_csr(&a);
        let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let y = array![[1.0], [-1.0]];
        assert_eq!(s.matmul(&x.view()), a.dot(&x));
        assert_eq!(s.t_matmul(&y.view()), a.t().dot(&y));
        assert_eq!(a.matmul(&x.view()), a.dot(&x));
        let t = Transposed(&s);
        assert_eq!(t.dims(), (3, 2));
        assert_eq!(t.matmul(&y.view()), a.t().dot(&y));
        assert_eq!(s.min_entry(), 0.0);
        assert_eq!(a.min_entry(), 0.0);
        assert_eq!(s.sum_sq(), 14.0);
        assert!((s.mean_all() - 1.0).abs() < 1e-15);
        assert_eq!(s.to_array(), a);
    }

    #[test]
    fn strided_inputs_and_csc_storage() {
        let a = array![[1.0, 0.0, 2.0], [0.0, -1.0, 3.0]];
        let s = dense_to_csr(&a);
        let xt = array![[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]];
        assert_eq!(s.matmul(&xt.t()), a.dot(&xt.t()));
        let yt = array![[1.0, -1.0], [0.5, 2.0]];
        assert_eq!(s.t_matmul(&yt.t()), a.t().dot(&yt.t()));
        let csc = s.to_other_storage();
        assert_eq!(csr_dot_dense(&csc, &xt.t()), a.dot(&xt.t()));
        assert_eq!(csr_t_dot_dense(&csc, &yt.t()), a.t().dot(&yt.t()));
    }

    #[test]
    fn fixed_width_threaded_and_fallback_kernels_agree_with_dense() {
        let mut rng = crate::rng::RandomState::new(4);
        // ~18k stored entries: with k >= 8 the products are split between threads.
        let a = rng
            .standard_normal_matrix(300, 200)
            .mapv(|v| if v > 0.5 { v } else { 0.0 });
        let s = dense_to_csr(&a);
        for k in [1, 5, 15, 32, 33, 40] {
            let x = rng.standard_normal_matrix(200, k);
            let y = rng.standard_normal_matrix(300, k);
            let d1 = &s.matmul(&x.view()) - &a.dot(&x);
            let d2 = &s.t_matmul(&y.view()) - &a.t().dot(&y);
            let worst = d1
                .iter()
                .chain(d2.iter())
                .fold(0.0_f64, |m, v| m.max(v.abs()));
            assert!(worst < 1e-11, "k = {k}: {worst}");
        }
        assert_eq!(kernels::split_rows(&[0, 0, 0], 2), vec![(0, 2)]);
        assert_eq!(
            kernels::split_rows(&[0, 5, 10, 10], 2),
            vec![(0, 1), (1, 3)]
        );
    }

    #[test]
    fn stored_transpose_gives_the_same_products() {
        let mut rng = crate::rng::RandomState::new(5);
        let a = rng
            .standard_normal_matrix(120, 90)
            .mapv(|v| if v > 0.8 { v } else { 0.0 });
        let x = rng.standard_normal_matrix(90, 7);
        let y = rng.standard_normal_matrix(120, 7);
        for s in [dense_to_csr(&a), dense_to_csr(&a).to_other_storage()] {
            let pair = CsrWithTranspose::new(&s);
            assert_eq!(pair.dims(), (120, 90));
            assert!(pair.is_sparse() && pair.as_csr().is_none());
            let d1 = &pair.matmul(&x.view()) - &a.dot(&x);
            let d2 = &pair.t_matmul(&y.view()) - &a.t().dot(&y);
            let worst = d1.iter().chain(&d2).fold(0.0_f64, |m, v| m.max(v.abs()));
            assert!(worst < 1e-12, "{worst}");
            assert_eq!(pair.sum_sq(), s.sum_sq());
            assert_eq!(pair.to_array(), a);
        }
    }

    #[test]
    fn gram_is_a_transpose_a_for_every_width() {
        let mut rng = crate::rng::RandomState::new(6);
        // 5000 rows: three blocks of `GRAM_BLOCK`, split between threads for k >= 5.
        for k in [0, 1, 5, 32, 33] {
            let a = rng.standard_normal_matrix(5000, k);
            let g = gram(a.view());
            let d = &g - &a.t().dot(&a);
            let worst = d.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            assert!(worst < 1e-9, "k = {k}: {worst}");
            assert_eq!(g, g.t());
            // a column-major view gives the same sums
            assert_eq!(gram(a.t().as_standard_layout().t()), g);
        }
    }

    #[test]
    fn min_sees_nan() {
        let a = array![[1.0, f64::NAN]];
        assert!(a.min_entry().is_nan());
        assert!(dense_to_csr(&a).has_non_finite());
    }
}
