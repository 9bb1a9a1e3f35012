//! Non-negative matrix factorization `X ≈ W H` (`W ≥ 0` is `m x k`, `H ≥ 0` is `k x n`),
//! reproducing scikit-learn 1.9.1's `NMF` estimator number for number.
//!
//! The objective is
//!
//! ```text
//! D_β(X ‖ W H) + α_W n (ρ ‖W‖₁ + (1-ρ)/2 ‖W‖²_F) + α_H m (ρ ‖H‖₁ + (1-ρ)/2 ‖H‖²_F)
//! ```
//!
//! with `D_2 = ½‖X - WH‖²_F` (Frobenius), `D_1` the generalized Kullback-Leibler
//! divergence, `D_0` Itakura-Saito, `ρ` = `l1_ratio`, and the penalties scaled by the
//! number of features `n` (for `W`) and samples `m` (for `H`) as scikit-learn does.
//!
//! Solvers:
//! * [`Solver::Cd`] — cyclic coordinate descent (Hsieh & Dhillon 2011) on the Frobenius
//!   loss: alternately sweep the columns of `W` and of `Hᵀ`, each entry moved to the
//!   minimizer of the quadratic in that entry, clipped at zero. Stops when the sum of
//!   projected-gradient magnitudes falls below `tol` times its first value.
//! * [`Solver::Mu`] — multiplicative updates (Lee & Seung; Févotte & Idier for general β),
//!   checking every 10 iterations whether the loss decreased by less than `tol` relative
//!   to the initial loss.
//!
//! Initializations: random (`|N(0,1)| √(mean(X)/k)`), NNDSVD (Boutsidis & Gallopoulos
//! 2008) built on [`crate::randomized::randomized_svd`], and its variants that fill the
//! zeros with the mean (`Nndsvda`) or small random values (`Nndsvdar`).
//!
//! Sparse input goes through [`DataMatrix`]: the Frobenius paths only use the products
//! `X Y` and `Xᵀ Y`, and the loss is computed as `‖X‖² + tr(WᵀW HHᵀ) - 2 tr(Wᵀ X Hᵀ)`
//! without forming `WH`. The other β losses (multiplicative updates only) work on a dense
//! copy of `X`.
//!
//! [`MiniBatchNmf`] is scikit-learn's `MiniBatchNMF`: the same multiplicative updates on
//! batches of rows, with an online update of `H`.
//!
//! This file is the estimators' API; the work lives beside it: `init.rs` (random and
//! NNDSVD starts), `cd.rs` (coordinate descent), `mu.rs` (multiplicative updates),
//! `minibatch.rs` and `minibatch_kernels.rs` (the online estimator).

use ndarray::{Array2, Axis};

use crate::linop::{CsrWithTranspose, DataMatrix, SingleThreadedBlas};
use crate::rng::check_random_state;
use crate::{Error, Result};

mod cd;
mod init;
mod minibatch;
mod minibatch_kernels;
mod mu;

use cd::fit_coordinate_descent;
use init::check_init;
pub use init::initialize;
pub use minibatch::MiniBatchNmf;
#[doc(hidden)]
pub use minibatch_kernels::online_update_for_bench;
use mu::fit_multiplicative_update;

/// scikit-learn's small constant for the β-divergence updates (`float32` machine epsilon).
const EPSILON: f64 = f32::EPSILON as f64;

/// How `W` and `H` start.
#[derive(Clone, Debug, Default)]
pub enum Init {
    /// scikit-learn's `init=None`: `Nndsvda` when `k <= min(m, n)`, else `Random`.
    #[default]
    Auto,
    /// `|N(0, 1)| * sqrt(mean(X) / k)`, `H` drawn first, then `W`.
    Random,
    /// Non-negative double SVD: zeros stay zeros (good for sparse results, `Cd`).
    Nndsvd,
    /// NNDSVD with zeros replaced by `mean(X)` (better with `Mu`).
    Nndsvda,
    /// NNDSVD with zeros replaced by `|N(0,1)| mean(X) / 100`.
    Nndsvdar,
    /// User-supplied starting factors (`W` is `m x k`, `H` is `k x n`).
    Custom { w: Array2<f64>, h: Array2<f64> },
}

