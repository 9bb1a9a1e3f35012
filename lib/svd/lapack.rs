//! The LAPACK routes behind [`super::svd`] and [`super::svd_full`]: `dgesdd` on a
//! column-major copy (thin or full), and the wide route that takes `dgesdd`'s LQ step as a
//! QR of `Aᵀ` (`dgeqrf`/`dorgqr` called directly, with LAPACK's workspace query).

use ndarray::{Array1, Array2};
use ndarray_linalg::{JobSvd, SVDDCInto};

use super::transpose::transposed_copy;
use super::{FullSvd, Svd};
use crate::{Error, Result};

/// `dgesdd` on a column-major copy of `a` (non-empty).
pub(super) fn gesdd_svd(a: ndarray::ArrayView2<f64>) -> Result<Svd> {
    // Column-major copy (LAPACK then factors A itself, not A^T, as SciPy does).
    let (u, s, vt) = gesdd(transposed_copy(a)?.reversed_axes())?;
    // U and Vᵀ stay in LAPACK's column-major layout (as SciPy returns them), here and in
    // `wide_svd`: a row-major copy of the lesson's 2034 x 26576 Vᵀ took about 0.4 s.
    Ok(Svd { u, s, vt })
}

/// `dgesdd` with `JOBZ = 'A'` on a column-major copy of `a` (non-empty): `U` is `m x m`,
/// `Vᵀ` is `n x n`, both column-major.
pub(super) fn gesdd_full_svd(a: ndarray::ArrayView2<f64>) -> Result<FullSvd> {
    match transposed_copy(a)?
        .reversed_axes()
        .svddc_into(JobSvd::All)?
    {
        (Some(u), s, Some(vt)) => Ok(FullSvd { u, s, vt }),
        _ => Err(Error::Linalg("dgesdd returned no singular vectors".into())),
    }
}

/// Thin SVD of a wide `m x n` matrix (`n >= 11 m / 6`) the way `dgesdd` does it, with its
/// first step done on storage that suits it.
///
/// `dgesdd` starts a wide matrix with an LQ factorization `A = L Q` (`L` lower triangular
/// `m x m`, `Q` with orthonormal rows), takes the SVD `L = U Σ W^T` of the small factor
/// and returns `V^T = W^T Q`. The LQ of `A` is the QR of `Aᵀ` read backwards
/// (`Aᵀ = Qᵀ Lᵀ`, the same Householder reflections), and `Aᵀ` in column-major order is
/// `A` in row-major order: LAPACK's `dgeqrf`/`dorgqr` then sweep contiguous columns,
/// where `dgelqf`/`dorglq` on a column-major `A` step through rows with a stride of `m`.
/// On the lesson's 2034 x 26576 count matrix that made the whole SVD about a fifth faster.
/// `L`'s SVD is `dgesdd` on the square factor, which runs exactly the steps `dgesdd`
/// runs after its LQ (bidiagonalize, divide and conquer, back-transform), so the signs
/// are `dgesdd`'s; entries differ from it by rounding only.
pub(super) fn wide_svd(a: ndarray::ArrayView2<f64>) -> Result<Svd> {
    use ndarray::ShapeBuilder;
    let (m, n) = a.dim();
    let too_big = || Error::InvalidInput(format!("{m} x {n} is too large for LAPACK"));
    let (mi, ni) = (
        i32::try_from(m).map_err(|_| too_big())?,
        i32::try_from(n).map_err(|_| too_big())?,
    );
    // A row-major = Aᵀ column-major (n x m).
    let mut at = transposed_copy(a.t())?.into_raw_vec_and_offset().0;
    let mut tau = vec![0.0; m];
    // The QR of Aᵀ (R above the diagonal of the top m x m block, the reflectors below).
    // SAFETY: `at` holds the n x m column-major Aᵀ with leading dimension n, `tau` has
    // room for the m reflector scalars, `work` for `lwork` entries.
    with_workspace("dgeqrf", |work, lwork, info| unsafe {
        lapack_sys::dgeqrf_(
            &ni,
            &mi,
            at.as_mut_ptr(),
            &ni,
            tau.as_mut_ptr(),
            work,
            &lwork,
            info,
        )
    })?;
    // L = Rᵀ, lower triangular.
    let mut l = Array2::<f64>::zeros((m, m).f());
    for j in 0..m {
        for i in 0..=j {
            l[[j, i]] = at[j * n + i];
        }
    }
    // Q_qr = Qᵀ (n x m, orthonormal columns) in place of the reflectors.
    // SAFETY: `at` holds dgeqrf's m reflectors in the n x m column-major layout (leading
    // dimension n), `tau` their m scalars, `work` room for `lwork` entries.
    with_workspace("dorgqr", |work, lwork, info| unsafe {
        lapack_sys::dorgqr_(
            &ni,
            &mi,
            &mi,
            at.as_mut_ptr(),
            &ni,
            tau.as_ptr(),
            work,
            &lwork,
            info,
        )
    })?;
    let q_qr = Array2::from_shape_vec((n, m).f(), at).expect("n x m");
    // L = U Σ Wᵀ, then Vᵀ = Wᵀ Q = Wᵀ Q_qrᵀ.
    let (u, s, wt) = gesdd(l)?;
    let mut vt = Array2::<f64>::zeros((m, n).f());
    ndarray::linalg::general_mat_mul(1.0, &wt, &q_qr.t(), 0.0, &mut vt);
    Ok(Svd { u, s, vt })
}

/// `dgesdd` (thin: `JOBZ = 'S'`) on a column-major `f`: `(U, s, Vᵀ)`.
fn gesdd(f: Array2<f64>) -> Result<(Array2<f64>, Array1<f64>, Array2<f64>)> {
    match f.svddc_into(JobSvd::Some)? {
        (Some(u), s, Some(vt)) => Ok((u, s, vt)),
        _ => Err(Error::Linalg("dgesdd returned no singular vectors".into())),
    }
}

/// Calls a LAPACK routine that takes a workspace twice, as LAPACK intends: first with
/// `lwork = -1`, when it only writes the size it wants into `work[0]`, then with a
/// workspace of that size. A non-zero `info` from either call is [`Error::Linalg`].
fn with_workspace(what: &str, mut call: impl FnMut(*mut f64, i32, &mut i32)) -> Result<()> {
    let check = |info: i32| match info {
        0 => Ok(()),
        _ => Err(Error::Linalg(format!("{what} failed (info = {info})"))),
    };
    let (mut query, mut info) = (0.0, 0);
    call(&mut query, -1, &mut info);
    check(info)?;
    let mut work = vec![0.0; (query as usize).max(1)];
    let lwork = i32::try_from(work.len())
        .map_err(|_| Error::InvalidInput(format!("{what} needs too large a workspace")))?;
    call(work.as_mut_ptr(), lwork, &mut info);
    check(info)
}
