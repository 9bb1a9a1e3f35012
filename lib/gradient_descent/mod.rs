//! Full-batch gradient descent for NMF, the lesson's hand-written loop: plain gradient steps
//! with a soft non-negativity penalty, on dense or sparse data, and its mini-batch
//! stochastic variant ([`MiniBatchGd`]).
//!
//! We fit `W` (`m x d`) and `H` (`d x n`) to a data matrix `M` (`m x n`) by minimising
//!
//! ```text
//! f(W, H) = 1/2 ||M - W H||_F^2 + lam * (P(W) + P(H))
//! ```
//!
//! where the penalty `P` only acts on entries below a small threshold `mu`. With the
//! residual `R = W H - M` one gradient step is
//!
//! ```text
//! dW = R H^T + lam * penalty(W, mu)        dH = W^T R + lam * penalty(H, mu)
//! W <- W - lr dW                           H <- H - lr dH
//! ```
//!
//! (both gradients use the `W`, `H` from before the step). `penalty(A, mu)` is `0` where
//! `A >= mu` and `A - mu` elsewhere ([`penalty`]). The lesson's NumPy code computed the
//! "elsewhere" value with `np.min(A - mu, 0)`, which is the minimum of each *column*
//! broadcast down that column, not an elementwise minimum; [`penalty_column_min`]
//! reproduces that quirk and [`Penalty::ColumnMin`] runs the whole descent with it.
//!
//! [`grads`], [`upd`] and [`report`] take any [`GdData`]: a dense array or a [`Csr`](crate::Csr)
//! matrix. Neither kind stores the `m x n` residual. Both use
//! `R H^T = W (H H^T) - M H^T` and `W^T R = (W^T W) H - W^T M`, so a step needs `M` only
//! through the products `M H^T` and `W^T M`:
//!
//! * dense `M`: two BLAS products, two passes over `M`; the reported `||M - W H||_F` is
//!   summed tile by tile (`R_t = W_i H_j - M_ij` in one reused 1 MiB buffer);
//! * sparse `M`: the products are [`linop`](crate::linop)'s sparse-times-dense kernels,
//!   `O(nnz d)`, the rest `O((m + n) d^2)`, and the residual comes from
//!   `||M - W H||_F^2 = ||M||_F^2 - 2 tr(W^T M H^T) + tr((W^T W)(H H^T))`.
//!
//! [`GdParams`] is the loop's configuration (step size, penalty, number of steps, report
//! interval, annealing), shared with the PyTorch loops of `topicmod::torch` (feature
//! `torch`), and [`Report`] is the progress line both print. [`GradientDescent`] runs the
//! loop. [`MiniBatchGd`] takes each step on a random batch of rows of `M` instead (its
//! step and scaling are in [`minibatch`]).
//!
//! ```
//! use ndarray::array;
//! use topicmod::gradient_descent::{positive_random_init, report, upd};
//! let m = array![[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]];
//! let (mut w, mut h) = positive_random_init(2, 3, 2, 0).unwrap();
//! let before = report(&m, &w, &h).unwrap().residual;
//! for _ in 0..100 {
//!     upd(&m, &mut w, &mut h, 0.05).unwrap();
//! }
//! assert!(report(&m, &w, &h).unwrap().residual < before);
//! ```

use std::fmt;

use ndarray::{Array2, ArrayBase, ArrayView2, ArrayViewMut2, Axis, Data, DataMut, Ix2, Zip};

use crate::error::{Error, Result};
use crate::rng::RandomState;

pub mod minibatch;
mod residual;
pub use minibatch::{Epoch, GdRows, MiniBatchGd};
pub use residual::GdData;

/// The lesson's penalty weight `lam`.
pub const LESSON_LAM: f64 = 1e3;
/// The lesson's learning rate `lr`.
pub const LESSON_LR: f64 = 1e-2;
/// The lesson's penalty threshold `mu`.
pub const LESSON_MU: f64 = 1e-6;
/// The lesson's number of topics `d`.
pub const LESSON_D: usize = 5;

/// Which penalty the descent applies to entries below `mu`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Penalty {
    /// The intended `min(A - mu, 0)`, entry by entry ([`penalty`]).
    #[default]
    Elementwise,
    /// The lesson's `np.min(A - mu, 0)`: each column's minimum ([`penalty_column_min`]).
    ColumnMin,
}