/// Numerical solver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Solver {
    /// Coordinate descent (Frobenius loss only).
    #[default]
    Cd,
    /// Multiplicative update (any β).
    Mu,
}

/// The β-divergence to minimize.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum BetaLoss {
    /// β = 2: `½‖X - WH‖²_F`.
    #[default]
    Frobenius,
    /// β = 1: `Σ x log(x / y) - x + y`.
    KullbackLeibler,
    /// β = 0: `Σ x/y - log(x/y) - 1`.
    ItakuraSaito,
    /// Any other β (multiplicative update only).
    Beta(f64),
}

impl BetaLoss {
    /// The numeric β.
    pub fn beta(self) -> f64 {
        match self {
            BetaLoss::Frobenius => 2.0,
            BetaLoss::KullbackLeibler => 1.0,
            BetaLoss::ItakuraSaito => 0.0,
            BetaLoss::Beta(b) => b,
        }
    }
}

/// Regularization weight of `H`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum AlphaH {
    /// Same as `alpha_w`.
    #[default]
    Same,
    /// Its own value.
    Value(f64),
}

impl From<f64> for AlphaH {
    fn from(v: f64) -> Self {
        AlphaH::Value(v)
    }
}

#[derive(Clone, Debug)]
struct Fitted {
    components: Array2<f64>,
    reconstruction_err: f64,
    n_iter: usize,
    converged: bool,
}

/// scikit-learn-style NMF estimator.
///
/// ```
/// use ndarray::array;
/// use topicmod::nmf::{Init, Nmf};
/// let x = array![[1.0, 0.5, 0.0], [2.0, 1.0, 0.1], [0.0, 0.2, 3.0]];
/// let mut model = Nmf::new(2).init(Init::Nndsvd).random_state(Some(0)).max_iter(500);
/// let w = model.fit_transform(&x).unwrap();
/// let h = model.components().unwrap();
/// assert_eq!((w.dim(), h.dim()), ((3, 2), (2, 3)));
/// assert!(model.reconstruction_err().unwrap() < 0.2);
/// ```
#[derive(Clone, Debug)]
pub struct Nmf {
    n_components: usize,
    init: Init,
    solver: Solver,
    beta_loss: BetaLoss,
    tol: f64,
    max_iter: usize,
    alpha_w: f64,
    alpha_h: AlphaH,
    l1_ratio: f64,
    shuffle: bool,
    random_state: Option<u32>,
    verbose: bool,
    fitted: Option<Fitted>,
}

impl Nmf {
    /// `k` components, scikit-learn's defaults for everything else.
    pub fn new(n_components: usize) -> Self {
        Nmf {
            n_components,
            init: Init::Auto,
            solver: Solver::Cd,
            beta_loss: BetaLoss::Frobenius,
            tol: 1e-4,
            max_iter: 200,
            alpha_w: 0.0,
            alpha_h: AlphaH::Same,
            l1_ratio: 0.0,
            shuffle: false,
            random_state: None,
            verbose: false,
            fitted: None,
        }
    }
    field_setters! {
        /// Initialization scheme (default [`Init::Auto`], scikit-learn's `init=None`).
        init: Init,
        /// Solver (default coordinate descent).
        solver: Solver,
        /// β-divergence (default Frobenius).
        beta_loss: BetaLoss,
        /// Relative stopping tolerance (default `1e-4`).
        tol: f64,
        /// Iteration cap (default 200).
        max_iter: usize,
        /// Penalty weight on `W` (default 0).
        alpha_w: f64,
        /// Penalty weight on `H` (default: same as `alpha_w`; a number or an [`AlphaH`]).
        alpha_h: impl Into<AlphaH>,
        /// Share of L1 in the penalty, in `[0, 1]` (default 0: pure L2).
        l1_ratio: f64,
        /// Visit coordinates in a random order each sweep (`Cd` only).
        shuffle: bool,
        /// Seed for the random init, NNDSVD's randomized SVD and shuffling.
        random_state: Option<u32>,
        /// Print progress to stdout (the only printing this module does).
        verbose: bool,
    }

