//! One abstraction for "a matrix we multiply by": dense `ndarray` arrays and sparse
//! CSR matrices from `sprs`.
//!
//! Randomized SVD only needs the products `A X` and `A^T X`; NMF and the gradient
//! descent code also need a few reductions (sum, sum of squares, minimum, NaN check).
//! [`DataMatrix`] gathers those, so each algorithm is written once and runs on both
//! representations.

use ndarray::{Array2, ArrayBase, ArrayView2, Data, Ix2};
use sprs::CsMat;

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
    /// `true` for sparse storage.
    fn is_sparse(&self) -> bool {
        false
    }
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
}

impl<S: Data<Elem = f64>> DataMatrix for ArrayBase<S, Ix2> {
    fn sum_all(&self) -> f64 {
        self.iter().sum()
    }
    fn sum_sq(&self) -> f64 {
        self.iter().map(|v| v * v).sum()
    }
    fn min_entry(&self) -> f64 {
        min_of(self.iter().copied(), false)
    }
    fn has_non_finite(&self) -> bool {
        self.iter().any(|v| !v.is_finite())
    }
    fn to_array(&self) -> Array2<f64> {
        self.to_owned()
    }
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
    fn is_sparse(&self) -> bool {
        true
    }
}

fn min_of(values: impl Iterator<Item = f64>, has_implicit_zero: bool) -> f64 {
    let start = if has_implicit_zero { 0.0 } else { f64::INFINITY };
    values.fold(start, |acc, v| if v.is_nan() || acc.is_nan() { f64::NAN } else { acc.min(v) })
}

/// `A X` for CSR `A` (`m x n`) and dense `X` (`n x k`); works for CSC storage too.
///
/// Row `i` of the result is `sum_j A[i, j] X[j, :]`, accumulated in stored order.
pub fn csr_dot_dense(a: &Csr, x: &ArrayView2<f64>) -> Array2<f64> {
    let (m, n) = CsMat::shape(a);
    assert_eq!(n, x.nrows(), "csr_dot_dense: inner dimensions differ");
    if a.is_csc() {
        return csr_t_dot_dense(&a.transpose_view().to_owned(), x);
    }
    let k = x.ncols();
    let x = x.as_standard_layout();
    let xs = x.as_slice().expect("standard layout is contiguous");
    let mut out = Array2::<f64>::zeros((m, k));
    let os = out.as_slice_mut().expect("fresh array is contiguous");
    let (ip, ix, dv) = (a.indptr(), a.indices(), a.data());
    let ip = ip.raw_storage();
    for (i, o) in os.chunks_exact_mut(k.max(1)).take(m).enumerate() {
        for t in ip[i] - ip[0]..ip[i + 1] - ip[0] {
            let v = dv[t];
            for (oc, &xc) in o.iter_mut().zip(&xs[ix[t] * k..(ix[t] + 1) * k]) {
                *oc += v * xc;
            }
        }
    }
    out
}

/// `A^T X` for CSR `A` (`m x n`) and dense `X` (`m x k`), without forming `A^T`.
///
/// Row `i` of `X`, scaled by `A[i, j]`, is added into row `j` of the result.
pub fn csr_t_dot_dense(a: &Csr, x: &ArrayView2<f64>) -> Array2<f64> {
    let (m, n) = CsMat::shape(a);
    assert_eq!(m, x.nrows(), "csr_t_dot_dense: inner dimensions differ");
    if a.is_csc() {
        return csr_dot_dense(&a.transpose_view().to_owned(), x);
    }
    let k = x.ncols();
    let x = x.as_standard_layout();
    let xs = x.as_slice().expect("standard layout is contiguous");
    let mut out = Array2::<f64>::zeros((n, k));
    let os = out.as_slice_mut().expect("fresh array is contiguous");
    let (ip, ix, dv) = (a.indptr(), a.indices(), a.data());
    let ip = ip.raw_storage();
    for (i, r) in xs.chunks_exact(k.max(1)).take(m).enumerate() {
        for t in ip[i] - ip[0]..ip[i + 1] - ip[0] {
            let v = dv[t];
            for (oc, &rc) in os[ix[t] * k..(ix[t] + 1) * k].iter_mut().zip(r) {
                *oc += v * rc;
            }
        }
    }
    out
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
    fn min_sees_nan() {
        let a = array![[1.0, f64::NAN]];
        assert!(a.min_entry().is_nan());
        assert!(dense_to_csr(&a).has_non_finite());
    }
}
