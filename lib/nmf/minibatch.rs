//! Mini-batch NMF (Lefèvre, Bach & Févotte 2011), reproducing scikit-learn 1.9.1's
//! `MiniBatchNMF` number for number.
//!
//! The rows of `X` are visited in consecutive batches of `b` rows, cycling over the data.
//! For a batch `X_b` with its rows `W_b` of `W`:
//!
//! * **`W` sub-problem**: one multiplicative update `W_b ← W_b ∘ (num_W / den_W)^γ`, the
//!   same update as [`super::Nmf`]'s `Mu` solver — or, with `fresh_restarts` (and always in
//!   [`MiniBatchNmf::partial_fit`]), `W_b` started again at `√(mean(X_b)/k)` and updated
//!   until `‖W_b - W_b'‖_F / ‖W_b‖_F ≤ tol` (at most `fresh_restarts_max_iter` times).
//! * **online `H` update**: with the update's terms `num_H`, `den_H` on this batch,
//!
//!   ```text
//!   A ← ρ A + num_H ∘ H^(1/γ),   B ← ρ B + den_H,   H ← (A / B)^γ
//!   ```
//!
//!   where `A` starts at the initial `H`, `B` at ones and `ρ = forget_factor^(b/m)`, so
//!   past batches fade out geometrically.
//!
//! The penalties are those of [`super::Nmf`], with `m` the batch's row count. The fit
//! stops early when `‖H - H'‖_F / ‖H‖_F ≤ tol` after a step, or when an exponentially
//! weighted average of the per-row batch cost has not improved for `max_no_improvement`
//! steps in a row.

use std::ops::Range;

use ndarray::{s, Array2, ArrayView2};

use super::minibatch_kernels::{online_update, Moved};
use super::mu::{mm_gamma, mu_apply, mu_terms_h, mu_terms_w, MuCache};
use super::{beta_divergence, check_data, initialize, AlphaH, BetaLoss, Init, Regularization};
use crate::linop::{gram, CsrWithTranspose, DataMatrix, SingleThreadedBlas};
use crate::{Csr, Error, Result};

const NAME: &str = "MiniBatchNmf";

/// What a fit or the first `partial_fit` leaves behind.
#[derive(Clone, Debug)]
struct State {
    /// `H` (`k x n`).
    components: Array2<f64>,
    /// The running numerator `A` and denominator `B` of the online `H` update.
    numerator: Array2<f64>,
    denominator: Array2<f64>,
    /// `forget_factor^(b / m)` of the first fit.
    rho: f64,
    /// β of the loss the model was fitted with.
    beta: f64,
    n_steps: usize,
    /// Set by `fit` / `fit_transform` only.
    fit: Option<FitSummary>,
}

#[derive(Clone, Copy, Debug)]
struct FitSummary {
    reconstruction_err: f64,
    n_iter: usize,
}

/// scikit-learn-style mini-batch NMF estimator.
///
/// ```
/// use ndarray::array;
/// use topicmod::nmf::{Init, MiniBatchNmf};
/// let x = array![[1.0, 0.5, 0.0], [2.0, 1.0, 0.1], [0.0, 0.2, 3.0], [0.1, 0.0, 2.0]];
/// let mut model = MiniBatchNmf::new(2).init(Init::Nndsvda).batch_size(2).random_state(Some(0));
/// let w = model.fit_transform(&x).unwrap();
/// let h = model.components().unwrap();
/// assert_eq!((w.dim(), h.dim()), ((4, 2), (2, 3)));
/// assert!(model.reconstruction_err().unwrap() < 1.0);
/// assert_eq!(model.n_steps().unwrap(), 2 * model.n_iter().unwrap());
/// ```
#[derive(Clone, Debug)]
pub struct MiniBatchNmf {
    n_components: usize,
    init: Init,
    batch_size: usize,
    beta_loss: BetaLoss,
    tol: f64,
    max_no_improvement: Option<usize>,
    max_iter: usize,
    alpha_w: f64,
    alpha_h: AlphaH,
    l1_ratio: f64,
    forget_factor: f64,
    fresh_restarts: bool,
    fresh_restarts_max_iter: usize,
    transform_max_iter: Option<usize>,
    random_state: Option<u32>,
    verbose: bool,
    state: Option<State>,
}