    /// Fits the model and returns `W` (`m x k`).
    pub fn fit_transform<A: DataMatrix + ?Sized>(&mut self, x: &A) -> Result<Array2<f64>> {
        // The work happens in non-generic code, compiled once (optimized) in this crate.
        self.fit_transform_dyn(x.as_data_matrix())
    }

    fn fit_transform_dyn(&mut self, x: &dyn DataMatrix) -> Result<Array2<f64>> {
        self.check_params()?;
        check_data(x)?;
        let _blas = x.is_sparse().then(SingleThreadedBlas::new);
        match x.as_csr() {
            // Sparse input: `Xᵀ W` as a gather too (see `CsrWithTranspose`).
            Some(csr) => self.fit_checked(&CsrWithTranspose::new(csr)),
            None => self.fit_checked(x),
        }
    }

    fn fit_checked<A: DataMatrix + ?Sized>(&mut self, x: &A) -> Result<Array2<f64>> {
        let (w, h) = self.initial_factors(x)?;
        let (w, h, n_iter) = self.solve(x, w, h, true)?;
        let reconstruction_err = beta_divergence(x, &w, &h, self.beta_loss.beta(), true);
        let converged = !(n_iter == self.max_iter && self.tol > 0.0);
        self.fitted = Some(Fitted {
            components: h,
            reconstruction_err,
            n_iter,
            converged,
        });
        Ok(w)
    }

    /// Fits the model (keeps only `H`).
    pub fn fit<A: DataMatrix + ?Sized>(&mut self, x: &A) -> Result<&mut Self> {
        self.fit_transform_dyn(x.as_data_matrix())?;
        Ok(self)
    }

    /// `W` for new rows `x` with the fitted `H` held fixed (same solver and settings).
    pub fn transform<A: DataMatrix + ?Sized>(&self, x: &A) -> Result<Array2<f64>> {
        self.transform_dyn(x.as_data_matrix())
    }

