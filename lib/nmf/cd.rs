//! Coordinate descent for [`super::Solver::Cd`]: alternate sweeps over the columns of `W`
//! and of `Hᵀ`, each entry moved to the minimizer of its quadratic and clipped at zero.
//! Widths up to 32 run on const-generic copies whose rows step in lockstep lanes and
//! split between threads; every sum keeps scikit-learn's order.

use ndarray::Array2;

use super::SolverRun;
use crate::linop::{gram, with_const_k, DataMatrix};
use crate::rng::RandomState;
use crate::threads::{run_jobs, threads_for, CD_SWEEP_MIN_WORK};

/// One coordinate-descent sweep over the columns of `W` (`rows x k`, row-major) for
/// `min ½‖X - W Hᵀᵀ‖²` given `HHᵀ` (`k x k`) and `XHᵀ` (`rows x k`). Returns the summed
/// projected-gradient magnitude seen during the sweep.
fn cd_sweep(w: &mut Array2<f64>, hht: &Array2<f64>, xht: &Array2<f64>, perm: &[usize]) -> f64 {
    let k = w.ncols();
    let w = w.as_slice_mut().expect("W is row-major");
    let hht = hht.as_standard_layout();
    let hht = hht.as_slice().expect("contiguous");
    let xht = xht.as_standard_layout();
    let xht = xht.as_slice().expect("contiguous");
    sweep_for_bench(k, w, hht, xht, perm, true)
}

/// One coordinate step on `W[i, t]`: the gradient `(W HHᵀ)[i, t] - (X Hᵀ)[i, t]` summed in
/// scikit-learn's order, the projected gradient's magnitude returned, then
/// `W[i, t] ← max(0, W[i, t] - grad / HHᵀ[t, t])`.
#[inline(always)]
fn cd_step(wi: &mut [f64], hrow: &[f64], hess: f64, xit: f64, t: usize) -> f64 {
    let mut grad = -xit;
    for (h, wr) in hrow.iter().zip(wi.iter()) {
        grad += h * wr;
    }
    let (w_new, pg) = project_step(wi[t], grad, hess);
    wi[t] = w_new;
    pg
}

/// The end of a coordinate step on a weight `w` with gradient `grad`: the new weight
/// `max(0, w - grad / hess)` (unchanged when `hess` is 0) and the projected gradient's
/// magnitude (`min(grad, 0)` where `w` is 0, else `grad`).
#[inline(always)]
fn project_step(w: f64, grad: f64, hess: f64) -> (f64, f64) {
    let pg = if w == 0.0 { grad.min(0.0) } else { grad };
    let w_new = if hess != 0.0 {
        (w - grad / hess).max(0.0)
    } else {
        w
    };
    (w_new, pg.abs())
}

/// Rows are independent in a sweep (row `i` of `W` only meets row `i` of `X Hᵀ`), so each
/// row takes all its `K` coordinate steps at once while it sits in registers; the
/// per-step violations are kept and summed afterwards in scikit-learn's order (coordinate
/// by coordinate, rows in order), so the total is bit-for-bit the same.
fn cd_sweep_fixed<const K: usize>(w: &mut [f64], hht: &[f64], xht: &[f64], perm: &[usize]) -> f64 {
    let rows = w.len() / K;
    let mut pg = vec![0.0; rows * perm.len()];
    let parts = threads_for(rows * K * K, CD_SWEEP_MIN_WORK);
    let chunk = rows.div_ceil(parts).max(1);
    run_jobs(
        w.chunks_mut(chunk * K)
            .zip(xht.chunks(chunk * K))
            .zip(pg.chunks_mut(chunk * perm.len()))
            .map(|((wc, xc), pc)| move || cd_rows_fixed::<K>(wc, hht, xc, perm, pc)),
    );
    let mut violation = 0.0;
    for s in 0..perm.len() {
        for i in 0..rows {
            violation += pg[i * perm.len() + s];
        }
    }
    violation
}

/// The coordinate steps of [`cd_sweep_fixed`] for a block of rows; `pg[i * perm.len() + s]`
/// receives row `i`'s projected-gradient magnitude at step `s`. Rows go [`LANES`] at a time
/// in lockstep (independent chains the CPU can overlap); each row still sees exactly the
/// operations of [`cd_step`] in the same order.
fn cd_rows_fixed<const K: usize>(
    w: &mut [f64],
    hht: &[f64],
    xht: &[f64],
    perm: &[usize],
    pg: &mut [f64],
) {
    let np = perm.len();
    let rows = w.len() / K;
    let grouped = rows / LANES * LANES;
    let (wg, wrest) = w.split_at_mut(grouped * K);
    let (xg, xrest) = xht.split_at(grouped * K);
    let (pgg, pgrest) = pg.split_at_mut(grouped * np);
    for ((wc, xc), pc) in wg
        .chunks_exact_mut(LANES * K)
        .zip(xg.chunks_exact(LANES * K))
        .zip(pgg.chunks_exact_mut(LANES * np))
    {
        // wv[r][lane] = W[row lane, r]
        let mut wv = [[0.0; LANES]; K];
        for lane in 0..LANES {
            for r in 0..K {
                wv[r][lane] = wc[lane * K + r];
            }
        }
        for (s, &t) in perm.iter().enumerate() {
            let hrow: &[f64; K] = hht[t * K..t * K + K].try_into().expect("K wide");
            let hess = hrow[t];
            let mut grad = [0.0; LANES];
            for lane in 0..LANES {
                grad[lane] = -xc[lane * K + t];
            }
            for r in 0..K {
                for lane in 0..LANES {
                    grad[lane] += hrow[r] * wv[r][lane];
                }
            }
            for lane in 0..LANES {
                let (w_new, pg) = project_step(wv[t][lane], grad[lane], hess);
                wv[t][lane] = w_new;
                pc[lane * np + s] = pg;
            }
        }
        for lane in 0..LANES {
            for r in 0..K {
                wc[lane * K + r] = wv[r][lane];
            }
        }
    }
    for ((wi, xi), pgi) in wrest
        .chunks_exact_mut(K)
        .zip(xrest.chunks_exact(K))
        .zip(pgrest.chunks_exact_mut(np))
    {
        let wi: &mut [f64; K] = wi.try_into().expect("K wide");
        for (s, &t) in perm.iter().enumerate() {
            let hrow: &[f64; K] = hht[t * K..t * K + K].try_into().expect("K wide");
            pgi[s] = cd_step(wi, hrow, hrow[t], xi[t], t);
        }
    }
}

