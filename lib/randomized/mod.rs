//! Randomized range finder and randomized SVD (Halko, Martinsson & Tropp, 2011), step for
//! step as scikit-learn's `randomized_svd`, so that the same seed gives the same numbers.
//!
//! For `A` of shape `m x n` and a target rank `k`:
//!
//! 1. draw a Gaussian test matrix `Ω` (`n x (k + p)`, `p` oversamples) from the
//!    NumPy-compatible [`RandomState`];
//! 2. power iterations `Y ← A Y`, `Y ← Aᵀ Y`, each followed by a normalizer that only
//!    keeps the column span well conditioned (none, `P·L` of a partial-pivot LU, or `Q`
//!    of a thin QR);
//! 3. `Q` = orthonormal basis of `A Y` (thin Householder QR);
//! 4. `B = Qᵀ A` is small: take its SVD `B = Û Σ Vᵀ` (LAPACK `gesdd`), then `U = Q Û`;
//! 5. fix the signs (see [`svd_flip`]) and keep the leading `k` triplets.
//!
//! When `m < n` (the usual documents × words case) the algorithm runs on `Aᵀ` and the
//! factors are swapped back at the end, as scikit-learn does by default.
//!
//! **Sign convention** (scikit-learn's `svd_flip`, applied to the internal `k + p` wide
//! factors before truncation). Without transposition, each column of `U` is multiplied by
//! the sign of its largest-magnitude entry (the first one on ties), and the matching row
//! of `Vᵀ` with it. With transposition the rule is applied to the rows of the internal
//! `Vᵀ`, which are the returned columns of `U`. So in both cases **the entry of largest
//! absolute value in every returned column of `U` is positive**.

use ndarray::{s, Array1, Array2, ArrayView2, ShapeBuilder};
use ndarray_linalg::{JobSvd, QRInto, SVDDCInto};

use crate::linop::{CsrWithTranspose, LinearOperator, SingleThreadedBlas, Transposed};
use crate::rng::{check_random_state, RandomState};
use crate::svd::Svd;
use crate::{Error, Result};

mod lu;

/// How the power iterations renormalize their block of vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PowerIterationNormalizer {
    /// `None` when `n_iter <= 2`, otherwise `LU` (scikit-learn's rule).
    #[default]
    Auto,
    /// No normalization: fastest, loses accuracy when `n_iter` is large.
    None,
    /// Replace `Y` by `P·L` from a partial-pivot LU `Y = P L U`.
    LU,
    /// Replace `Y` by `Q` from a thin QR `Y = Q R` (slowest, most stable).
    QR,
}

/// `P·L` of the partial-pivot LU factorization `A = P L U` (`m x n`, `L` unit lower
/// trapezoidal `m x min(m, n)`), i.e. SciPy's `lu(A, permute_l=True)[0]`.
///
/// LAPACK's `getrf` does the factorization: the pivot of column `j` is the first row
/// (from `j` down) with the largest `|a_ij|`. `P·L` spans the same space as the first
/// `min(m, n)` columns of `A` (when they are independent) and is cheap to compute.
pub fn lu_normalize(a: &Array2<f64>) -> Array2<f64> {
    lu::permuted_l(a.view())
}

/// `Q` of the thin (economic) Householder QR `A = Q R` (LAPACK `geqrf` + `orgqr`, the
/// same routines and hence the same column signs as SciPy's `qr(mode="economic")`).
pub fn qr_orthonormalize(a: &Array2<f64>) -> Result<Array2<f64>> {
    let mut f = Array2::<f64>::zeros(a.dim().f());
    f.assign(a);
    let (q, _r) = f.qr_into()?;
    Ok(q)
}

fn normalize(y: Array2<f64>, how: PowerIterationNormalizer) -> Result<Array2<f64>> {
    match how {
        PowerIterationNormalizer::LU => Ok(lu_normalize(&y)),
        PowerIterationNormalizer::QR => qr_orthonormalize(&y),
        _ => Ok(y),
    }
}

/// An `m x size` matrix `Q` with orthonormal columns whose span approximates the range of
/// `A` (scikit-learn's `randomized_range_finder`).
///
/// `Ω = rng.normal(size=(n, size))`, then `n_iter` rounds of `Y ← norm(A Y)`,
/// `Y ← norm(Aᵀ Y)` and finally `Q = qr(A Y)`. `Auto` picks `None` for `n_iter <= 2` and
/// `LU` otherwise.
pub fn randomized_range_finder<A: LinearOperator + ?Sized>(
    a: &A,
    size: usize,
    n_iter: usize,
    normalizer: PowerIterationNormalizer,
    rng: &mut RandomState,
) -> Result<Array2<f64>> {
    // The work happens in non-generic code, compiled once (optimized) in this crate.
    range_finder_dyn(a.as_operator(), size, n_iter, normalizer, rng)
}