/// The loop's configuration: one step is `W -= lr (R H^T + lam penalty(W, mu))`, same for
/// `H`; a run takes `n_steps` steps, reports every `report_every` steps and then multiplies
/// the learning rate by `anneal`.
///
/// The same struct configures [`GradientDescent`] here and, with feature `torch`, the
/// PyTorch loops of `topicmod::torch` (the hand-written gradient and `AdamNmf`, which uses
/// `lr`, `lam`, `n_steps`, `report_every` and `anneal`; its loss has its own penalty, so
/// `mu` and `penalty` do not apply there). [`MiniBatchGd`] uses `lr`, `lam`, `mu`, `penalty`
/// and `anneal` (applied after each pass). Three presets hold the lesson's values:
///
/// | preset | `lr` | `lam` | `mu` | `n_steps` | `report_every` | `anneal` |
/// |---|---|---|---|---|---|---|
/// | [`GdParams::lesson`] (NumPy, = `default()`) | `1e-2` | `1e3` | `1e-6` | 50 | 10 | 1 |
/// | [`GdParams::lesson_torch`] (PyTorch, by hand) | `0.05` | `100` | `1e-5` | 1000 | 100 | 0.9 |
/// | [`GdParams::lesson_adam`] (PyTorch, Adam) | `1e-3` | `1e6` | `1e-6` | 1000 | 100 | 1 |
///
/// All use the elementwise penalty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GdParams {
    /// Learning rate (step size).
    pub lr: f64,
    /// Penalty weight.
    pub lam: f64,
    /// Threshold below which the penalty acts.
    pub mu: f64,
    /// Elementwise (intended) or column-minimum (the lesson's original code).
    pub penalty: Penalty,
    /// Steps in one run.
    pub n_steps: usize,
    /// Report (and anneal) every this many steps.
    pub report_every: usize,
    /// Factor applied to the learning rate at each report (`1` keeps it fixed).
    pub anneal: f64,
}

impl Default for GdParams {
    fn default() -> Self {
        GdParams {
            lr: LESSON_LR,
            lam: LESSON_LAM,
            mu: LESSON_MU,
            penalty: Penalty::Elementwise,
            n_steps: 50,
            report_every: 10,
            anneal: 1.0,
        }
    }
}

impl GdParams {
    /// The lesson's NumPy values; same as `default()`.
    pub fn lesson() -> Self {
        Self::default()
    }

    /// The lesson's hand-written PyTorch loop: `lr 0.05`, `lam 100`, `mu 1e-5`, 1000 steps,
    /// a report every 100 and the learning rate times 0.9 at each report.
    pub fn lesson_torch() -> Self {
        GdParams {
            lr: 0.05,
            lam: 100.0,
            mu: 1e-5,
            n_steps: 1000,
            report_every: 100,
            anneal: 0.9,
            ..Self::default()
        }
    }

    /// The lesson's PyTorch Adam loop: `lr 1e-3`, `lam 1e6`, 1000 steps, a report every 100.
    pub fn lesson_adam() -> Self {
        GdParams {
            lr: 1e-3,
            lam: 1e6,
            n_steps: 1000,
            report_every: 100,
            ..Self::default()
        }
    }

    field_setters! {
        /// Set the learning rate.
        lr: f64,
        /// Set the penalty weight.
        lam: f64,
        /// Set the penalty threshold.
        mu: f64,
        /// Choose the penalty variant.
        penalty: Penalty,
        /// Set the number of steps of a run.
        n_steps: usize,
        /// Report (and anneal) every this many steps.
        report_every: usize,
        /// Set the factor applied to the learning rate at each report.
        anneal: f64,
    }

    /// `Err(InvalidParameter)` unless `lam >= 0`, `mu`, `lr > 0` and `anneal > 0` are finite
    /// and `report_every >= 1`.
    pub fn validate(&self) -> Result<()> {
        check_lam_mu(self.lam, self.mu)?;
        for (name, v) in [("lr", self.lr), ("anneal", self.anneal)] {
            if !v.is_finite() || v <= 0.0 {
                return Err(Error::param(
                    name,
                    format!("must be finite and > 0, got {v}"),
                ));
            }
        }
        if self.report_every == 0 {
            return Err(Error::param("report_every", "must be at least 1"));
        }
        Ok(())
    }
}

