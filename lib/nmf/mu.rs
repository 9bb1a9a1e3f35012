//! Multiplicative updates for [`super::Solver::Mu`] (any β), also the steps of
//! [`super::MiniBatchNmf`]: `W ← W ∘ (num / den)^γ` and the same for `H`, with the terms
//! of the Frobenius loss from sparse products and a cached `HHᵀ`.

use ndarray::{Array2, ArrayView2, Axis, Zip};

use super::{beta_divergence, SolverRun, EPSILON};
use crate::linop::{gram, DataMatrix};

/// `X ∘ (WH)^(β-2)` with scikit-learn's clipping, dense.
fn weighted_ratio(xd: ArrayView2<f64>, wh: &Array2<f64>, beta: f64) -> Array2<f64> {
    let mut out = wh.clone();
    Zip::from(&mut out).and(xd).for_each(|y, &xv| {
        if beta < 2.0 && *y < EPSILON {
            *y = EPSILON;
        }
        *y = if beta == 1.0 {
            xv / *y
        } else if beta == 0.0 {
            let inv = 1.0 / *y;
            inv * inv * xv
        } else {
            y.powf(beta - 2.0) * xv
        };
    });
    out
}

/// `(WH)^(β-1)` with values clipped at `EPSILON` first when `β < 1`.
fn wh_pow(wh: &Array2<f64>, beta: f64) -> Array2<f64> {
    wh.mapv(|y| {
        let y = if beta < 1.0 && y < EPSILON {
            EPSILON
        } else {
            y
        };
        y.powf(beta - 1.0)
    })
}

/// The exponent `γ` of the majorization-minimization updates (Févotte & Idier 2011):
/// `1/(2-β)` for `β < 1`, `1/(β-1)` for `β > 2`, else 1.
pub(crate) fn mm_gamma(beta: f64) -> f64 {
    if beta < 1.0 {
        1.0 / (2.0 - beta)
    } else if beta > 2.0 {
        1.0 / (beta - 1.0)
    } else {
        1.0
    }
}

/// Cached `(X Hᵀ, H Hᵀ)` of the Frobenius `W` update, valid while `X` and `H` stay fixed.
pub(crate) type MuCache = Option<(Array2<f64>, Array2<f64>)>;

/// Numerator and denominator of the multiplicative update of `W` (`W ← W ∘ (num/den)^γ`):
/// `num = (X ∘ (WH)^(β-2)) Hᵀ`, `den = (WH)^(β-1) Hᵀ + l1 + l2 W` (`(l1, l2)` the penalties of `W`) (`X Hᵀ` and `W HHᵀ` for
/// Frobenius), with zeros of `den` replaced by `EPSILON`. `dense_x` is `X` itself, needed
/// when `β ≠ 2`; the caller empties `cache` (or fills it with `X Hᵀ` and `H Hᵀ`) whenever `X`
/// or `H` changes.
pub(crate) fn mu_terms_w<A: DataMatrix + ?Sized>(
    x: &A,
    dense_x: Option<ArrayView2<f64>>,
    w: &Array2<f64>,
    h: &Array2<f64>,
    beta: f64,
    (l1, l2): (f64, f64),
    cache: &mut MuCache,
) -> (Array2<f64>, Array2<f64>) {
    let (numerator, mut denominator) = if let Some(xd) = dense_x {
        let wh = w.dot(h);
        let ratio = weighted_ratio(xd, &wh, beta);
        let num = ratio.dot(&h.t());
        let den = if beta == 1.0 {
            let hs = h.sum_axis(Axis(1));
            Array2::from_shape_fn(w.dim(), |(_, c)| hs[c])
        } else {
            wh_pow(&wh, beta).dot(&h.t())
        };
        (num, den)
    } else {
        if cache.is_none() {
            let ht = h.t().as_standard_layout().into_owned();
            *cache = Some((x.matmul(&ht.view()), gram(ht.view())));
        }
        let (xht, hht) = cache.as_ref().expect("filled above");
        (xht.clone(), w.dot(hht))
    };
    penalize(&mut denominator, w, l1, l2);
    (numerator, denominator)
}

/// The penalty terms of a multiplicative-update denominator, `+ l1 + l2 · factor`, then
/// its zeros replaced by `EPSILON` (shared by the updates of `W` and `H`).
fn penalize(den: &mut Array2<f64>, factor: &Array2<f64>, l1: f64, l2: f64) {
    if l1 > 0.0 {
        *den += l1;
    }
    if l2 > 0.0 {
        den.scaled_add(l2, factor);
    }
    den.mapv_inplace(|d| if d == 0.0 { EPSILON } else { d });
}