fn range_finder_dyn(
    a: &dyn LinearOperator,
    size: usize,
    n_iter: usize,
    normalizer: PowerIterationNormalizer,
    rng: &mut RandomState,
) -> Result<Array2<f64>> {
    let (m, n) = a.dims();
    if size == 0 {
        return Err(Error::param(
            "size",
            "the range finder needs at least one vector",
        ));
    }
    if m == 0 || n == 0 {
        return Err(Error::InvalidInput(format!("empty {m} x {n} matrix")));
    }
    if let Some(csr) = a.as_csr() {
        // Gathers in both directions (see `CsrWithTranspose`): same span, less time.
        return range_finder(&CsrWithTranspose::new(csr), size, n_iter, normalizer, rng);
    }
    range_finder(a, size, n_iter, normalizer, rng)
}

fn range_finder<A: LinearOperator + ?Sized>(
    a: &A,
    size: usize,
    n_iter: usize,
    normalizer: PowerIterationNormalizer,
    rng: &mut RandomState,
) -> Result<Array2<f64>> {
    let how = match normalizer {
        PowerIterationNormalizer::Auto if n_iter <= 2 => PowerIterationNormalizer::None,
        PowerIterationNormalizer::Auto => PowerIterationNormalizer::LU,
        other => other,
    };
    let mut q = rng.standard_normal_matrix(a.dims().1, size);
    for _ in 0..n_iter {
        q = normalize(a.matmul(&q.view()), how)?;
        q = normalize(a.t_matmul(&q.view()), how)?;
    }
    qr_orthonormalize(&a.matmul(&q.view()))
}

/// Flips signs of paired singular vectors (columns of `u`, rows of `vt`) in place.
///
/// `u_based = true`: the largest-|entry| of each column of `u` becomes positive;
/// `u_based = false`: the largest-|entry| of each row of `vt` becomes positive.
/// Ties go to the first such entry; an all-zero vector gets sign 0 (NumPy's `sign`).
pub fn svd_flip(u: &mut Array2<f64>, vt: &mut Array2<f64>, u_based: bool) {
    let k = u.ncols().min(vt.nrows());
    for c in 0..k {
        let pick = |it: &mut dyn Iterator<Item = f64>| {
            let mut best = f64::NEG_INFINITY;
            let mut val = 0.0;
            for v in it {
                if v.abs() > best {
                    best = v.abs();
                    val = v;
                }
            }
            val
        };
        let v = if u_based {
            pick(&mut u.column(c).iter().copied())
        } else {
            pick(&mut vt.row(c).iter().copied())
        };
        let sign = if v > 0.0 {
            1.0
        } else if v < 0.0 {
            -1.0
        } else {
            0.0
        };
        if sign != 1.0 {
            u.column_mut(c).mapv_inplace(|x| x * sign);
            vt.row_mut(c).mapv_inplace(|x| x * sign);
        }
    }
}

/// Builder for a randomized truncated SVD with scikit-learn's defaults
/// (`n_oversamples = 10`, `n_iter` auto, normalizer auto, transpose auto, sign flip on).
///
/// ```
/// use ndarray::array;
/// use topicmod::randomized::RandomizedSvd;
/// let a = array![[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
/// let svd = RandomizedSvd::new(1).random_state(Some(0)).fit(&a).unwrap();
/// assert!((svd.s[0] - 3.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct RandomizedSvd {
    k: usize,
    n_oversamples: usize,
    n_iter: Option<usize>,
    normalizer: PowerIterationNormalizer,
    transpose: Option<bool>,
    flip_sign: bool,
    random_state: Option<u32>,
}

impl RandomizedSvd {
    /// `k` singular triplets with the default settings.
    pub fn new(k: usize) -> Self {
        RandomizedSvd {
            k,
            n_oversamples: 10,
            n_iter: None,
            normalizer: PowerIterationNormalizer::Auto,
            transpose: None,
            flip_sign: true,
            random_state: None,
        }
    }
    field_setters! {
        /// Extra random vectors `p` (the sketch has `k + p` columns). Default 10.
        n_oversamples: usize,
        /// Power iterations; `None` = 7 if `k < 0.1 min(m, n)`, else 4.
        n_iter: Option<usize>,
        /// Normalizer used between power iterations.
        normalizer: PowerIterationNormalizer,
        /// Run on `Aᵀ`; `None` = transpose when `A` has fewer rows than columns.
        transpose: Option<bool>,
        /// Apply the sign convention of the module docs (default `true`).
        flip_sign: bool,
        /// Seed of the Gaussian test matrix; `None` draws one from the clock.
        random_state: Option<u32>,
    }

