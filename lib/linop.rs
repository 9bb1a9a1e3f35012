//! One abstraction for "a matrix we multiply by": dense `ndarray` arrays and sparse
//! CSR matrices from `sprs`.
//!
//! Randomized SVD only needs the products `A X` and `A^T X`; NMF and the gradient
//! descent code also need a few reductions (sum, sum of squares, minimum, NaN check).
//! [`DataMatrix`] gathers those, so each algorithm is written once and runs on both
//! representations.

use crate::threads::{max_threads, run_jobs, threads_for, SPARSE_PRODUCT_MIN_WORK};
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
    csr_dot_dense_on(a, x, None)
}

/// `A X` in `parts` row blocks (None: as many as the product is worth, see `threads::threads_for`).
fn csr_dot_dense_on(a: &Csr, x: &ArrayView2<f64>, parts: Option<usize>) -> Array2<f64> {
    let (m, n) = CsMat::shape(a);
    assert_eq!(n, x.nrows(), "csr_dot_dense: inner dimensions differ");
    if a.is_csc() {
        return csr_t_dot_dense(&a.transpose_view().to_owned(), x);
    }
    let k = x.ncols();
    let x = x.as_standard_layout();
    let xs = x.as_slice().expect("standard layout is contiguous");
    if k == 0 || m == 0 {
        return Array2::zeros((m, k));
    }
    // Every entry is written below (each row once, from its accumulator).
    let mut os = Vec::with_capacity(m * k);
    let sp = SparseRows::of(a);
    let parts = split_rows(
        sp.ip,
        parts.unwrap_or_else(|| threads_for(a.nnz().saturating_mul(k), SPARSE_PRODUCT_MIN_WORK)),
    );
    let mut rest = &mut os.spare_capacity_mut()[..m * k];
    run_jobs(parts.into_iter().map(|(r0, r1)| {
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut((r1 - r0) * k);
        rest = tail;
        move || gather_rows(&sp, xs, k, r0, mine)
    }));
    // SAFETY: `split_rows` covers rows 0..m, and `gather_rows` initializes all of its
    // `(r1 - r0) * k` outputs.
    unsafe { os.set_len(m * k) };
    Array2::from_shape_vec((m, k), os).expect("m x k")
}

/// `A^T X` for CSR `A` (`m x n`) and dense `X` (`m x k`), without forming `A^T`.
///
/// Row `i` of `X`, scaled by `A[i, j]`, is added into row `j` of the result. Large
/// products scatter two fixed halves of `A`'s rows into separate buffers (on two threads
/// when allowed) and add the two at the end: the same grouping of sums on every machine.
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
    if k == 0 || m == 0 {
        return out;
    }
    let sp = SparseRows::of(a);
    let os = out.as_slice_mut().expect("fresh array is contiguous");
    if a.nnz().saturating_mul(k) < SPARSE_PRODUCT_MIN_WORK {
        scatter_rows(&sp, xs, k, 0, m, os);
        return out;
    }
    // Always the same two halves (so the same sums), on two threads when allowed.
    let halves = split_rows(sp.ip, 2);
    let (h0, h1) = match halves[..] {
        [h0, h1] => (h0, h1),
        _ => {
            scatter_rows(&sp, xs, k, 0, m, os);
            return out;
        }
    };
    let mut other = vec![0.0; n * k];
    if max_threads() >= 2 {
        std::thread::scope(|scope| {
            let buf = &mut other;
            scope.spawn(move || scatter_rows(&sp, xs, k, h1.0, h1.1, buf));
            scatter_rows(&sp, xs, k, h0.0, h0.1, os);
        });
    } else {
        scatter_rows(&sp, xs, k, h0.0, h0.1, os);
        scatter_rows(&sp, xs, k, h1.0, h1.1, &mut other);
    }
    for (o, b) in os.iter_mut().zip(&other) {
        *o += b;
    }
    out
}

/// Borrowed CSR arrays with `indptr` rebased to start at 0.
#[derive(Clone, Copy)]
struct SparseRows<'a> {
    ip: &'a [usize],
    ix: &'a [usize],
    dv: &'a [f64],
    base: usize,
}