impl MiniBatchNmf {
    /// `k` components, scikit-learn's defaults for everything else.
    pub fn new(n_components: usize) -> Self {
        MiniBatchNmf {
            n_components,
            init: Init::Auto,
            batch_size: 1024,
            beta_loss: BetaLoss::Frobenius,
            tol: 1e-4,
            max_no_improvement: Some(10),
            max_iter: 200,
            alpha_w: 0.0,
            alpha_h: AlphaH::Same,
            l1_ratio: 0.0,
            forget_factor: 0.7,
            fresh_restarts: false,
            fresh_restarts_max_iter: 30,
            transform_max_iter: None,
            random_state: None,
            verbose: false,
            state: None,
        }
    }
    field_setters! {
        /// Initialization scheme (default [`Init::Auto`], scikit-learn's `init=None`).
        init: Init,
        /// Rows per mini-batch (default 1024; capped at the number of rows).
        batch_size: usize,
        /// β-divergence (default Frobenius).
        beta_loss: BetaLoss,
        /// Tolerance on the relative change of `H` per step (and of `W` in the `W` solves),
        /// default `1e-4`; 0 turns these stops off.
        tol: f64,
        /// Steps without improvement of the smoothed batch cost before stopping (default
        /// `Some(10)`; `None` disables this stop).
        max_no_improvement: Option<usize>,
        /// Passes over the data at most (default 200).
        max_iter: usize,
        /// Penalty weight on `W` (default 0).
        alpha_w: f64,
        /// Penalty weight on `H` (default: same as `alpha_w`; a number or an [`AlphaH`]).
        alpha_h: impl Into<AlphaH>,
        /// Share of L1 in the penalty, in `[0, 1]` (default 0: pure L2).
        l1_ratio: f64,
        /// Weight of past batches after one full pass, in `(0, 1]` (default 0.7).
        forget_factor: f64,
        /// Solve each batch's `W` from scratch instead of one update (default `false`); the
        /// returned `W` is then solved again on all of `X` at the end.
        fresh_restarts: bool,
        /// Update cap of a fresh `W` solve per batch (default 30).
        fresh_restarts_max_iter: usize,
        /// Update cap of the `W` solve in [`MiniBatchNmf::transform`] and after a fit with
        /// fresh restarts (default `None`: `max_iter`).
        transform_max_iter: Option<usize>,
        /// Seed for the random init and NNDSVD's randomized SVD.
        random_state: Option<u32>,
        /// Print progress to stderr (one line per pass over the data, and why the fit stopped).
        verbose: bool,
    }

    /// Fits the model and returns `W` (`m x k`).
    pub fn fit_transform<A: DataMatrix + ?Sized>(&mut self, x: &A) -> Result<Array2<f64>> {
        self.fit_transform_dyn(x.as_data_matrix())
    }

    /// Fits the model (keeps `H`).
    pub fn fit<A: DataMatrix + ?Sized>(&mut self, x: &A) -> Result<&mut Self> {
        self.fit_transform_dyn(x.as_data_matrix())?;
        Ok(self)
    }

    /// One step on the rows `x` as a single batch: `W` solved fresh for them, then the
    /// online update of `H`. The first call (on an unfitted model) initializes `H` from `x`
    /// and fixes `ρ = forget_factor^(min(batch_size, rows) / rows)`; later calls, and calls
    /// after a fit, continue with the stored `H`, `A`, `B` and `ρ`.
    pub fn partial_fit<A: DataMatrix + ?Sized>(&mut self, x: &A) -> Result<&mut Self> {
        self.partial_fit_dyn(x.as_data_matrix())?;
        Ok(self)
    }

    /// `W` for the rows `x` with the fitted `H` held fixed: `W` starts at `√(mean(X)/k)` and
    /// takes multiplicative updates until its relative change is at most `tol` (at most
    /// `transform_max_iter` updates).
    pub fn transform<A: DataMatrix + ?Sized>(&self, x: &A) -> Result<Array2<f64>> {
        self.transform_dyn(x.as_data_matrix())
    }