    /// Computes the truncated SVD of `a` (dense or sparse).
    pub fn fit<A: LinearOperator + ?Sized>(&self, a: &A) -> Result<Svd> {
        let mut rng = check_random_state(self.random_state);
        self.fit_dyn(a.as_operator(), &mut rng)
    }

    /// Like [`RandomizedSvd::fit`] but drawing from a caller-owned generator.
    pub fn fit_with_rng<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        rng: &mut RandomState,
    ) -> Result<Svd> {
        // The work happens in non-generic code, compiled once (optimized) in this crate.
        self.fit_dyn(a.as_operator(), rng)
    }

    fn fit_dyn(&self, a: &dyn LinearOperator, rng: &mut RandomState) -> Result<Svd> {
        let (m, n) = a.dims();
        let _blas = a.is_sparse().then(SingleThreadedBlas::new);
        if self.k == 0 {
            return Err(Error::param("k", "need at least one singular triplet"));
        }
        if self.k > m.min(n) {
            return Err(Error::InvalidRank {
                requested: self.k,
                rows: m,
                cols: n,
                reason: "a truncated SVD has at most min(rows, cols) triplets".into(),
            });
        }
        let n_random = self.k + self.n_oversamples;
        let n_iter = self
            .n_iter
            .unwrap_or(if (self.k as f64) < 0.1 * (m.min(n) as f64) {
                7
            } else {
                4
            });
        let transpose = self.transpose.unwrap_or(m < n);
        let (u, s, vt) = match a.as_csr() {
            Some(csr) => {
                // Sparse input: gathers for both products (see `CsrWithTranspose`).
                let pair = CsrWithTranspose::new(csr);
                self.run_core(&pair, transpose, n_random, n_iter, rng)?
            }
            None => self.run_core(a, transpose, n_random, n_iter, rng)?,
        };
        let (mut u, mut vt) = (u, vt);
        if self.flip_sign {
            svd_flip(&mut u, &mut vt, !transpose);
        }
        let k = self.k.min(s.len());
        Ok(if transpose {
            Svd {
                u: vt.slice(s![..k, ..]).t().to_owned(),
                s: s.slice(s![..k]).to_owned(),
                vt: u.slice(s![.., ..k]).t().to_owned(),
            }
        } else {
            Svd {
                u: u.slice(s![.., ..k]).to_owned(),
                s: s.slice(s![..k]).to_owned(),
                vt: vt.slice(s![..k, ..]).to_owned(),
            }
        })
    }

    fn run_core<A: LinearOperator + ?Sized>(
        &self,
        a: &A,
        transpose: bool,
        n_random: usize,
        n_iter: usize,
        rng: &mut RandomState,
    ) -> Result<(Array2<f64>, Array1<f64>, Array2<f64>)> {
        if transpose {
            core(&Transposed(a), n_random, n_iter, self.normalizer, rng)
        } else {
            core(a, n_random, n_iter, self.normalizer, rng)
        }
    }
}

/// Full-width (`k + p`) factors `U`, `s`, `Vᵀ` of `A ≈ Q Qᵀ A`, no sign fix, no truncation.
fn core<A: LinearOperator + ?Sized>(
    a: &A,
    n_random: usize,
    n_iter: usize,
    normalizer: PowerIterationNormalizer,
    rng: &mut RandomState,
) -> Result<(Array2<f64>, Array1<f64>, Array2<f64>)> {
    let q = range_finder(a, n_random, n_iter, normalizer, rng)?;
    // B = Qᵀ A = (Aᵀ Q)ᵀ, stored column-major for gesdd.
    let bt = a.t_matmul(&q.view());
    let b: ArrayView2<f64> = bt.t();
    let mut bf = Array2::<f64>::zeros(b.dim().f());
    bf.assign(&b);
    let (uhat, s, vt) = bf.svddc_into(JobSvd::Some)?;
    let uhat = uhat.ok_or_else(|| Error::Linalg("gesdd returned no U".into()))?;
    let vt = vt.ok_or_else(|| Error::Linalg("gesdd returned no Vt".into()))?;
    let u = q.dot(&uhat);
    Ok((u, s, vt.as_standard_layout().into_owned()))
}

