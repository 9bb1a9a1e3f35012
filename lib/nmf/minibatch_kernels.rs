//! The inner loop of a [`super::MiniBatchNmf`] step on sparse data, written out (no
//! `unsafe`): [`online_update`], the element-wise online update of `H` in one pass over `H`,
//! the running sums `A`, `B` and the step's terms, which also measures how far `H` moved and
//! refreshes the kept `Hᵀ` and `HHᵀ` (the latter with linop's Gram kernel, one block of
//! columns at a time). scikit-learn runs it as a chain of NumPy operations on `k x n`
//! arrays; done that way here too (one ndarray operation at a time, then the norms, the
//! transposed copy and `gram`) it was the largest cost of a step on the lesson matrix after
//! the sparse products. Each entry of `H`, `A` and `B` sees NumPy's operations in NumPy's
//! order; only the sums of squares and `HHᵀ` add up in another order.

use ndarray::{Array2, ArrayView2};

use crate::linop::{gram_upper_add, mirror_upper};

/// What one online update of `H` changed.
pub(super) struct Moved {
    /// `‖H_new - H_old‖²_F`.
    pub diff_sq: f64,
    /// `‖H_new‖²_F`.
    pub norm_sq: f64,
}

/// [`online_update`] of `H` (`k x n`, with `A`, `B`, `num`, `den` of the same shape and
/// step constants `(ρ, γ)`), refreshing a fresh `Hᵀ` and `HHᵀ`; returns `‖H_new - H_old‖²`.
/// Public only for `scripts/bench`'s kernels group, which sets it beside the same job done
/// with whole-array ndarray operations.
#[doc(hidden)]
pub fn online_update_for_bench(
    (h, a, b): (&mut Array2<f64>, &mut Array2<f64>, &mut Array2<f64>),
    (num, den): (ArrayView2<f64>, ArrayView2<f64>),
    (rho, gamma): (f64, f64),
) -> f64 {
    let (k, n) = h.dim();
    let (mut ht, mut hht) = (Array2::zeros((n, k)), Array2::zeros((k, k)));
    let moved = online_update(
        h,
        Some((&mut ht, &mut hht)),
        (a, b),
        (num, den),
        rho,
        gamma,
        false,
    );
    moved.diff_sq
}

/// For every entry of the `k x n` arrays, in this order (scikit-learn's `_multiplicative_update_h`
/// with `A`, `B` and `ρ`, then the clipping of `_minibatch_step`):
///
/// ```text
/// p = H^(1/γ);  A = A ρ + num p;  B = B ρ + den;  H = (A / B)^γ;  H = 0 where H < ε (β ≤ 1)
/// ```
///
/// `num` and `den` may be in either memory order (the sparse path hands `num` over as the
/// transpose of an `n x k` product). `A`, `B` and `H` are standard layout. When given, `ht`
/// receives the new `Hᵀ` (`n x k`) and `HHᵀ` (`k x k`), both standard layout.
pub(super) fn online_update(
    h: &mut Array2<f64>,
    ht: Option<(&mut Array2<f64>, &mut Array2<f64>)>,
    (a, b): (&mut Array2<f64>, &mut Array2<f64>),
    (num, den): (ArrayView2<f64>, ArrayView2<f64>),
    rho: f64,
    gamma: f64,
    clip: bool,
) -> Moved {
    let (k, n) = h.dim();
    let hs = h.as_slice_mut().expect("H is standard layout");
    let as_ = a.as_slice_mut().expect("A is standard layout");
    let bs = b.as_slice_mut().expect("B is standard layout");
    let mut moved = Moved {
        diff_sq: 0.0,
        norm_sq: 0.0,
    };
    let (nv, dv) = (Entries::of(num), Entries::of(den));
    let mut hts = ht.map(|(t, g)| {
        g.fill(0.0);
        (
            t.as_slice_mut().expect("Hᵀ is standard layout"),
            g.as_slice_mut().expect("HHᵀ is standard layout"),
        )
    });
    let p = Params { rho, gamma, clip };
    // Blocks of columns, so that the block's part of every array stays in L1 while its
    // rows are updated and then copied into Hᵀ.
    let (mut nbuf, mut dbuf) = ([0.0; BLOCK], [0.0; BLOCK]);
    for j0 in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - j0);
        for t in 0..k {
            let at = t * n + j0..t * n + j0 + len;
            // this row's `num` and `den` as contiguous slices
            let nr: &[f64] = match &nv.order {
                Order::Rows(ns) => &ns[at.clone()],
                Order::Cols(ns) => {
                    for (d, &v) in nbuf.iter_mut().zip(ns[j0 * k + t..].iter().step_by(k)) {
                        *d = v;
                    }
                    &nbuf[..len]
                }
                Order::Strided => {
                    for (j, d) in nbuf[..len].iter_mut().enumerate() {
                        *d = nv.view[[t, j0 + j]];
                    }
                    &nbuf[..len]
                }
            };
            let dr: &[f64] = match &dv.order {
                Order::Rows(ds) => &ds[at.clone()],
                _ => {
                    for (j, d) in dbuf[..len].iter_mut().enumerate() {
                        *d = dv.view[[t, j0 + j]];
                    }
                    &dbuf[..len]
                }
            };
            let (hr, ar, br) = (&mut hs[at.clone()], &mut as_[at.clone()], &mut bs[at]);
            let (d, s) = row(hr, ar, br, nr, dr, p);
            moved.diff_sq += d;
            moved.norm_sq += s;
        }
        if let Some((hts, g)) = hts.as_mut() {
            let block = &mut hts[j0 * k..(j0 + len) * k];
            for t in 0..k {
                let src = &hs[t * n + j0..t * n + j0 + len];
                for (d, &v) in block[t..].iter_mut().step_by(k).zip(src) {
                    *d = v;
                }
            }
            gram_upper_add(k, block, g);
        }
    }
    if let Some((_, g)) = hts {
        mirror_upper(k, g);
    }
    moved
}

