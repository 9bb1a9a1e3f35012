//! Coordinate descent for [`super::Solver::Cd`]: alternate sweeps over the columns of `W`
//! and of `Hᵀ`, each entry moved to the minimizer of its quadratic and clipped at zero.
//! Each sweep goes coordinate by coordinate, rows in order, as scikit-learn's does. (A
//! const-K copy with rows in lockstep lanes, split between threads, was slower than this
//! plain loop at every lesson size, so it was removed: docs/architecture.md.)

use ndarray::Array2;

use super::SolverRun;
use crate::linop::{gram, DataMatrix};
use crate::rng::RandomState;

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
    // Coordinate by coordinate, rows in order (scikit-learn's order, so the summed
    // violation is the same to the bit). Rows are independent within a coordinate.
    let mut violation = 0.0;
    for &t in perm {
        let hrow = &hht[t * k..t * k + k];
        for (wi, xi) in w.chunks_exact_mut(k).zip(xht.chunks_exact(k)) {
            violation += cd_step(wi, hrow, hrow[t], xi[t], t);
        }
    }
    violation
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