/// Rows that [`cd_rows_fixed`] steps through together.
const LANES: usize = 4;

/// One sweep on row-major slices through the const-K kernel (`specialized`, what the
/// solver uses) or the plain loop below; public only for `scripts/bench`'s kernels group,
/// which sets the two side by side.
#[doc(hidden)]
pub fn sweep_for_bench(
    k: usize,
    w: &mut [f64],
    hht: &[f64],
    xht: &[f64],
    perm: &[usize],
    specialized: bool,
) -> f64 {
    if specialized {
        with_const_k!(
            k,
            cd_sweep_fixed(w, hht, xht, perm),
            cd_sweep_any(k, w, hht, xht, perm)
        )
    } else {
        cd_sweep_any(k, w, hht, xht, perm)
    }
}

/// The plain coordinate-descent sweep for any `k`: coordinate by coordinate, rows in order.
fn cd_sweep_any(k: usize, w: &mut [f64], hht: &[f64], xht: &[f64], perm: &[usize]) -> f64 {
    let mut violation = 0.0;
    for &t in perm {
        let hrow = &hht[t * k..t * k + k];
        for (wi, xi) in w.chunks_exact_mut(k).zip(xht.chunks_exact(k)) {
            violation += cd_step(wi, hrow, hrow[t], xi[t], t);
        }
    }
    violation
}

/// Updates `W` (`rows x k`) against `Ht` (`cols x k`); `xht = X Ht` is given.
fn cd_update(
    w: &mut Array2<f64>,
    ht: &Array2<f64>,
    mut xht: Array2<f64>,
    l1: f64,
    l2: f64,
    shuffle: bool,
    rng: &mut RandomState,
) -> f64 {
    let k = ht.ncols();
    let mut hht = gram(ht.view());
    if l2 != 0.0 {
        for t in 0..k {
            hht[[t, t]] += l2;
        }
    }
    if l1 != 0.0 {
        xht -= l1;
    }
    let perm: Vec<usize> = if shuffle {
        rng.permutation(k)
    } else {
        (0..k).collect()
    };
    cd_sweep(w, &hht, &xht, &perm)
}

pub(super) fn fit_coordinate_descent<A: DataMatrix + ?Sized>(
    x: &A,
    w: Array2<f64>,
    h: Array2<f64>,
    run: &SolverRun,
    shuffle: bool,
    rng: &mut RandomState,
) -> (Array2<f64>, Array2<f64>, usize) {
    let SolverRun {
        max_iter,
        tol,
        ref reg,
        update_h,
        verbose,
    } = *run;
    let mut w = w.as_standard_layout().into_owned();
    let mut ht = h.t().as_standard_layout().into_owned();
    let mut violation_init = 0.0;
    let mut n_iter = 0;
    // Σ |X Hᵀ| (+ Σ |Xᵀ W|) in the first sweep: the size of the terms each gradient cancels.
    let mut gradient_scale = 0.0;
    let k = w.ncols() as f64;
    for it in 1..=max_iter {
        n_iter = it;
        let mut violation = 0.0;
        let xht = x.matmul(&ht.view());
        if it == 1 {
            gradient_scale += xht.iter().map(|v| v.abs()).sum::<f64>();
        }
        violation += cd_update(&mut w, &ht, xht, reg.l1_w, reg.l2_w, shuffle, rng);
        if update_h {
            let xtw = x.t_matmul(&w.view());
            if it == 1 {
                gradient_scale += xtw.iter().map(|v| v.abs()).sum::<f64>();
            }
            violation += cd_update(&mut ht, &w, xtw, reg.l1_h, reg.l2_h, shuffle, rng);
        }
        if it == 1 {
            violation_init = violation;
        }
        // scikit-learn stops when the first sweep's violation is exactly 0. A start that is
        // already optimal (NNDSVD with one component is the best rank-1 fit) leaves only
        // rounding noise, about k ε per gradient term; scikit-learn may then stop a few
        // sweeps later when the noise happens to reach exact zeros, or never. We call a first
        // violation within 4 k ε of the gradients' size zero and stop there too.
        if violation_init <= 4.0 * k * f64::EPSILON * gradient_scale {
            break;
        }
        if verbose {
            println!("violation: {}", violation / violation_init);
        }
        if violation / violation_init <= tol {
            if verbose {
                println!("Converged at iteration {}", it + 1);
            }
            break;
        }
    }
    (w, ht.t().as_standard_layout().into_owned(), n_iter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cd_sweep_solves_one_coordinate() {
        // one component: w = max(x·h / h·h, 0)
        let mut w = array![[0.0], [0.0]];
        let hht = array![[4.0]];
        let xht = array![[2.0], [-1.0]];
        cd_sweep(&mut w, &hht, &xht, &[0]);
        assert_eq!(w, array![[0.5], [0.0]]);
    }
}
