//! The loops behind linop's products, and every `unsafe` of the module but the BLAS switch:
//! row-by-row gathers for `A X` (with prefetching of the rows of `X` the indices ask for
//! next), scatters for `Aᵀ X`, the transpose of a CSR matrix, and the crate's one Gram
//! kernel. Short fixed widths (`k <= 32`) run on const-generic copies that unroll.

use ndarray::{Array2, ArrayView2};
use sprs::CsMat;

use super::Csr;
use crate::threads::{max_threads, run_jobs, threads_for, GRAM_MIN_WORK, SPARSE_PRODUCT_MIN_WORK};

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

/// `A X` (see `linop::csr_dot_dense`) in `parts` row blocks (`None`: as many as the product
/// is worth, see `threads::threads_for`).
pub(super) fn gather_product(a: &Csr, x: &ArrayView2<f64>, parts: Option<usize>) -> Array2<f64> {
    let (m, n) = CsMat::shape(a);
    assert_eq!(n, x.nrows(), "csr_dot_dense: inner dimensions differ");
    if a.is_csc() {
        return scatter_product(&a.transpose_view().to_owned(), x);
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

/// `Aᵀ X` (see `linop::csr_t_dot_dense`), scattering each row of `X` into the output.
pub(super) fn scatter_product(a: &Csr, x: &ArrayView2<f64>) -> Array2<f64> {
    let (m, n) = CsMat::shape(a);
    assert_eq!(m, x.nrows(), "csr_t_dot_dense: inner dimensions differ");
    if a.is_csc() {
        return gather_product(&a.transpose_view().to_owned(), x, None);
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

/// Cuts rows `0..m` (`m = ip.len() - 1`) into `parts` consecutive ranges of about equal
/// stored entries.
pub(super) fn split_rows(ip: &[usize], parts: usize) -> Vec<(usize, usize)> {
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

/// `AᵀA` for the row-major `flat` (`k` wide), row-major `k x k`: blocks of [`GRAM_BLOCK`]
/// rows, each summed from zero by [`gram_upper_add`] (blocks shared between threads), the
/// block sums added in block order, then the lower triangle mirrored.
pub(super) fn gram_blocked(flat: &[f64], k: usize) -> Vec<f64> {
    let mut g = vec![0.0; k * k];
    if k > 0 {
        let blocks: Vec<&[f64]> = flat.chunks(GRAM_BLOCK * k).collect();
        let mut partial = vec![0.0; blocks.len() * k * k];
        let threads = threads_for(flat.len() * k, GRAM_MIN_WORK)
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
    g
}

/// Rows per block of [`gram_blocked`].
const GRAM_BLOCK: usize = 2048;

/// Adds the upper triangle of `RᵀR` into `g` (`k x k`, row-major) for the rows `R` of the
/// row-major block `rows` (`k` wide): the crate's one Gram kernel, used by `linop::gram` and by
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

/// `Aᵀ` in CSR form, with the column indices of every row in increasing order.
pub(super) fn transpose_csr(a: &Csr) -> Csr {
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