/// Columns per block of [`online_update`].
const BLOCK: usize = 256;

#[derive(Clone, Copy)]
struct Params {
    rho: f64,
    gamma: f64,
    clip: bool,
}

/// One row segment of [`online_update`] (at most [`BLOCK`] long); returns its
/// `(Σ (H_new - H_old)², Σ H_new²)`.
#[inline(always)]
fn row(
    h: &mut [f64],
    a: &mut [f64],
    b: &mut [f64],
    num: &[f64],
    den: &[f64],
    p: Params,
) -> (f64, f64) {
    let len = h.len();
    let (a, b, num, den) = (&mut a[..len], &mut b[..len], &num[..len], &den[..len]);
    let mut old = [0.0; BLOCK];
    let old = &mut old[..len];
    old.copy_from_slice(h);
    if p.gamma == 1.0 {
        // the common case as plain element-wise loops (they vectorize)
        for i in 0..len {
            a[i] = a[i] * p.rho + num[i] * old[i];
            b[i] = b[i] * p.rho + den[i];
            h[i] = a[i] / b[i];
        }
    } else {
        for i in 0..len {
            a[i] = a[i] * p.rho + num[i] * old[i].powf(1.0 / p.gamma);
            b[i] = b[i] * p.rho + den[i];
            h[i] = (a[i] / b[i]).powf(p.gamma);
        }
    }
    if p.clip {
        for v in h.iter_mut() {
            if *v < f64::EPSILON {
                *v = 0.0;
            }
        }
    }
    // four partial sums, added at the end
    let (mut diff, mut norm) = ([0.0; 4], [0.0; 4]);
    let (hc, oc) = (h.chunks_exact(4), old.chunks_exact(4));
    let (hrest, orest) = (hc.remainder(), oc.remainder());
    for (hq, oq) in hc.zip(oc) {
        for l in 0..4 {
            diff[l] += (hq[l] - oq[l]) * (hq[l] - oq[l]);
            norm[l] += hq[l] * hq[l];
        }
    }
    for (&hv, &ov) in hrest.iter().zip(orest) {
        diff[0] += (hv - ov) * (hv - ov);
        norm[0] += hv * hv;
    }
    (
        (diff[0] + diff[1]) + (diff[2] + diff[3]),
        (norm[0] + norm[1]) + (norm[2] + norm[3]),
    )
}

/// A `k x n` array with its memory order.
struct Entries<'a> {
    view: ArrayView2<'a, f64>,
    order: Order<'a>,
}

enum Order<'a> {
    /// Row-major `k x n`.
    Rows(&'a [f64]),
    /// Column-major, i.e. row-major `n x k`.
    Cols(&'a [f64]),
    Strided,
}

impl<'a> Entries<'a> {
    fn of(view: ArrayView2<'a, f64>) -> Self {
        let order = if let Some(s) = view.to_slice() {
            Order::Rows(s)
        } else if let Some(s) = view.reversed_axes().to_slice() {
            Order::Cols(s)
        } else {
            Order::Strided
        };
        Entries { view, order }
    }
}