/// Randomized truncated SVD with scikit-learn's defaults:
/// `RandomizedSvd::new(k).random_state(random_state).fit(a)`.
pub fn randomized_svd<A: LinearOperator + ?Sized>(
    a: &A,
    k: usize,
    random_state: Option<u32>,
) -> Result<Svd> {
    RandomizedSvd::new(k).random_state(random_state).fit(a)
}

/// The smallest dimension `k` to which a random projection can take `n_samples` points while
/// every pairwise squared distance stays within a factor `1 ± eps`, by the
/// Johnson-Lindenstrauss lemma as Dasgupta and Gupta prove it (scikit-learn's
/// `johnson_lindenstrauss_min_dim`):
///
/// `k ≥ 4 ln(N) / (eps²/2 − eps³/3)`, about `8 ln(N) / eps²` for small `eps`,
///
/// rounded down as scikit-learn does. It depends on the number of points, not on their
/// dimension. `eps` must lie strictly between 0 and 1 and `n_samples` must be positive.
///
/// ```
/// use topicmod::randomized::johnson_lindenstrauss_min_dim;
/// assert_eq!(johnson_lindenstrauss_min_dim(1_000_000, 0.5).unwrap(), 663);
/// assert_eq!(johnson_lindenstrauss_min_dim(2034, 0.1).unwrap(), 6529);
/// assert!(johnson_lindenstrauss_min_dim(2034, 1.0).is_err());
/// ```
pub fn johnson_lindenstrauss_min_dim(n_samples: usize, eps: f64) -> Result<usize> {
    if !(eps > 0.0 && eps < 1.0) {
        return Err(Error::param(
            "eps",
            format!("must lie strictly between 0 and 1, got {eps}"),
        ));
    }
    if n_samples == 0 {
        return Err(Error::param("n_samples", "must be positive"));
    }
    let denominator = eps * eps / 2.0 - eps * eps * eps / 3.0;
    Ok((4.0 * (n_samples as f64).ln() / denominator) as usize)
}

#[cfg(test)]
mod tests {

    #[test]
    fn jl_min_dim_matches_scikit_learn() {
        // scikit-learn 1.9.1: johnson_lindenstrauss_min_dim(n_samples, eps=eps).
        for (n, eps, k) in [
            (2034, 0.1, 6529),
            (2034, 0.5, 365),
            (1_000_000, 0.1, 11841),
            (2, 0.9, 17),
            (2034, 0.3, 846),
            (11314, 0.2, 2153),
        ] {
            assert_eq!(
                johnson_lindenstrauss_min_dim(n, eps).unwrap(),
                k,
                "n = {n}, eps = {eps}"
            );
        }
        assert_eq!(johnson_lindenstrauss_min_dim(1, 0.5).unwrap(), 0);
        assert!(johnson_lindenstrauss_min_dim(0, 0.5).is_err());
        for eps in [0.0, -0.1, 1.0, f64::NAN] {
            assert!(
                johnson_lindenstrauss_min_dim(10, eps).is_err(),
                "eps = {eps}"
            );
        }
    }
    use super::*;
    use ndarray::array;

    #[test]
    fn qr_is_orthonormal_with_lapack_signs() {
        let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]];
        let q = qr_orthonormalize(&a).unwrap();
        let g = q.t().dot(&q);
        assert!((g[[0, 0]] - 1.0).abs() < 1e-14 && g[[0, 1]].abs() < 1e-14);
        // Householder on a positive first column gives R[0,0] < 0, so Q[:,0] = -a0/|a0|.
        assert!(q[[0, 0]] < 0.0);
    }

    #[test]
    fn rejects_bad_rank() {
        let a = Array2::<f64>::ones((3, 4));
        assert!(matches!(
            randomized_svd(&a, 0, Some(0)),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            randomized_svd(&a, 4, Some(0)),
            Err(Error::InvalidRank { .. })
        ));
    }

    #[test]
    fn flips_on_largest_entry() {
        let mut u = array![[0.1, -0.9], [-0.5, 0.2]];
        let mut vt = array![[1.0, 2.0], [3.0, 4.0]];
        svd_flip(&mut u, &mut vt, true);
        assert_eq!(u, array![[-0.1, 0.9], [0.5, -0.2]]);
        assert_eq!(vt, array![[-1.0, -2.0], [-3.0, -4.0]]);
        svd_flip(&mut u, &mut vt, false);
        assert_eq!(vt, array![[1.0, 2.0], [3.0, 4.0]]);
    }
}
