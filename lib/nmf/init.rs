//! Starting factors for [`super::Nmf`] and [`super::MiniBatchNmf`]: random, NNDSVD and
//! its two zero-filling variants, and the checks of user-supplied factors.

use ndarray::Array2;

use super::Init;
use crate::linop::DataMatrix;
use crate::randomized::randomized_svd;
use crate::rng::check_random_state;
use crate::{Error, Result};

pub(super) fn check_init(a: &Array2<f64>, shape: (usize, usize), whom: &str) -> Result<()> {
    if a.dim() != shape {
        return Err(Error::ShapeMismatch(format!(
            "initial {whom} should be {} x {}, got {} x {}",
            shape.0,
            shape.1,
            a.nrows(),
            a.ncols()
        )));
    }
    if a.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return Err(Error::InvalidInput(format!(
            "initial {whom} must be finite and non-negative"
        )));
    }
    if a.iter().all(|&v| v == 0.0) {
        return Err(Error::InvalidInput(format!("initial {whom} is all zeros")));
    }
    Ok(())
}

/// Starting factors `(W, H)` for `X` with `k` components (scikit-learn's `_initialize_nmf`).
///
/// NNDSVD: from the rank-`k` randomized SVD `X ≈ Σ_j s_j u_j v_jᵀ`, the first pair is
/// `√s₀ (|u₀|, |v₀|)`; for `j ≥ 1` keep whichever of the positive parts `(u⁺, v⁺)` or the
/// negative parts `(u⁻, v⁻)` has the larger `‖u^±‖ ‖v^±‖ = σ`, normalize it and scale by
/// `√(s_j σ)` (a pair whose two halves both vanish adds nothing). Entries below `1e-6` are
/// set to zero.
pub fn initialize<A: DataMatrix + ?Sized>(
    x: &A,
    k: usize,
    init: &Init,
    random_state: Option<u32>,
) -> Result<(Array2<f64>, Array2<f64>)> {
    let (m, n) = x.dims();
    if k == 0 {
        return Err(Error::param("n_components", "must be at least 1"));
    }
    let nndsvd_kind = matches!(init, Init::Nndsvd | Init::Nndsvda | Init::Nndsvdar);
    if nndsvd_kind && k > m.min(n) {
        return Err(Error::InvalidRank {
            requested: k,
            rows: m,
            cols: n,
            reason: "NNDSVD initializations need n_components <= min(rows, cols)".into(),
        });
    }
    let init = match init {
        Init::Auto if k <= m.min(n) => &Init::Nndsvda,
        Init::Auto => &Init::Random,
        other => other,
    };
    if let Init::Custom { w, h } = init {
        check_init(w, (m, k), "W")?;
        check_init(h, (k, n), "H")?;
        return Ok((w.clone(), h.clone()));
    }
    if let Init::Random = init {
        let avg = (x.mean_all() / k as f64).sqrt();
        let mut rng = check_random_state(random_state);
        let h = rng.standard_normal_matrix(k, n).mapv(|v| (avg * v).abs());
        let w = rng.standard_normal_matrix(m, k).mapv(|v| (avg * v).abs());
        return Ok((w, h));
    }
    let svd = randomized_svd(x, k, random_state)?;
    let (u, s, v) = (svd.u, svd.s, svd.vt);
    let mut w = Array2::<f64>::zeros((m, k));
    let mut h = Array2::<f64>::zeros((k, n));
    let s0 = s[0].sqrt();
    w.column_mut(0).assign(&u.column(0).mapv(|a| s0 * a.abs()));
    h.row_mut(0).assign(&v.row(0).mapv(|a| s0 * a.abs()));
    for j in 1..k {
        let (xc, yc) = (u.column(j), v.row(j));
        let xp = xc.mapv(|a| a.max(0.0));
        let yp = yc.mapv(|a| a.max(0.0));
        let xn = xc.mapv(|a| a.min(0.0).abs());
        let yn = yc.mapv(|a| a.min(0.0).abs());
        let (xpn, ypn) = (xp.dot(&xp).sqrt(), yp.dot(&yp).sqrt());
        let (xnn, ynn) = (xn.dot(&xn).sqrt(), yn.dot(&yn).sqrt());
        let (mp, mn) = (xpn * ypn, xnn * ynn);
        if mp == 0.0 && mn == 0.0 {
            // Both halves have a zero side (a singular pair of the null space whose vectors
            // are each of one sign): the pair adds nothing, and dividing would give 0 / 0.
            continue;
        }
        let (uu, vv, sigma) = if mp > mn {
            (xp / xpn, yp / ypn, mp)
        } else {
            (xn / xnn, yn / ynn, mn)
        };
        let lbd = (s[j] * sigma).sqrt();
        w.column_mut(j).assign(&(uu * lbd));
        h.row_mut(j).assign(&(vv * lbd));
    }
    let eps = 1e-6;
    w.mapv_inplace(|a| if a < eps { 0.0 } else { a });
    h.mapv_inplace(|a| if a < eps { 0.0 } else { a });
    match init {
        Init::Nndsvda => {
            let avg = x.mean_all();
            w.mapv_inplace(|a| if a == 0.0 { avg } else { a });
            h.mapv_inplace(|a| if a == 0.0 { avg } else { a });
        }
        Init::Nndsvdar => {
            let mut rng = check_random_state(random_state);
            let avg = x.mean_all();
            for a in w.iter_mut().filter(|a| **a == 0.0) {
                *a = (avg * rng.standard_normal() / 100.0).abs();
            }
            for a in h.iter_mut().filter(|a| **a == 0.0) {
                *a = (avg * rng.standard_normal() / 100.0).abs();
            }
        }
        _ => {}
    }
    Ok((w, h))
}