    /// `H` (`k x n`): row `t` weights the words of topic `t`.
    pub fn components(&self) -> Result<&Array2<f64>> {
        Ok(&self.state()?.components)
    }

    /// `sqrt(2 D_β(X ‖ W H))` for the `W` that `fit_transform` returned (set by `fit` and
    /// `fit_transform`, not by `partial_fit`).
    pub fn reconstruction_err(&self) -> Result<f64> {
        Ok(self.fit_summary()?.reconstruction_err)
    }

    /// Passes over the data the fit started, `⌈n_steps / ⌈m / b⌉⌉` (set by `fit`).
    pub fn n_iter(&self) -> Result<usize> {
        Ok(self.fit_summary()?.n_iter)
    }

    /// Mini-batches processed, by the fit and every `partial_fit` since.
    pub fn n_steps(&self) -> Result<usize> {
        Ok(self.state()?.n_steps)
    }

    fn state(&self) -> Result<&State> {
        self.state.as_ref().ok_or(Error::NotFitted(NAME))
    }

    fn fit_summary(&self) -> Result<FitSummary> {
        self.state()?.fit.ok_or(Error::NotFitted(NAME))
    }

    fn check_params(&self) -> Result<()> {
        if self.n_components == 0 {
            return Err(Error::param("n_components", "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(Error::param("batch_size", "must be at least 1"));
        }
        if self.tol.is_nan() || self.tol < 0.0 {
            return Err(Error::param("tol", "must be >= 0"));
        }
        if self.max_no_improvement == Some(0) {
            return Err(Error::param(
                "max_no_improvement",
                "must be at least 1 (None disables it)",
            ));
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
        if !(self.forget_factor > 0.0 && self.forget_factor <= 1.0) {
            return Err(Error::param("forget_factor", "must lie in (0, 1]"));
        }
        if self.fresh_restarts_max_iter == 0 {
            return Err(Error::param(
                "fresh_restarts_max_iter",
                "must be at least 1",
            ));
        }
        if self.transform_max_iter == Some(0) {
            return Err(Error::param(
                "transform_max_iter",
                "must be at least 1 (None means max_iter)",
            ));
        }
        if !self.beta_loss.beta().is_finite() {
            return Err(Error::param("beta_loss", "must be finite"));
        }
        Ok(())
    }

    fn fit_transform_dyn(&mut self, x: &dyn DataMatrix) -> Result<Array2<f64>> {
        self.check_params()?;
        let beta = self.beta_loss.beta();
        check_input(x, beta)?;
        let (m, _) = x.dims();
        let b = self.batch_size.min(m);
        let rho = self.forget_factor.powf(b as f64 / m as f64);
        let (w, h) = initialize(x, self.n_components, &self.init, self.random_state)?;
        let ranges: Vec<Range<usize>> = (0..m).step_by(b).map(|r| r..(r + b).min(m)).collect();
        let _blas = x.is_sparse().then(SingleThreadedBlas::new);
        let sparse = sparse_rows(x, beta);
        let mut online = Online::new(h, rho, sparse.is_some());
        let (w, n_steps) = match sparse {
            Some(csr) => {
                // Each batch's products on the calling thread: a step's products are too
                // small to repay starting threads, 2 per step and hundreds of steps (with
                // two busy cores the lesson fit took 1.25 s with threads, 0.63 s without).
                let blocks: Vec<Csr> = ranges.iter().map(|r| row_block(&csr, r)).collect();
                let pieces: Vec<CsrWithTranspose> =
                    blocks.iter().map(CsrWithTranspose::serial).collect();
                let batches: Vec<Batch<_>> =
                    pieces.iter().map(|x| Batch { x, dense: None }).collect();
                self.run(x, None, (&batches, &ranges), w, &mut online, beta)
            }
            None => {
                let dense = x.to_array();
                let views: Vec<ArrayView2<f64>> = ranges
                    .iter()
                    .map(|r| dense.slice(s![r.clone(), ..]))
                    .collect();
                let keep = beta != 2.0;
                let batches: Vec<Batch<_>> = views
                    .iter()
                    .map(|v| Batch {
                        x: v,
                        dense: keep.then_some(v.view()),
                    })
                    .collect();
                let full = keep.then(|| dense.view());
                self.run(&dense, full, (&batches, &ranges), w, &mut online, beta)
            }
        };
        let n_per_pass = ranges.len();
        let n_iter = n_steps.div_ceil(n_per_pass);
        let reconstruction_err = beta_divergence(x, &w, &online.h, beta, true);
        let Online { h, num, den, .. } = online;
        self.state = Some(State {
            components: h,
            numerator: num,
            denominator: den,
            rho,
            beta,
            n_steps,
            fit: Some(FitSummary {
                reconstruction_err,
                n_iter,
            }),
        });
        Ok(w)
    }

    /// The fit's loop over the batches (each with the range of rows of `X` it holds);
    /// returns `W` and the number of steps taken.
    fn run<X: DataMatrix + ?Sized, B: DataMatrix>(
        &self,
        x: &X,
        dense_x: Option<ArrayView2<f64>>,
        (batches, ranges): (&[Batch<B>], &[Range<usize>]),
        mut w: Array2<f64>,
        online: &mut Online,
        beta: f64,
    ) -> (Array2<f64>, usize) {
        let start = std::time::Instant::now();
        let m = x.dims().0;
        let n_per_pass = batches.len();
        let total = self.max_iter.saturating_mul(n_per_pass);
        let mut monitor = Monitor::default();
        let mut steps = 0;
        for i in 0..total {
            steps = i + 1;
            let (batch, rows) = (&batches[i % n_per_pass], &ranges[i % n_per_pass]);
            let (cost, moved) = if self.fresh_restarts {
                self.step(batch, None, online, beta)
            } else {
                let mut wb = w.slice(s![rows.clone(), ..]).to_owned();
                let done = self.step(batch, Some(&mut wb), online, beta);
                w.slice_mut(s![rows.clone(), ..]).assign(&wb);
                done
            };
            let stop = self.converged(&mut monitor, rows.len(), m, cost, &moved);
            if self.verbose && (stop.is_some() || steps % n_per_pass == 0) {
                eprintln!(
                    "Epoch {:02} (step {steps}/{total}) after {:.3} seconds: mean batch cost {cost}, ewa cost {}",
                    steps.div_ceil(n_per_pass),
                    start.elapsed().as_secs_f64(),
                    monitor.ewa.unwrap_or(cost)
                );
            }
            if let Some(why) = stop {
                if self.verbose {
                    eprintln!("Converged ({why}) at step {steps}/{total}");
                }
                break;
            }
        }
        if self.fresh_restarts {
            w = self.solve_w(
                x,
                dense_x,
                &online.h,
                beta,
                self.transform_iters(),
                &mut None,
            );
        }
        (w, steps)
    }

    /// scikit-learn's early stopping, called after every step: `Some(reason)` to stop. The
    /// per-row batch `cost` enters an exponentially weighted average with weight
    /// `rows / (m + 1)`; stop when `‖H - H'‖_F / ‖H‖_F ≤ tol` or when that average has not
    /// reached a new minimum for `max_no_improvement` steps.
    fn converged(
        &self,
        monitor: &mut Monitor,
        rows: usize,
        m: usize,
        cost: f64,
        moved: &Moved,
    ) -> Option<&'static str> {
        monitor.step += 1;
        // The first step's cost was measured before `H` had moved.
        if monitor.step == 1 {
            return None;
        }
        monitor.ewa = Some(match monitor.ewa {
            None => cost,
            Some(ewa) => {
                let alpha = (rows as f64 / (m + 1) as f64).min(1.0);
                ewa * (1.0 - alpha) + cost * alpha
            }
        });
        let ewa = monitor.ewa.expect("set above");
        // ‖H - H'‖_F / ‖H‖_F, H' being H before this step
        let h_diff = moved.diff_sq.sqrt() / moved.norm_sq.sqrt();
        if self.tol > 0.0 && h_diff <= self.tol {
            return Some("small H change");
        }
        // (a NaN cost never counts as an improvement)
        if monitor.ewa_min.is_none_or(|best| ewa < best) {
            monitor.no_improvement = 0;
            monitor.ewa_min = Some(ewa);
        } else {
            monitor.no_improvement += 1;
        }
        match self.max_no_improvement {
            Some(limit) if monitor.no_improvement >= limit => {
                Some("lack of improvement in objective function")
            }
            _ => None,
        }
    }

    /// One mini-batch step: update (or, when `w` is `None`, solve) the batch's `W`, measure
    /// the batch cost per row, then the online `H` update. Returns the cost and how far `H`
    /// moved.
    fn step<B: DataMatrix>(
        &self,
        batch: &Batch<B>,
        w: Option<&mut Array2<f64>>,
        online: &mut Online,
        beta: f64,
    ) -> (f64, Moved) {
        let (x, xd) = (batch.x, batch.dense);
        let rows = x.dims().0;
        let reg = Regularization::new(x.dims(), self.alpha_w, self.alpha_h, self.l1_ratio);
        let gamma = mm_gamma(beta);
        // (X Hᵀ, H Hᵀ) of the Frobenius W update, for the cost too (H has not moved yet)
        let mut cache = online.frobenius_cache(x, beta);
        let mut solved;
        let w = match w {
            Some(w) => {
                let (num, den) =
                    mu_terms_w(x, xd, w, &online.h, beta, (reg.l1_w, reg.l2_w), &mut cache);
                mu_apply(w, num, &den, gamma);
                w
            }
            None => {
                let iters = self.fresh_restarts_max_iter;
                solved = self.solve_w(x, xd, &online.h, beta, iters, &mut cache);
                &mut solved
            }
        };
        if beta < 1.0 {
            w.mapv_inplace(|a| if a < f64::EPSILON { 0.0 } else { a });
        }
        let h = &online.h;
        let mut cost = match &cache {
            Some((xht, hht)) if x.is_sparse() => sparse_frobenius(x, w, xht, hht),
            _ => beta_divergence(x, w, h, beta, false),
        };
        // (a zero weight adds exactly 0: skip the sums then)
        let sq = |a: &Array2<f64>| a.iter().map(|v| v * v).sum::<f64>();
        if reg.l1_w != 0.0 {
            cost += reg.l1_w * w.sum();
        }
        if reg.l1_h != 0.0 {
            cost += reg.l1_h * h.sum();
        }
        if reg.l2_w != 0.0 {
            cost += reg.l2_w * sq(w);
        }
        if reg.l2_h != 0.0 {
            cost += reg.l2_h * sq(h);
        }
        cost /= rows as f64;
        let (num, den) = mu_terms_h(x, xd, w, h, beta, (reg.l1_h, reg.l2_h));
        let moved = online.update(num.view(), den.view(), gamma, beta);
        (cost, moved)
    }

    /// `W` for `x` with `h` fixed: starts at `√(mean(X)/k)`, multiplicative updates until
    /// `‖W - W'‖_F / ‖W‖_F ≤ tol` or `max_iter` updates (scikit-learn's `_solve_W`).
    fn solve_w<X: DataMatrix + ?Sized>(
        &self,
        x: &X,
        dense_x: Option<ArrayView2<f64>>,
        h: &Array2<f64>,
        beta: f64,
        max_iter: usize,
        cache: &mut MuCache,
    ) -> Array2<f64> {
        let (m, _) = x.dims();
        let k = h.nrows();
        let reg = Regularization::new(x.dims(), self.alpha_w, self.alpha_h, self.l1_ratio);
        let gamma = mm_gamma(beta);
        let mut w = Array2::from_elem((m, k), (x.mean_all() / k as f64).sqrt());
        let mut w_prev = w.clone();
        for _ in 0..max_iter {
            let (num, den) = mu_terms_w(x, dense_x, &w, h, beta, (reg.l1_w, reg.l2_w), cache);
            mu_apply(&mut w, num, &den, gamma);
            let w_diff = relative_change(&w, &w_prev);
            if self.tol > 0.0 && w_diff <= self.tol {
                break;
            }
            w_prev.assign(&w);
        }
        w
    }

    fn transform_iters(&self) -> usize {
        self.transform_max_iter.unwrap_or(self.max_iter)
    }

    fn partial_fit_dyn(&mut self, x: &dyn DataMatrix) -> Result<()> {
        self.check_params()?;
        let (m, n) = x.dims();
        if let Some(state) = &self.state {
            check_features(n, &state.components)?;
            check_input(x, state.beta)?;
        }
        let mut state = match self.state.take() {
            Some(state) => state,
            None => {
                let beta = self.beta_loss.beta();
                check_input(x, beta)?;
                let b = self.batch_size.min(m);
                let rho = self.forget_factor.powf(b as f64 / m as f64);
                let (_, h) = initialize(x, self.n_components, &self.init, self.random_state)?;
                let h = h.as_standard_layout().into_owned();
                State {
                    numerator: h.clone(),
                    denominator: Array2::ones(h.dim()),
                    components: h,
                    rho,
                    beta,
                    n_steps: 0,
                    fit: None,
                }
            }
        };
        let beta = state.beta;
        let _blas = x.is_sparse().then(SingleThreadedBlas::new);
        let mut online = Online {
            h: std::mem::take(&mut state.components),
            ht: None,
            num: std::mem::take(&mut state.numerator),
            den: std::mem::take(&mut state.denominator),
            rho: state.rho,
        };
        match sparse_rows(x, beta) {
            Some(csr) => {
                let pair = CsrWithTranspose::new(&csr);
                let batch = Batch {
                    x: &pair,
                    dense: None,
                };
                self.step(&batch, None, &mut online, beta);
            }
            None => {
                let dense = x.to_array();
                let batch = Batch {
                    x: &dense,
                    dense: (beta != 2.0).then(|| dense.view()),
                };
                self.step(&batch, None, &mut online, beta);
            }
        }
        state.components = online.h;
        state.numerator = online.num;
        state.denominator = online.den;
        state.n_steps += 1;
        self.state = Some(state);
        Ok(())
    }

    fn transform_dyn(&self, x: &dyn DataMatrix) -> Result<Array2<f64>> {
        let state = self.state()?;
        check_features(x.dims().1, &state.components)?;
        check_input(x, state.beta)?;
        let h = &state.components;
        let _blas = x.is_sparse().then(SingleThreadedBlas::new);
        let iters = self.transform_iters();
        Ok(match sparse_rows(x, state.beta) {
            Some(csr) => self.solve_w(&*csr, None, h, state.beta, iters, &mut None),
            None => {
                let dense = x.to_array();
                let xd = (state.beta != 2.0).then(|| dense.view());
                self.solve_w(&dense, xd, h, state.beta, iters, &mut None)
            }
        })
    }
}

/// One batch: the rows as a matrix, and as a dense view when the loss needs it (`β ≠ 2`).
struct Batch<'a, B> {
    x: &'a B,
    dense: Option<ArrayView2<'a, f64>>,
}

/// `H` with the running sums of its online update.
struct Online {
    h: Array2<f64>,
    /// `Hᵀ` (`n x k`, row-major) and `HHᵀ`, kept up to date for the sparse Frobenius steps,
    /// whose `X Hᵀ` needs them; `None` elsewhere.
    ht: Option<(Array2<f64>, Array2<f64>)>,
    num: Array2<f64>,
    den: Array2<f64>,
    rho: f64,
}

impl Online {
    fn new(h: Array2<f64>, rho: f64, keep_ht: bool) -> Self {
        // (a custom H may come in any memory order; the update works on row-major arrays)
        let h = h.as_standard_layout().into_owned();
        Online {
            num: h.clone(),
            den: Array2::ones(h.dim()),
            ht: keep_ht.then(|| {
                let ht = h.t().as_standard_layout().into_owned();
                let hht = gram(ht.view());
                (ht, hht)
            }),
            h,
            rho,
        }
    }