    /// `W` for rows `x` with the given `components` (`H`, `k x n`) held fixed, using this
    /// estimator's solver and settings; it need not be fitted. This places documents on
    /// topics found another way (gradient descent, PyTorch) exactly as [`Nmf::transform`]
    /// places them on its own.
    pub fn transform_with<A: DataMatrix + ?Sized>(
        &self,
        x: &A,
        components: &Array2<f64>,
    ) -> Result<Array2<f64>> {
        if components.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(Error::InvalidInput(
                "components must be finite and non-negative".into(),
            ));
        }
        self.transform_components(x.as_data_matrix(), components.clone())
    }

    fn transform_dyn(&self, x: &dyn DataMatrix) -> Result<Array2<f64>> {
        let fitted = self.fitted()?;
        self.transform_components(x, fitted.components.clone())
    }

    fn transform_components(&self, x: &dyn DataMatrix, h: Array2<f64>) -> Result<Array2<f64>> {
        let (m, n) = x.dims();
        if n != h.ncols() {
            return Err(Error::ShapeMismatch(format!(
                "the model was fitted on {} features, got a {m} x {n} matrix",
                h.ncols()
            )));
        }
        check_data(x)?;
        let _blas = x.is_sparse().then(SingleThreadedBlas::new);
        match x.as_csr() {
            Some(csr) => self.transform_checked(&CsrWithTranspose::new(csr), h),
            None => self.transform_checked(x, h),
        }
    }

    fn transform_checked<A: DataMatrix + ?Sized>(
        &self,
        x: &A,
        h: Array2<f64>,
    ) -> Result<Array2<f64>> {
        let (m, _) = x.dims();
        let k = h.nrows();
        let w = match self.solver {
            Solver::Mu => Array2::from_elem((m, k), (x.mean_all() / k as f64).sqrt()),
            Solver::Cd => Array2::zeros((m, k)),
        };
        let (w, _, _) = self.solve(x, w, h, false)?;
        Ok(w)
    }

    /// `H` (`k x n`): row `t` weights the words of topic `t`.
    pub fn components(&self) -> Result<&Array2<f64>> {
        Ok(&self.fitted()?.components)
    }

    /// `sqrt(2 D_β(X ‖ W H))` at the end of the fit (`‖X - WH‖_F` for Frobenius).
    pub fn reconstruction_err(&self) -> Result<f64> {
        Ok(self.fitted()?.reconstruction_err)
    }

    /// Iterations the solver ran.
    pub fn n_iter(&self) -> Result<usize> {
        Ok(self.fitted()?.n_iter)
    }

    /// `false` when the fit stopped at `max_iter` with `tol > 0`.
    pub fn converged(&self) -> Result<bool> {
        Ok(self.fitted()?.converged)
    }

    /// What the last fit found, or `NotFitted`: the one place the accessors check it.
    fn fitted(&self) -> Result<&Fitted> {
        self.fitted.as_ref().ok_or(Error::NotFitted("Nmf"))
    }

    /// scikit-learn's `ConvergenceWarning` text when the fit did not converge.
    pub fn convergence_warning(&self) -> Result<Option<String>> {
        Ok((!self.converged()?).then(|| {
            format!(
                "Maximum number of iterations {} reached. Increase it to improve convergence.",
                self.max_iter
            )
        }))
    }

    fn check_params(&self) -> Result<()> {
        if self.n_components == 0 {
            return Err(Error::param("n_components", "must be at least 1"));
        }
        if self.tol.is_nan() || self.tol < 0.0 {
            return Err(Error::param("tol", "must be >= 0"));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", "must be at least 1"));
        }
        if self.alpha_w.is_nan() || self.alpha_w < 0.0 {
            return Err(Error::param("alpha_w", "must be >= 0"));
        }
        if let AlphaH::Value(a) = self.alpha_h {
            if a.is_nan() || a < 0.0 {
                return Err(Error::param("alpha_h", "must be >= 0"));
            }
        }
        if !(0.0..=1.0).contains(&self.l1_ratio) {
            return Err(Error::param("l1_ratio", "must lie in [0, 1]"));
        }
        if !self.beta_loss.beta().is_finite() {
            return Err(Error::param("beta_loss", "must be finite"));
        }
        if self.solver == Solver::Cd && self.beta_loss.beta() != 2.0 {
            return Err(Error::param(
                "beta_loss",
                "coordinate descent handles only the Frobenius loss; use Solver::Mu",
            ));
        }
        Ok(())
    }

    fn initial_factors<A: DataMatrix + ?Sized>(&self, x: &A) -> Result<(Array2<f64>, Array2<f64>)> {
        let (m, n) = x.dims();
        let k = self.n_components;
        if self.beta_loss.beta() <= 0.0 && x.min_entry() == 0.0 {
            return Err(Error::InvalidInput(
                "with beta_loss <= 0 the solver may diverge on zeros in X; add small values to X"
                    .into(),
            ));
        }
        if let Init::Custom { w, h } = &self.init {
            check_init(w, (m, k), "W")?;
            check_init(h, (k, n), "H")?;
            return Ok((w.clone(), h.clone()));
        }
        initialize(x, k, &self.init, self.random_state)
    }

    fn solve<A: DataMatrix + ?Sized>(
        &self,
        x: &A,
        w: Array2<f64>,
        h: Array2<f64>,
        update_h: bool,
    ) -> Result<(Array2<f64>, Array2<f64>, usize)> {
        let run = SolverRun {
            max_iter: self.max_iter,
            tol: self.tol,
            reg: Regularization::new(x.dims(), self.alpha_w, self.alpha_h, self.l1_ratio),
            update_h,
            verbose: self.verbose,
        };
        Ok(match self.solver {
            Solver::Cd => {
                let mut rng = check_random_state(self.random_state);
                fit_coordinate_descent(x, w, h, &run, self.shuffle, &mut rng)
            }
            Solver::Mu => fit_multiplicative_update(x, w, h, self.beta_loss.beta(), &run),
        })
    }
}