/// Numerator and denominator of the multiplicative update of `H`:
/// `num = Wᵀ (X ∘ (WH)^(β-2))`, `den = Wᵀ (WH)^(β-1) + l1 + l2 H` (`Wᵀ X` and `WᵀW H` for
/// Frobenius), zeros of `den` replaced by `EPSILON`; `dense_x` as in [`mu_terms_w`].
pub(crate) fn mu_terms_h<A: DataMatrix + ?Sized>(
    x: &A,
    dense_x: Option<ArrayView2<f64>>,
    w: &Array2<f64>,
    h: &Array2<f64>,
    beta: f64,
    (l1, l2): (f64, f64),
) -> (Array2<f64>, Array2<f64>) {
    let (num, mut den) = if let Some(xd) = dense_x {
        let wh = w.dot(h);
        let ratio = weighted_ratio(xd, &wh, beta);
        let num = w.t().dot(&ratio);
        let den = if beta == 1.0 {
            let mut ws = w.sum_axis(Axis(0));
            ws.mapv_inplace(|a| if a == 0.0 { 1.0 } else { a });
            Array2::from_shape_fn(h.dim(), |(r, _)| ws[r])
        } else {
            w.t().dot(&wh_pow(&wh, beta))
        };
        (num, den)
    } else {
        let num = x.t_matmul(&w.view()).reversed_axes();
        let den = gram(w.view()).dot(h);
        (num, den)
    };
    penalize(&mut den, h, l1, l2);
    (num, den)
}

/// `factor ← factor ∘ (num / den)^γ`.
pub(crate) fn mu_apply(
    factor: &mut Array2<f64>,
    mut num: Array2<f64>,
    den: &Array2<f64>,
    gamma: f64,
) {
    num /= den;
    if gamma != 1.0 {
        num.mapv_inplace(|d| d.powf(gamma));
    }
    *factor *= &num;
}

pub(super) fn fit_multiplicative_update<A: DataMatrix + ?Sized>(
    x: &A,
    mut w: Array2<f64>,
    mut h: Array2<f64>,
    beta: f64,
    run: &SolverRun,
) -> (Array2<f64>, Array2<f64>, usize) {
    let SolverRun {
        max_iter,
        tol,
        ref reg,
        update_h,
        verbose,
    } = *run;
    let start = std::time::Instant::now();
    let gamma = mm_gamma(beta);
    let dense_x = if beta != 2.0 {
        Some(x.to_array())
    } else {
        None
    };
    let error_at_init = beta_divergence(x, &w, &h, beta, true);
    let mut previous_error = error_at_init;
    // Frobenius caches, reused across iterations only while H stays fixed.
    let mut cache: MuCache = None;
    let mut n_iter = 0;
    for it in 1..=max_iter {
        n_iter = it;
        let xd = dense_x.as_ref().map(|d| d.view());
        let (num, den) = mu_terms_w(x, xd, &w, &h, beta, (reg.l1_w, reg.l2_w), &mut cache);
        mu_apply(&mut w, num, &den, gamma);
        if beta < 1.0 {
            w.mapv_inplace(|a| if a < f64::EPSILON { 0.0 } else { a });
        }
        if update_h {
            let (num, den) = mu_terms_h(x, xd, &w, &h, beta, (reg.l1_h, reg.l2_h));
            mu_apply(&mut h, num, &den, gamma);
            cache = None;
            if beta <= 1.0 {
                h.mapv_inplace(|a| if a < f64::EPSILON { 0.0 } else { a });
            }
        }
        if tol > 0.0 && it % 10 == 0 {
            let error = beta_divergence(x, &w, &h, beta, true);
            if verbose {
                println!(
                    "Epoch {it:02} reached after {:.3} seconds, error: {error:.6}",
                    start.elapsed().as_secs_f64()
                );
            }
            if (previous_error - error) / error_at_init < tol {
                break;
            }
            previous_error = error;
        }
    }
    if verbose && (tol == 0.0 || n_iter % 10 != 0) {
        println!(
            "Epoch {n_iter:02} reached after {:.3} seconds.",
            start.elapsed().as_secs_f64()
        );
    }
    (w, h, n_iter)
}