fn check_lam_mu(lam: f64, mu: f64) -> Result<()> {
    if !lam.is_finite() || lam < 0.0 {
        return Err(Error::param(
            "lam",
            format!("must be finite and >= 0, got {lam}"),
        ));
    }
    if !mu.is_finite() {
        return Err(Error::param("mu", format!("must be finite, got {mu}")));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// penalties

/// The intended penalty: `0` where `a >= mu`, else `a - mu` (that is `min(a - mu, 0)`).
///
/// ```
/// use ndarray::array;
/// let p = topicmod::gradient_descent::penalty(&array![[1.0, -2.0], [-1.0, 3.0]], 0.0);
/// assert_eq!(p, array![[0.0, -2.0], [-1.0, 0.0]]);
/// ```
pub fn penalty<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>, mu: f64) -> Array2<f64> {
    penalty_view(a.view(), mu)
}

fn penalty_view(a: ArrayView2<f64>, mu: f64) -> Array2<f64> {
    a.mapv(|x| elementwise_penalty(x, mu))
}

/// The lesson's original penalty, `np.where(A >= mu, 0, np.min(A - mu, 0))`.
///
/// `np.min(X, 0)` reduces along axis 0, so every entry below `mu` receives the minimum
/// of `A - mu` over its whole column, not its own `a - mu`. Kept so the quirk stays
/// demonstrable; [`penalty`] is what the lesson meant.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0, -2.0], [-1.0, -3.0]];
/// let p = topicmod::gradient_descent::penalty_column_min(&a, 0.0);
/// assert_eq!(p, array![[0.0, -3.0], [-1.0, -3.0]]);
/// assert_ne!(p, topicmod::gradient_descent::penalty(&a, 0.0));
/// ```
pub fn penalty_column_min<S: Data<Elem = f64>>(a: &ArrayBase<S, Ix2>, mu: f64) -> Array2<f64> {
    penalty_column_min_view(a.view(), mu)
}

fn penalty_column_min_view(a: ArrayView2<f64>, mu: f64) -> Array2<f64> {
    let colmin = column_minima(&a, mu);
    let mut out = Array2::zeros(a.raw_dim());
    Zip::from(out.rows_mut())
        .and(a.rows())
        .for_each(|mut o, r| {
            Zip::from(&mut o)
                .and(&r)
                .and(&colmin)
                .for_each(|o, &x, &cm| {
                    *o = if x >= mu { 0.0 } else { cm };
                })
        });
    out
}

#[inline]
fn elementwise_penalty(x: f64, mu: f64) -> f64 {
    // `x >= mu` is false for NaN, and NaN - mu stays NaN, as in NumPy.
    if x >= mu {
        0.0
    } else {
        x - mu
    }
}

/// Minimum of `a - mu` down each column; NaN if the column holds a NaN (as `np.min`).
fn column_minima(a: &ArrayView2<f64>, mu: f64) -> ndarray::Array1<f64> {
    a.fold_axis(Axis(0), f64::INFINITY, |&acc, &x| {
        let v = x - mu;
        if acc.is_nan() || v.is_nan() {
            f64::NAN
        } else {
            acc.min(v)
        }
    })
}

/// `a <- a - lr (g + lam * penalty(a, mu))`, the penalty fused into the update.
fn apply_step(a: &mut ArrayViewMut2<f64>, g: &Array2<f64>, p: &GdParams) {
    let (lam, mu, lr) = (p.lam, p.mu, p.lr);
    match p.penalty {
        Penalty::Elementwise => Zip::from(a).and(g).for_each(|x, &gx| {
            *x -= lr * (gx + elementwise_penalty(*x, mu) * lam);
        }),
        Penalty::ColumnMin => {
            let colmin = column_minima(&a.view(), mu);
            Zip::from(a.rows_mut()).and(g.rows()).for_each(|mut r, gr| {
                Zip::from(&mut r)
                    .and(&gr)
                    .and(&colmin)
                    .for_each(|x, &gx, &cm| {
                        let pen = if *x >= mu { 0.0 } else { cm };
                        *x -= lr * (gx + pen * lam);
                    })
            });
        }
    }
}

fn penalty_of(a: &ArrayView2<f64>, kind: Penalty, mu: f64) -> Array2<f64> {
    match kind {
        Penalty::Elementwise => penalty(a, mu),
        Penalty::ColumnMin => penalty_column_min(a, mu),
    }
}

// ---------------------------------------------------------------------------------------
// shapes

fn check_shapes<D: GdData + ?Sized>(m: &D, w: &ArrayView2<f64>, h: &ArrayView2<f64>) -> Result<()> {
    let (rows, cols) = m.gd_dims();
    if w.nrows() != rows || h.ncols() != cols || w.ncols() != h.nrows() {
        return Err(Error::ShapeMismatch(format!(
            "M is {rows} x {cols} but W is {} x {} and H is {} x {} (need W: m x d, H: d x n)",
            w.nrows(),
            w.ncols(),
            h.nrows(),
            h.ncols()
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// the lesson's three functions

/// The lesson's `grads(M, W, H)`: `dW = R H^T + lam penalty(W, mu)`,
/// `dH = W^T R + lam penalty(H, mu)` with `R = W H - M` and the elementwise penalty, for
/// dense or sparse `M` (any [`GdData`]). [`GradientDescent::grads`] gives them for any
/// [`GdParams`] (the column-minimum penalty included).
pub fn grads<D, S1, S2>(
    m: &D,
    w: &ArrayBase<S1, Ix2>,
    h: &ArrayBase<S2, Ix2>,
    lam: f64,
    mu: f64,
) -> Result<(Array2<f64>, Array2<f64>)>
where
    D: GdData + ?Sized,
    S1: Data<Elem = f64>,
    S2: Data<Elem = f64>,
{
    let params = GdParams::default().lam(lam).mu(mu);
    check_lam_mu(lam, mu)?;
    check_shapes(m.as_gd_data(), &w.view(), &h.view())?;
    Ok(grads_unchecked(
        m.as_gd_data(),
        &w.view(),
        &h.view(),
        &params,
    ))
}

fn grads_unchecked(
    m: &dyn GdData,
    w: &ArrayView2<f64>,
    h: &ArrayView2<f64>,
    params: &GdParams,
) -> (Array2<f64>, Array2<f64>) {
    let (mut dw, mut dh) = m.residual_products(w, h);
    dw.scaled_add(params.lam, &penalty_of(w, params.penalty, params.mu));
    dh.scaled_add(params.lam, &penalty_of(h, params.penalty, params.mu));
    (dw, dh)
}

/// The lesson's `upd(M, W, H, lr)`: one step in place, `W -= lr dW`, `H -= lr dH`, both
/// gradients taken at the old `(W, H)`, with `lam = LESSON_LAM`, `mu = LESSON_MU` and the
/// elementwise penalty, for dense or sparse `M`. The penalty is fused into the update (no
/// `dW`/`dH` temporaries beyond the residual products).
pub fn upd<D, S1, S2>(
    m: &D,
    w: &mut ArrayBase<S1, Ix2>,
    h: &mut ArrayBase<S2, Ix2>,
    lr: f64,
) -> Result<()>
where
    D: GdData + ?Sized,
    S1: DataMut<Elem = f64>,
    S2: DataMut<Elem = f64>,
{
    let params = GdParams::default().lr(lr);
    params.validate()?;
    let m = m.as_gd_data();
    check_shapes(m, &w.view(), &h.view())?;
    step_unchecked(m, &mut w.view_mut(), &mut h.view_mut(), &params);
    Ok(())
}

fn step_unchecked(
    m: &dyn GdData,
    w: &mut ArrayViewMut2<f64>,
    h: &mut ArrayViewMut2<f64>,
    params: &GdParams,
) {
    let (rht, wtr) = m.residual_products(&w.view(), &h.view());
    apply_step(w, &rht, params);
    apply_step(h, &wtr, params);
}

/// The lesson's `report(M, W, H)` ([`Report`]) for dense or sparse `M`.
pub fn report<D, S1, S2>(m: &D, w: &ArrayBase<S1, Ix2>, h: &ArrayBase<S2, Ix2>) -> Result<Report>
where
    D: GdData + ?Sized,
    S1: Data<Elem = f64>,
    S2: Data<Elem = f64>,
{
    let m = m.as_gd_data();
    check_shapes(m, &w.view(), &h.view())?;
    Ok(report_unchecked(m, &w.view(), &h.view()))
}

fn report_unchecked(m: &dyn GdData, w: &ArrayView2<f64>, h: &ArrayView2<f64>) -> Report {
    let min = |a: &ArrayView2<f64>| {
        a.iter().fold(f64::INFINITY, |acc, &x| {
            if x.is_nan() || acc.is_nan() {
                f64::NAN
            } else {
                acc.min(x)
            }
        })
    };
    Report {
        residual: m.residual_norm(w, h),
        w_min: min(w),
        h_min: min(h),
        w_negatives: w.iter().filter(|&&x| x < 0.0).count(),
        h_negatives: h.iter().filter(|&&x| x < 0.0).count(),
    }
}

// ---------------------------------------------------------------------------------------
// report and init

/// What the lesson prints while it trains: `||M - W H||_F`, the smallest entries of `W`
/// and `H`, and how many entries of each are negative. The ndarray functions here and
/// the PyTorch loops of `topicmod::torch` return this same type.
///
/// `Display` gives one line, `residual min_W min_H negatives_W negatives_H`, with the
/// residual to 4 decimals and the minima to 6 (`44.4395 -0.000520 -0.000117 21 10`): the
/// digits the lesson's printed numbers are compared on, and no float32 noise from the
/// PyTorch loops. The fields hold the full values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// `||M - W H||_F`.
    pub residual: f64,
    /// `min W`.
    pub w_min: f64,
    /// `min H`.
    pub h_min: f64,
    /// Number of entries `< 0` in `W`.
    pub w_negatives: usize,
    /// Number of entries `< 0` in `H`.
    pub h_negatives: usize,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.4} {:.6} {:.6} {} {}",
            self.residual, self.w_min, self.h_min, self.w_negatives, self.h_negatives
        )
    }
}

/// The lesson's start: `W = |N(0, 0.01)|` (`m x d`) then `H = |N(0, 0.01)|` (`d x n`),
/// drawn in C order from NumPy's legacy generator, so `seed` reproduces
/// `np.random.seed(seed); W = np.abs(np.random.normal(scale=0.01, size=(m, d)))`, then `H`.
pub fn positive_random_init(
    m: usize,
    n: usize,
    d: usize,
    seed: u32,
) -> Result<(Array2<f64>, Array2<f64>)> {
    check_init_dims(m, n, d)?;
    let mut rng = RandomState::new(seed);
    let w = Array2::from_shape_simple_fn((m, d), || rng.normal(0.0, 0.01).abs());
    let h = Array2::from_shape_simple_fn((d, n), || rng.normal(0.0, 0.01).abs());
    Ok((w, h))
}

/// The sizes of a random start (`m x d` and `d x n`) must all be at least 1.
pub(crate) fn check_init_dims(m: usize, n: usize, d: usize) -> Result<()> {
    for (name, v) in [("m", m), ("n", n), ("d", d)] {
        if v == 0 {
            return Err(Error::param(name, "must be at least 1"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// driver

/// Runs the descent on a borrowed data matrix (dense or sparse) while owning the factors.
///
/// ```
/// use ndarray::array;
/// use topicmod::gradient_descent::{GdParams, GradientDescent};
/// let m = array![[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]];
/// let params = GdParams::lesson().lr(0.05).n_steps(50).report_every(10);
/// let mut gd = GradientDescent::with_random_init(&m, 2, 0, params).unwrap();
/// let mut seen = Vec::new();
/// let reports = gd.run(|step, r| seen.push((step, r.residual)));
/// assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 11, 21, 31, 41]);
/// assert_eq!(reports.len(), 5);
/// assert_eq!(gd.steps(), 50);
/// ```
#[derive(Debug)]
pub struct GradientDescent<'a, D: GdData + ?Sized> {
    data: &'a D,
    w: Array2<f64>,
    h: Array2<f64>,
    params: GdParams,
    lr: f64,
    steps: usize,
}

impl<'a, D: GdData + ?Sized> GradientDescent<'a, D> {
    /// Starts from given factors; checks shapes and parameters.
    pub fn new(data: &'a D, w: Array2<f64>, h: Array2<f64>, params: GdParams) -> Result<Self> {
        params.validate()?;
        check_shapes(data, &w.view(), &h.view())?;
        Ok(GradientDescent {
            data,
            w,
            h,
            params,
            lr: params.lr,
            steps: 0,
        })
    }

    /// Starts from [`positive_random_init`]`(m, n, d, seed)`.
    pub fn with_random_init(data: &'a D, d: usize, seed: u32, params: GdParams) -> Result<Self> {
        let (m, n) = data.gd_dims();
        let (w, h) = positive_random_init(m, n, d, seed)?;
        Self::new(data, w, h, params)
    }

    /// One update of `W` and `H` with the current learning rate.
    pub fn step(&mut self) {
        let params = GdParams {
            lr: self.lr,
            ..self.params
        };
        step_unchecked(
            self.data.as_gd_data(),
            &mut self.w.view_mut(),
            &mut self.h.view_mut(),
            &params,
        );
        self.steps += 1;
    }

    /// `params.n_steps` updates, the lesson's loop: after update `i` (counting from 0
    /// within this call) with `i % report_every == 0`, `callback(total steps so far,
    /// &report)` is called and the learning rate is multiplied by `anneal`. Returns every
    /// `(total steps, report)`.
    pub fn run(&mut self, mut callback: impl FnMut(usize, &Report)) -> Vec<(usize, Report)> {
        let mut reports = Vec::new();
        for i in 0..self.params.n_steps {
            self.step();
            if i % self.params.report_every == 0 {
                let r = self.report();
                callback(self.steps, &r);
                reports.push((self.steps, r));
                self.lr *= self.params.anneal;
            }
        }
        reports
    }

    /// [`Report`] for the current factors.
    pub fn report(&self) -> Report {
        report_unchecked(self.data.as_gd_data(), &self.w.view(), &self.h.view())
    }
    /// Current `(dW, dH)` with this run's penalty, `lam` and `mu`.
    pub fn grads(&self) -> (Array2<f64>, Array2<f64>) {
        grads_unchecked(
            self.data.as_gd_data(),
            &self.w.view(),
            &self.h.view(),
            &self.params,
        )
    }
    /// Current `W` (`m x d`).
    pub fn w(&self) -> &Array2<f64> {
        &self.w
    }
    /// Current `H` (`d x n`): row `k` scores the words of topic `k`.
    pub fn h(&self) -> &Array2<f64> {
        &self.h
    }
    /// Updates done so far.
    pub fn steps(&self) -> usize {
        self.steps
    }
    /// The learning rate of the next step (`params.lr`, annealed at each report of a run).
    pub fn lr(&self) -> f64 {
        self.lr
    }
    /// The parameters.
    pub fn params(&self) -> &GdParams {
        &self.params
    }
    /// Gives back `(W, H)`.
    pub fn into_factors(self) -> (Array2<f64>, Array2<f64>) {
        (self.w, self.h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn small() -> (Array2<f64>, Array2<f64>, Array2<f64>) {
        let m = array![
            [1.0, 0.0, 2.0, 0.5],
            [0.0, 3.0, 1.0, 0.0],
            [0.2, 0.0, 0.0, 4.0]
        ];
        let w = array![[0.3, -0.1], [0.2, 0.4], [-0.5, 0.1]];
        let h = array![[0.1, -0.2, 0.3, 0.0], [0.5, 0.6, -0.7, 0.8]];
        (m, w, h)
    }

    fn naive_grads(
        m: &Array2<f64>,
        w: &Array2<f64>,
        h: &Array2<f64>,
        lam: f64,
        mu: f64,
    ) -> (Array2<f64>, Array2<f64>) {
        let r = w.dot(h) - m;
        (
            r.dot(&h.t()) + penalty(w, mu) * lam,
            w.t().dot(&r) + penalty(h, mu) * lam,
        )
    }

    fn close(a: &Array2<f64>, b: &Array2<f64>, tol: f64) -> bool {
        a.shape() == b.shape()
            && a.iter()
                .zip(b.iter())
                .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
    }

    #[test]
    fn dense_and_sparse_grads_match_naive() {
        let (m, w, h) = small();
        let (ew, eh) = naive_grads(&m, &w, &h, 10.0, 1e-3);
        let (dw, dh) = grads(&m, &w, &h, 10.0, 1e-3).unwrap();
        assert!(close(&dw, &ew, 1e-12) && close(&dh, &eh, 1e-12));
        let csr = crate::linop::dense_to_csr(&m);
        let (sw, sh) = grads(&csr, &w, &h, 10.0, 1e-3).unwrap();
        assert!(close(&sw, &ew, 1e-12) && close(&sh, &eh, 1e-12));
    }

    #[test]
    fn tiles_cover_a_matrix_larger_than_one_tile() {
        let (rows, cols, d) = (residual::TILE_ROWS + 7, residual::TILE_COLS + 13, 3);
        let m = Array2::from_shape_fn((rows, cols), |(i, j)| {
            ((i * 31 + j * 17) % 11) as f64 / 10.0
        });
        let (w, h) = positive_random_init(rows, cols, d, 3).unwrap();
        let r = w.dot(&h) - &m;
        let (dw, dh) = grads(&m, &w, &h, 0.0, 0.0).unwrap();
        assert!(close(&dw, &r.dot(&h.t()), 1e-10));
        assert!(close(&dh, &w.t().dot(&r), 1e-10));
        let expect = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((report(&m, &w, &h).unwrap().residual - expect).abs() < 1e-10 * expect);
    }

    #[test]
    fn upd_matches_grads_and_both_penalties() {
        let (m, w0, h0) = small();
        for kind in [Penalty::Elementwise, Penalty::ColumnMin] {
            let p = GdParams::default()
                .lam(10.0)
                .mu(1e-3)
                .lr(0.01)
                .penalty(kind);
            let mut gd = GradientDescent::new(&m, w0.clone(), h0.clone(), p).unwrap();
            let (dw, dh) = gd.grads();
            gd.step();
            assert!(close(gd.w(), &(&w0 - &(&dw * 0.01)), 1e-14));
            assert!(close(gd.h(), &(&h0 - &(&dh * 0.01)), 1e-14));
        }
    }

    #[test]
    fn report_and_display() {
        let (m, w, h) = small();
        let r = report(&m, &w, &h).unwrap();
        assert_eq!(
            (r.w_min, r.h_min, r.w_negatives, r.h_negatives),
            (-0.5, -0.7, 2, 2)
        );
        let csr = crate::linop::dense_to_csr(&m);
        let rs = report(&csr, &w, &h).unwrap();
        assert!((rs.residual - r.residual).abs() < 1e-12);
        let line = r.to_string();
        assert_eq!(line, format!("{:.4} -0.500000 -0.700000 2 2", r.residual));
        assert!(line.ends_with(" -0.500000 -0.700000 2 2"), "{line}");
    }

    #[test]
    fn run_reports_and_anneals_like_the_lesson() {
        let (m, w0, h0) = small();
        let p = GdParams::default()
            .lam(10.0)
            .mu(1e-3)
            .lr(0.01)
            .n_steps(25)
            .report_every(10)
            .anneal(0.5);
        let mut gd = GradientDescent::new(&m, w0.clone(), h0.clone(), p).unwrap();
        let reports = gd.run(|_, _| {});
        let steps: Vec<usize> = reports.iter().map(|r| r.0).collect();
        assert_eq!(steps, [1, 11, 21]);
        assert_eq!(gd.lr(), 0.01 * 0.5 * 0.5 * 0.5);
        // the same schedule written out
        let (mut w, mut h) = (w0, h0);
        let mut lr = 0.01;
        let mut expected = Vec::new();
        for i in 0..25 {
            let (dw, dh) = grads(&m, &w, &h, 10.0, 1e-3).unwrap();
            w = &w - &(dw * lr);
            h = &h - &(dh * lr);
            if i % 10 == 0 {
                expected.push(report(&m, &w, &h).unwrap());
                lr *= 0.5;
            }
        }
        assert!(close(gd.w(), &w, 1e-12) && close(gd.h(), &h, 1e-12));
        for ((_, got), want) in reports.iter().zip(&expected) {
            assert!((got.residual - want.residual).abs() < 1e-12 * want.residual);
            assert_eq!(
                (got.w_negatives, got.h_negatives),
                (want.w_negatives, want.h_negatives)
            );
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (m, w, h) = small();
        assert!(matches!(
            grads(&m, &h, &w, 1.0, 0.0),
            Err(Error::ShapeMismatch(_))
        ));
        assert!(matches!(
            grads(&m, &w, &h, f64::NAN, 0.0),
            Err(Error::InvalidParameter { name: "lam", .. })
        ));
        let (mut w2, mut h2) = (w.clone(), h.clone());
        assert!(matches!(
            upd(&m, &mut w2, &mut h2, f64::INFINITY),
            Err(Error::InvalidParameter { name: "lr", .. })
        ));
        assert!(positive_random_init(3, 0, 2, 0).is_err());
        assert!(GradientDescent::new(&m, h.clone(), w.clone(), GdParams::default()).is_err());
        for p in [
            GdParams::default().report_every(0),
            GdParams::default().lr(0.0),
            GdParams::default().anneal(f64::NAN),
        ] {
            assert!(GradientDescent::new(&m, w.clone(), h.clone(), p).is_err());
        }
    }
}