    /// `A ← ρ A + num ∘ H^(1/γ)`, `B ← ρ B + den`, `H ← (A / B)^γ`, then entries below
    /// machine epsilon set to zero when `β ≤ 1`.
    fn update(
        &mut self,
        num: ArrayView2<f64>,
        den: ArrayView2<f64>,
        gamma: f64,
        beta: f64,
    ) -> Moved {
        online_update(
            &mut self.h,
            self.ht.as_mut().map(|(t, g)| (t, g)),
            (&mut self.num, &mut self.den),
            (num, den),
            self.rho,
            gamma,
            beta <= 1.0,
        )
    }

    /// The W update's cached `(X Hᵀ, H Hᵀ)` from the kept `Hᵀ` and `HHᵀ`, when there are
    /// some: the values [`mu_terms_w`] would compute (up to the order of the sums in
    /// `HHᵀ`), without transposing `H` again or starting `gram`'s threads at every step.
    fn frobenius_cache<X: DataMatrix + ?Sized>(&self, x: &X, beta: f64) -> MuCache {
        let (ht, hht) = self.ht.as_ref().filter(|_| beta == 2.0 && x.is_sparse())?;
        Some((x.matmul(&ht.view()), hht.clone()))
    }
}

/// Early-stopping bookkeeping of one fit.
#[derive(Default)]
struct Monitor {
    step: usize,
    ewa: Option<f64>,
    ewa_min: Option<f64>,
    no_improvement: usize,
}

/// `½‖X - WH‖²_F` for sparse `X` from the W update's `X Hᵀ` and `H Hᵀ`:
/// `½ (‖X‖² + Σ (WᵀW) ∘ (HHᵀ) - 2 Σ (X Hᵀ) ∘ W)`, the formula of [`beta_divergence`] with
/// `‖WH‖² = tr(WᵀW HHᵀ)` taken from the `k x k` products.
fn sparse_frobenius<X: DataMatrix + ?Sized>(
    x: &X,
    w: &Array2<f64>,
    xht: &Array2<f64>,
    hht: &Array2<f64>,
) -> f64 {
    let norm_wh = (&gram(w.view()) * hht).sum();
    let cross = (xht * w).sum();
    (x.sum_sq() + norm_wh - 2.0 * cross) / 2.0
}

/// `‖A - B‖_F / ‖A‖_F` for two arrays of the same shape and layout.
fn relative_change(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    let (mut diff, mut norm) = (0.0, 0.0);
    let mut add = |x: f64, y: f64| {
        diff += (x - y) * (x - y);
        norm += x * x;
    };
    match (a.as_slice(), b.as_slice()) {
        (Some(sa), Some(sb)) => sa.iter().zip(sb).for_each(|(&x, &y)| add(x, y)),
        _ => a.iter().zip(b.iter()).for_each(|(&x, &y)| add(x, y)),
    }
    diff.sqrt() / norm.sqrt()
}

/// Non-negative, finite, not empty; no zeros when `β ≤ 0`.
fn check_input(x: &dyn DataMatrix, beta: f64) -> Result<()> {
    check_data(x)?;
    if beta <= 0.0 && x.min_entry() == 0.0 {
        return Err(Error::InvalidInput(
            "with beta_loss <= 0 the solver may diverge on zeros in X; add small values to X"
                .into(),
        ));
    }
    Ok(())
}

fn check_features(n: usize, h: &Array2<f64>) -> Result<()> {
    if n != h.ncols() {
        return Err(Error::ShapeMismatch(format!(
            "the model was fitted on {} features, got {n}",
            h.ncols()
        )));
    }
    Ok(())
}

/// `x` as row-major CSR when it is sparse and the loss is Frobenius (the other losses
/// work on a dense copy, as in [`super::Nmf`]).
fn sparse_rows(x: &dyn DataMatrix, beta: f64) -> Option<std::borrow::Cow<'_, Csr>> {
    let csr = x.as_csr().filter(|_| beta == 2.0)?;
    Some(if csr.is_csc() {
        std::borrow::Cow::Owned(csr.to_other_storage())
    } else {
        std::borrow::Cow::Borrowed(csr)
    })
}

/// Rows `r` of a row-major CSR matrix, as a CSR matrix of their own.
fn row_block(x: &Csr, r: &Range<usize>) -> Csr {
    let ip = x.indptr();
    let ip = ip.raw_storage();
    let (lo, hi) = (ip[r.start], ip[r.end]);
    let indptr: Vec<usize> = ip[r.start..=r.end].iter().map(|p| p - lo).collect();
    let (lo, hi) = (lo - ip[0], hi - ip[0]);
    Csr::new(
        (r.len(), x.cols()),
        indptr,
        x.indices()[lo..hi].to_vec(),
        x.data()[lo..hi].to_vec(),
    )
}