impl<'a> SparseRows<'a> {
    fn of(a: &'a Csr) -> Self {
        let ip = a.indptr().into_raw_storage();
        SparseRows {
            ip,
            ix: a.indices(),
            dv: a.data(),
            base: ip[0],
        }
    }
    /// Positions of row `i`'s stored entries in `ix` / `dv`.
    fn row(&self, i: usize) -> std::ops::Range<usize> {
        self.ip[i] - self.base..self.ip[i + 1] - self.base
    }
}

/// While alive, OpenBLAS runs single-threaded; the previous thread count comes back on drop.
///
/// Held by the sparse paths of randomized SVD and NMF, whose heavy work runs on the crate's
/// own threaded kernels and whose BLAS calls are small (a QR or SVD of a `26576 x 15`
/// block): threading those gains nothing, and OpenBLAS's worker threads keep spinning for a
/// while after every threaded call, taking a core from the kernels that follow. The setting
/// is process-wide, so BLAS work running concurrently in other threads is single-threaded
/// meanwhile (slower, never different).
pub(crate) struct SingleThreadedBlas(std::os::raw::c_int);

extern "C" {
    fn openblas_get_num_threads() -> std::os::raw::c_int;
    fn openblas_set_num_threads(n: std::os::raw::c_int);
}

impl SingleThreadedBlas {
    pub(crate) fn new() -> Self {
        // SAFETY: both functions only read or write OpenBLAS's thread-count setting.
        let before = unsafe { openblas_get_num_threads() };
        if before > 1 {
            unsafe { openblas_set_num_threads(1) };
        }
        SingleThreadedBlas(before)
    }
}

impl Drop for SingleThreadedBlas {
    fn drop(&mut self) {
        if self.0 > 1 {
            // SAFETY: as in `new`.
            unsafe { openblas_set_num_threads(self.0) };
        }
    }
}

/// Cuts rows `0..m` (`m = ip.len() - 1`) into `parts` consecutive ranges of about equal
/// stored entries.
fn split_rows(ip: &[usize], parts: usize) -> Vec<(usize, usize)> {
    let m = ip.len() - 1;
    let (base, total) = (ip[0], ip[m] - ip[0]);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for p in 1..=parts {
        let end = if p == parts {
            m
        } else {
            let target = base + total * p / parts;
            ip.partition_point(|&v| v < target).clamp(start, m)
        };
        if end > start {
            out.push((start, end));
        }
        start = end;
    }
    out
}

/// Runs `$f::<K>($args)` for `$k` in `1..=32` with `K` a compile-time constant (short
/// fixed-length loops unroll and vectorize), else `$fallback`.
macro_rules! with_const_k {
    ($k:expr, $f:ident $args:tt, $fallback:expr) => {
        with_const_k!(@arms $k, $f $args, $fallback;
            1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32)
    };
    (@arms $k:expr, $f:ident $args:tt, $fallback:expr; $($n:literal)*) => {
        match $k {
            $($n => $f::<$n> $args,)*
            _ => $fallback,
        }
    };
}
pub(crate) use with_const_k;

/// Rows `r0..r0 + out.len() / k` of `A X` into `out` (row-major, `k` wide); every entry
/// of `out` is written.
fn gather_rows(
    a: &SparseRows,
    xs: &[f64],
    k: usize,
    r0: usize,
    out: &mut [std::mem::MaybeUninit<f64>],
) {
    with_const_k!(k, gather_fixed(a, xs, r0, out), {
        let mut acc = vec![0.0; k];
        for (i, o) in out.chunks_exact_mut(k).enumerate() {
            acc.fill(0.0);
            for t in a.row(r0 + i) {
                let v = a.dv[t];
                for (ac, &xc) in acc.iter_mut().zip(&xs[a.ix[t] * k..(a.ix[t] + 1) * k]) {
                    *ac += v * xc;
                }
            }
            for (oc, &ac) in o.iter_mut().zip(&acc) {
                oc.write(ac);
            }
        }
    })
}

