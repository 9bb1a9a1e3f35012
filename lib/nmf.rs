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

use ndarray::{Array2, ArrayView2, Axis, Zip};

use crate::linop::{gram, with_const_k, CsrWithTranspose, DataMatrix, SingleThreadedBlas};
use crate::randomized::randomized_svd;
use crate::rng::{check_random_state, RandomState};
use crate::threads::{run_jobs, threads_for, GRAM_MIN_WORK};
use crate::{Error, Result};

mod minibatch;
mod minibatch_kernels;
pub use minibatch::MiniBatchNmf;

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
    /// Initialization scheme (default [`Init::Auto`], scikit-learn's `init=None`).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// Solver (default coordinate descent).
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }
    /// β-divergence (default Frobenius).
    pub fn beta_loss(mut self, beta_loss: BetaLoss) -> Self {
        self.beta_loss = beta_loss;
        self
    }
    /// Relative stopping tolerance (default `1e-4`).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Iteration cap (default 200).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }
    /// Penalty weight on `W` (default 0).
    pub fn alpha_w(mut self, alpha: f64) -> Self {
        self.alpha_w = alpha;
        self
    }
    /// Penalty weight on `H` (default: same as `alpha_w`).
    pub fn alpha_h(mut self, alpha: impl Into<AlphaH>) -> Self {
        self.alpha_h = alpha.into();
        self
    }
    /// Share of L1 in the penalty, in `[0, 1]` (default 0: pure L2).
    pub fn l1_ratio(mut self, l1_ratio: f64) -> Self {
        self.l1_ratio = l1_ratio;
        self
    }
    /// Visit coordinates in a random order each sweep (`Cd` only).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }
    /// Seed for the random init, NNDSVD's randomized SVD and shuffling.
    pub fn random_state(mut self, seed: Option<u32>) -> Self {
        self.random_state = seed;
        self
    }
    /// Print progress to stdout (the only printing this module does).
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
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
        let reg = Regularization::new(x.dims(), self.alpha_w, self.alpha_h, self.l1_ratio);
        Ok(match self.solver {
            Solver::Cd => {
                let mut rng = check_random_state(self.random_state);
                fit_coordinate_descent(
                    x,
                    w,
                    h,
                    self.tol,
                    self.max_iter,
                    &reg,
                    update_h,
                    self.verbose,
                    self.shuffle,
                    &mut rng,
                )
            }
            Solver::Mu => fit_multiplicative_update(
                x,
                w,
                h,
                self.beta_loss.beta(),
                self.max_iter,
                self.tol,
                &reg,
                update_h,
                self.verbose,
            ),
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

fn check_init(a: &Array2<f64>, shape: (usize, usize), whom: &str) -> Result<()> {
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
/// `√(s_j σ)`. Entries below `1e-6` are set to zero.
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
    with_const_k!(
        k,
        cd_sweep_fixed(w, hht, xht, perm),
        cd_sweep_any(k, w, hht, xht, perm)
    )
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
    let parts = threads_for(rows * K * K, GRAM_MIN_WORK);
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

#[allow(clippy::too_many_arguments)]
fn fit_coordinate_descent<A: DataMatrix + ?Sized>(
    x: &A,
    w: Array2<f64>,
    h: Array2<f64>,
    tol: f64,
    max_iter: usize,
    reg: &Regularization,
    update_h: bool,
    verbose: bool,
    shuffle: bool,
    rng: &mut RandomState,
) -> (Array2<f64>, Array2<f64>, usize) {
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
/// `num = (X ∘ (WH)^(β-2)) Hᵀ`, `den = (WH)^(β-1) Hᵀ + l1 + l2 W` (`X Hᵀ` and `W HHᵀ` for
/// Frobenius), with zeros of `den` replaced by `EPSILON`. `dense_x` is `X` itself, needed
/// when `β ≠ 2`; the caller empties `cache` (or fills it with `X Hᵀ` and `H Hᵀ`) whenever `X`
/// or `H` changes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn mu_terms_w<A: DataMatrix + ?Sized>(
    x: &A,
    dense_x: Option<ArrayView2<f64>>,
    w: &Array2<f64>,
    h: &Array2<f64>,
    beta: f64,
    l1: f64,
    l2: f64,
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
    l1: f64,
    l2: f64,
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

#[allow(clippy::too_many_arguments)]
fn fit_multiplicative_update<A: DataMatrix + ?Sized>(
    x: &A,
    mut w: Array2<f64>,
    mut h: Array2<f64>,
    beta: f64,
    max_iter: usize,
    tol: f64,
    reg: &Regularization,
    update_h: bool,
    verbose: bool,
) -> (Array2<f64>, Array2<f64>, usize) {
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
        let (num, den) = mu_terms_w(x, xd, &w, &h, beta, reg.l1_w, reg.l2_w, &mut cache);
        mu_apply(&mut w, num, &den, gamma);
        if beta < 1.0 {
            w.mapv_inplace(|a| if a < f64::EPSILON { 0.0 } else { a });
        }
        if update_h {
            let (num, den) = mu_terms_h(x, xd, &w, &h, beta, reg.l1_h, reg.l2_h);
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
    fn cd_sweep_solves_one_coordinate() {
        // one component: w = max(x·h / h·h, 0)
        let mut w = array![[0.0], [0.0]];
        let hht = array![[4.0]];
        let xht = array![[2.0], [-1.0]];
        cd_sweep(&mut w, &hht, &xht, &[0]);
        assert_eq!(w, array![[0.5], [0.0]]);
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