pub(crate) fn check_data<A: DataMatrix + ?Sized>(x: &A) -> Result<()> {
    let (m, n) = x.dims();
    if m == 0 || n == 0 {
        return Err(Error::InvalidInput(format!("empty {m} x {n} matrix")));
    }
    if x.has_non_finite() {
        return Err(Error::InvalidInput(
            "X contains NaN or infinite entries".into(),
        ));
    }
    if x.min_entry() < 0.0 {
        return Err(Error::InvalidInput(
            "negative values in data passed to NMF".into(),
        ));
    }
    Ok(())
}

/// What both solvers take besides the data, the factors and their own options.
pub(super) struct SolverRun {
    pub(super) max_iter: usize,
    pub(super) tol: f64,
    pub(super) reg: Regularization,
    /// `false` for `transform`: `H` stays fixed.
    pub(super) update_h: bool,
    pub(super) verbose: bool,
}

/// The penalty weights as the updates use them: scaled by the number of features `n`
/// (for `W`) and of samples `m` (for `H`).
pub(crate) struct Regularization {
    pub(crate) l1_w: f64,
    pub(crate) l1_h: f64,
    pub(crate) l2_w: f64,
    pub(crate) l2_h: f64,
}

impl Regularization {
    /// scikit-learn's `_compute_regularization` for an `m x n` matrix.
    pub(crate) fn new(
        (m, n): (usize, usize),
        alpha_w: f64,
        alpha_h: AlphaH,
        l1_ratio: f64,
    ) -> Self {
        let alpha_h = match alpha_h {
            AlphaH::Same => alpha_w,
            AlphaH::Value(a) => a,
        };
        Regularization {
            l1_w: n as f64 * alpha_w * l1_ratio,
            l1_h: m as f64 * alpha_h * l1_ratio,
            l2_w: n as f64 * alpha_w * (1.0 - l1_ratio),
            l2_h: m as f64 * alpha_h * (1.0 - l1_ratio),
        }
    }
}