fn gather_fixed<const K: usize>(
    a: &SparseRows,
    xs: &[f64],
    r0: usize,
    out: &mut [std::mem::MaybeUninit<f64>],
) {
    let last = a.ip[r0 + out.len() / K] - a.base; // end of this block's stored entries
    for (i, o) in out.chunks_exact_mut(K).enumerate() {
        let mut acc = [0.0; K];
        for t in a.row(r0 + i) {
            if t + PREFETCH_AHEAD < last {
                prefetch_row(xs, a.ix[t + PREFETCH_AHEAD] * K, K);
            }
            let v = a.dv[t];
            let xr: &[f64; K] = xs[a.ix[t] * K..(a.ix[t] + 1) * K]
                .try_into()
                .expect("K wide");
            for c in 0..K {
                acc[c] += v * xr[c];
            }
        }
        for (oc, &ac) in o.iter_mut().zip(&acc) {
            oc.write(ac);
        }
    }
}

/// How many stored entries ahead [`gather_fixed`] asks for the row of `X` it will need.
const PREFETCH_AHEAD: usize = 12;

/// Hints the CPU to bring `xs[at..at + k]` into cache (random rows of a large `X` are the
/// cost of a sparse product; the indices tell us which ones come next).
#[inline(always)]
fn prefetch_row(xs: &[f64], at: usize, k: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        if at + k <= xs.len() {
            let p = xs[at..].as_ptr() as *const i8;
            // SAFETY: prefetching has no effect on memory and cannot fault; both lines
            // hold part of row `at / k` of `xs`.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(p);
                if k * 8 > 64 {
                    _mm_prefetch::<_MM_HINT_T0>(p.add(64));
                }
                if k * 8 > 128 {
                    _mm_prefetch::<_MM_HINT_T0>(p.add(128));
                }
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (xs, at, k);
}

/// Adds `A[r0..r1, :]^T X[r0..r1, :]` into `out` (`n x k`, row-major).
fn scatter_rows(a: &SparseRows, xs: &[f64], k: usize, r0: usize, r1: usize, out: &mut [f64]) {
    with_const_k!(k, scatter_fixed(a, xs, r0, r1, out), {
        for (i, r) in xs.chunks_exact(k).enumerate().take(r1).skip(r0) {
            for t in a.row(i) {
                let v = a.dv[t];
                for (oc, &rc) in out[a.ix[t] * k..(a.ix[t] + 1) * k].iter_mut().zip(r) {
                    *oc += v * rc;
                }
            }
        }
    })
}

fn scatter_fixed<const K: usize>(
    a: &SparseRows,
    xs: &[f64],
    r0: usize,
    r1: usize,
    out: &mut [f64],
) {
    for i in r0..r1 {
        let r: &[f64; K] = xs[i * K..(i + 1) * K].try_into().expect("K wide");
        for t in a.row(i) {
            let v = a.dv[t];
            let o: &mut [f64; K] = (&mut out[a.ix[t] * K..(a.ix[t] + 1) * K])
                .try_into()
                .expect("K wide");
            for c in 0..K {
                o[c] += v * r[c];
            }
        }
    }
}

/// `AᵀA` (`k x k`) for a tall dense `A` (`rows x k`), by a single pass over the rows.
///
/// Written out rather than handed to BLAS: for `k` around 5 a threaded `gemm` costs more in
/// thread start-up than the arithmetic itself. The rows are cut into fixed blocks of
/// [`GRAM_BLOCK`] rows; each block's sums ([`gram_upper_add`], from zero) are added into the
/// result in block order, so the result does not depend on how many threads share the
/// blocks.
pub fn gram(a: ArrayView2<f64>) -> Array2<f64> {
    let k = a.ncols();
    let a = a.as_standard_layout();
    let flat = a.as_slice().expect("standard layout is contiguous");
    let mut g = vec![0.0; k * k];
    if k > 0 {
        let blocks: Vec<&[f64]> = flat.chunks(GRAM_BLOCK * k).collect();
        let mut partial = vec![0.0; blocks.len() * k * k];
        let threads = threads_for(flat.len() * k, SPARSE_PRODUCT_MIN_WORK)
            .min(blocks.len())
            .max(1);
        let per = blocks.len().div_ceil(threads).max(1);
        run_jobs(
            blocks
                .chunks(per)
                .zip(partial.chunks_mut(per * k * k))
                .map(|(bs, ps)| {
                    move || {
                        for (b, p) in bs.iter().zip(ps.chunks_exact_mut(k * k)) {
                            gram_upper_add(k, b, p);
                        }
                    }
                }),
        );
        for p in partial.chunks_exact(k * k) {
            for (gv, pv) in g.iter_mut().zip(p) {
                *gv += pv;
            }
        }
    }
    mirror_upper(k, &mut g);
    Array2::from_shape_vec((k, k), g).expect("k x k")
}

/// Rows per block of [`gram`].
const GRAM_BLOCK: usize = 2048;

/// Adds the upper triangle of `RᵀR` into `g` (`k x k`, row-major) for the rows `R` of the
/// row-major block `rows` (`k` wide): the crate's one Gram kernel, used by [`gram`] and by
/// `MiniBatchNmf`'s fused update of `H`. For `k <= 32` the block's sums collect from zero in
/// registers and are added into `g` once at the end; wider blocks add every product straight
/// into `g`.
pub(crate) fn gram_upper_add(k: usize, rows: &[f64], g: &mut [f64]) {
    with_const_k!(
        k,
        gram_upper_add_fixed(rows, g),
        gram_upper_add_any(k, rows, g)
    )
}

fn gram_upper_add_fixed<const K: usize>(rows: &[f64], g: &mut [f64]) {
    let mut acc = [[0.0; K]; K];
    for r in rows.chunks_exact(K) {
        let r: &[f64; K] = r.try_into().expect("K wide");
        for p in 0..K {
            let rp = r[p];
            for q in p..K {
                acc[p][q] += rp * r[q];
            }
        }
    }
    for (p, row) in acc.iter().enumerate() {
        for (gq, &aq) in g[p * K + p..(p + 1) * K].iter_mut().zip(&row[p..]) {
            *gq += aq;
        }
    }
}

fn gram_upper_add_any(k: usize, rows: &[f64], g: &mut [f64]) {
    for r in rows.chunks_exact(k) {
        for p in 0..k {
            let rp = r[p];
            for (gq, &rq) in g[p * k + p..(p + 1) * k].iter_mut().zip(&r[p..]) {
                *gq += rp * rq;
            }
        }
    }
}

/// Copies the upper triangle of the `k x k` row-major `g` onto its lower triangle.
pub(crate) fn mirror_upper(k: usize, g: &mut [f64]) {
    for p in 0..k {
        for q in 0..p {
            g[p * k + q] = g[q * k + p];
        }
    }
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
            at: transpose_csr(a),
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

/// `Aᵀ` in CSR form, with the column indices of every row in increasing order.
fn transpose_csr(a: &Csr) -> Csr {
    let (m, n) = CsMat::shape(a);
    if a.is_csc() {
        // The CSC arrays of `a` are the CSR arrays of `Aᵀ`.
        return a.transpose_view().to_owned();
    }
    let sp = SparseRows::of(a);
    let mut counts = vec![0usize; n + 1];
    for &j in sp.ix.iter().take(a.nnz()) {
        counts[j + 1] += 1;
    }
    for j in 0..n {
        counts[j + 1] += counts[j];
    }
    let indptr = counts.clone();
    let mut next = counts;
    let mut indices = vec![0usize; a.nnz()];
    let mut data = vec![0.0; a.nnz()];
    for i in 0..m {
        for t in sp.row(i) {
            let j = sp.ix[t];
            indices[next[j]] = i;
            data[next[j]] = sp.dv[t];
            next[j] += 1;
        }
    }
    CsMat::new((n, m), indptr, indices, data)
}

impl LinearOperator for CsrWithTranspose<'_> {
    fn dims(&self) -> (usize, usize) {
        CsMat::shape(self.a)
    }
    fn matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        csr_dot_dense_on(self.a, x, self.parts)
    }
    fn t_matmul(&self, x: &ArrayView2<f64>) -> Array2<f64> {
        csr_dot_dense_on(&self.at, x, self.parts)
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
        assert_eq!(split_rows(&[0, 0, 0], 2), vec![(0, 2)]);
        assert_eq!(split_rows(&[0, 5, 10, 10], 2), vec![(0, 1), (1, 3)]);
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