/// `D_β(X ‖ W H)`, or `sqrt(2 D_β)` when `square_root` (scikit-learn's `_beta_divergence`).
///
/// For sparse Frobenius input, `‖X - WH‖² = ‖X‖² + tr(WᵀW HHᵀ) - 2 tr(Wᵀ (X Hᵀ))`.
pub fn beta_divergence<A: DataMatrix + ?Sized>(
    x: &A,
    w: &Array2<f64>,
    h: &Array2<f64>,
    beta: f64,
    square_root: bool,
) -> f64 {
    if beta == 2.0 {
        let res = if x.is_sparse() {
            let norm_x = x.sum_sq();
            let norm_wh = (&w.t().dot(w).dot(h) * h).sum();
            let ht = h.t().as_standard_layout().into_owned();
            let cross = (&x.matmul(&ht.view()) * w).sum();
            (norm_x + norm_wh - 2.0 * cross) / 2.0
        } else {
            let d = x.to_array() - w.dot(h);
            d.iter().map(|v| v * v).sum::<f64>() / 2.0
        };
        return if square_root {
            (2.0 * res).max(0.0).sqrt()
        } else {
            res
        };
    }
    let xd = x.to_array();
    let wh = w.dot(h);
    let mut res;
    let pairs = xd.iter().zip(wh.iter()).filter(|(&xv, _)| xv > EPSILON);
    if beta == 1.0 {
        let sum_wh = w.sum_axis(Axis(0)).dot(&h.sum_axis(Axis(1)));
        let mut dot = 0.0;
        let mut xsum = 0.0;
        for (&xv, &y) in pairs {
            let y = if y < EPSILON { EPSILON } else { y };
            dot += xv * (xv / y).ln();
            xsum += xv;
        }
        res = dot + sum_wh - xsum;
    } else if beta == 0.0 {
        let (mut sdiv, mut slog) = (0.0, 0.0);
        for (&xv, &y) in pairs {
            let y = if y < EPSILON { EPSILON } else { y };
            let d = xv / y;
            sdiv += d;
            slog += d.ln();
        }
        res = sdiv - (xd.len() as f64) - slog;
    } else {
        let sum_wh_beta: f64 = wh.iter().map(|v| v.powf(beta)).sum();
        let (mut sxb, mut sxwh) = (0.0, 0.0);
        for (&xv, &y) in pairs {
            let y = if y < EPSILON { EPSILON } else { y };
            sxwh += xv * y.powf(beta - 1.0);
            sxb += xv.powf(beta);
        }
        res = sxb - beta * sxwh;
        res += sum_wh_beta * (beta - 1.0);
        res /= beta * (beta - 1.0);
    }
    if square_root {
        (2.0 * res.max(0.0)).sqrt()
    } else {
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn errors_on_bad_input() {
        let x = array![[1.0, -1.0], [0.0, 2.0]];
        assert!(matches!(Nmf::new(1).fit(&x), Err(Error::InvalidInput(_))));
        let x = array![[1.0, f64::NAN], [0.0, 2.0]];
        assert!(matches!(Nmf::new(1).fit(&x), Err(Error::InvalidInput(_))));
        let x = array![[1.0, 0.5], [0.0, 2.0]];
        assert!(matches!(
            Nmf::new(0).fit(&x),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            Nmf::new(3).init(Init::Nndsvd).fit(&x),
            Err(Error::InvalidRank { .. })
        ));
        assert!(matches!(Nmf::new(1).components(), Err(Error::NotFitted(_))));
        assert!(matches!(
            Nmf::new(1).beta_loss(BetaLoss::KullbackLeibler).fit(&x),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn transform_with_given_components_is_transform() {
        let x = array![
            [1.0, 0.5, 0.0],
            [0.0, 2.0, 1.0],
            [3.0, 0.0, 0.5],
            [0.2, 0.1, 0.0]
        ];
        let mut model = Nmf::new(2).init(Init::Nndsvda).random_state(Some(0));
        model.fit(&x).unwrap();
        let h = model.components().unwrap().clone();
        let unfitted = Nmf::new(2).init(Init::Nndsvda).random_state(Some(0));
        assert_eq!(
            unfitted.transform_with(&x, &h).unwrap(),
            model.transform(&x).unwrap()
        );
        assert!(matches!(
            unfitted.transform_with(&x, &h.mapv(|v| -v - 1.0)),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            unfitted.transform_with(&x, &h.slice(ndarray::s![.., ..2]).to_owned()),
            Err(Error::ShapeMismatch(_))
        ));
    }

    #[test]
    fn sparse_and_dense_losses_agree() {
        let x = array![[1.0, 0.0, 2.0], [0.0, 3.0, 0.5]];
        let w = array![[1.0, 0.2], [0.3, 1.0]];
        let h = array![[0.5, 0.1, 1.0], [0.2, 1.5, 0.3]];
        let s = crate::linop::dense_to_csr(&x);
        let a = beta_divergence(&x, &w, &h, 2.0, true);
        let b = beta_divergence(&s, &w, &h, 2.0, true);
        assert!((a - b).abs() < 1e-12);
    }
}
