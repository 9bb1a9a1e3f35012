//! Mini-batch stochastic gradient descent on the lesson's loss.
//!
//! The loss splits into one term per row (document) of `M` plus the penalty on `H`:
//!
//! ```text
//! f(W, H) = sum_i [ 1/2 ||M_i - W_i H||^2 + lam P(W_i) ] + lam P(H)
//! ```
//!
//! A step draws a batch `B` of `b` rows and takes the gradient of the loss restricted to
//! those rows. With `R_B = W_B H - M_B` (only `b x n`, never stored; the products come
//! from the same code as the full-batch step):
//!
//! ```text
//! dW_B = R_B H^T + lam penalty(W_B, mu)              (rows of W outside B do not move)
//! dH   = (m / b) W_B^T R_B + lam penalty(H, mu)
//! W_B <- W_B - lr dW_B                                H <- H - lr dH
//! ```
//!
//! Row `i` of `W` appears only in term `i`, so `dW_B` is exactly the full gradient's rows
//! `B`. The data part of `dH` is a sum over all `m` rows; the batch's sum times `m / b` is
//! an unbiased estimate of it (each row is in a uniformly drawn batch with probability
//! `b / m`), so an `H` step has the full-batch scale and the same `lr` fits both methods.
//! The penalty on `H` is exact at every step.
//!
//! One pass (epoch) shuffles the rows (a permutation from [`RandomState`]), cuts the
//! permutation into `ceil(m / b)` batches of `b` rows (the last one may be smaller; its
//! `m / b` uses its own size) and takes one step per batch: every row of `W` moves once
//! per pass, `H` moves `ceil(m / b)` times. The rows of each batch are sorted before use,
//! so with `b = m` a pass is exactly one full-batch step ([`GradientDescent::step`](super::GradientDescent::step)).
//!
//! With [`Penalty::ColumnMin`](super::Penalty::ColumnMin) the column minima of `W` are
//! taken over the batch's rows.

use std::fmt;
use std::time::Instant;

use ndarray::{Array2, ArrayBase, ArrayView2, Axis, Data, Ix2};

use super::{apply_step, check_shapes, report_unchecked, GdData, GdParams, Report};
use crate::error::{Error, Result};
use crate::linop::Csr;
use crate::rng::RandomState;

/// A data matrix whose rows can be drawn as a mini-batch: dense arrays and [`Csr`].
pub trait GdRows: GdData {
    /// The rows `rows` of `M`, in that order, as a new matrix of the same kind.
    /// The caller checks that every index is below the number of rows.
    fn gd_rows(&self, rows: &[usize]) -> Box<dyn GdData>;
    /// This matrix as a trait object (implementations return `self`).
    fn as_gd_rows(&self) -> &dyn GdRows;
}

impl<S: Data<Elem = f64>> GdRows for ArrayBase<S, Ix2> {
    fn gd_rows(&self, rows: &[usize]) -> Box<dyn GdData> {
        Box::new(dense_rows(self.view(), rows))
    }
    fn as_gd_rows(&self) -> &dyn GdRows {
        self
    }
}

fn dense_rows(m: ArrayView2<f64>, rows: &[usize]) -> Array2<f64> {
    m.select(Axis(0), rows)
}

impl GdRows for Csr {
    fn gd_rows(&self, rows: &[usize]) -> Box<dyn GdData> {
        Box::new(csr_rows(self, rows))
    }
    fn as_gd_rows(&self) -> &dyn GdRows {
        self
    }
}

/// The rows `rows` of a sparse matrix as a CSR matrix (`O(nnz of those rows)` for CSR
/// storage; a CSC matrix is converted first).
fn csr_rows(m: &Csr, rows: &[usize]) -> Csr {
    if !m.is_csr() {
        return csr_rows(&m.to_csr(), rows);
    }
    let ip = m.indptr();
    let nnz: usize = rows.iter().map(|&r| ip.outer_inds_sz(r).len()).sum();
    let mut indptr = Vec::with_capacity(rows.len() + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    indptr.push(0);
    for &r in rows {
        let range = ip.outer_inds_sz(r);
        indices.extend_from_slice(&m.indices()[range.clone()]);
        data.extend_from_slice(&m.data()[range]);
        indptr.push(indices.len());
    }
    // rows copied whole from a valid CSR matrix form a valid CSR matrix
    Csr::new((rows.len(), m.cols()), indptr, indices, data)
}

/// What [`MiniBatchGd`] records after each pass over the data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch {
    /// Passes done so far (1 after the first).
    pub epoch: usize,
    /// Mini-batch steps done so far.
    pub steps: usize,
    /// Seconds spent in steps so far (the reports are not counted).
    pub seconds: f64,
    /// [`Report`] on the full data after this pass.
    pub report: Report,
}

/// Mini-batch stochastic gradient descent on the loss of [`GradientDescent`](super::GradientDescent)
/// (see [the module doc](self) for the step), on a borrowed dense or sparse matrix.
///
/// It uses `lr`, `lam`, `mu` and `penalty` of [`GdParams`]; after each pass the learning
/// rate is multiplied by `anneal`. `n_steps` and `report_every` do not apply: [`run`](Self::run)
/// takes a number of passes and reports after each.
///
/// ```
/// use ndarray::array;
/// use topicmod::gradient_descent::{positive_random_init, GdParams, MiniBatchGd};
/// let m = array![[1.0, 0.0, 2.0], [0.0, 3.0, 1.0], [2.0, 1.0, 0.0], [0.0, 1.0, 1.0]];
/// let (w, h) = positive_random_init(4, 3, 2, 0).unwrap();
/// let mut sgd = MiniBatchGd::new(&m, w, h, GdParams::lesson().lr(0.05), 2, 0).unwrap();
/// let start = sgd.report().residual;
/// let epochs = sgd.run(100, |_| {});
/// assert_eq!((epochs.len(), sgd.steps()), (100, 200)); // 2 batches of 2 rows per pass
/// assert!(epochs[99].report.residual < start);
/// ```
pub struct MiniBatchGd<'a> {
    data: &'a dyn GdRows,
    w: Array2<f64>,
    h: Array2<f64>,
    params: GdParams,
    lr: f64,
    batch_size: usize,
    rng: RandomState,
    steps: usize,
    epochs: usize,
    seconds: f64,
}

impl fmt::Debug for MiniBatchGd<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MiniBatchGd")
            .field("data_dims", &self.data.gd_dims())
            .field("d", &self.w.ncols())
            .field("params", &self.params)
            .field("lr", &self.lr)
            .field("batch_size", &self.batch_size)
            .field("steps", &self.steps)
            .field("epochs", &self.epochs)
            .field("seconds", &self.seconds)
            .finish_non_exhaustive()
    }
}

impl<'a> MiniBatchGd<'a> {
    /// Starts from given factors, with batches of `batch_size` rows shuffled by
    /// `RandomState::new(seed)`. `Err(InvalidParameter)` for a bad parameter (see
    /// [`GdParams::validate`]) or `batch_size` outside `1..=m`; `Err(ShapeMismatch)`
    /// unless `W` is `m x d` and `H` is `d x n`.
    pub fn new<D: GdRows + ?Sized>(
        data: &'a D,
        w: Array2<f64>,
        h: Array2<f64>,
        params: GdParams,
        batch_size: usize,
        seed: u32,
    ) -> Result<Self> {
        Self::new_dyn(data.as_gd_rows(), w, h, params, batch_size, seed)
    }

    fn new_dyn(
        data: &'a dyn GdRows,
        w: Array2<f64>,
        h: Array2<f64>,
        params: GdParams,
        batch_size: usize,
        seed: u32,
    ) -> Result<Self> {
        params.validate()?;
        check_shapes(data, &w.view(), &h.view())?;
        let m = data.gd_dims().0;
        if batch_size == 0 || batch_size > m {
            return Err(Error::param(
                "batch_size",
                format!("must be between 1 and the number of rows ({m}), got {batch_size}"),
            ));
        }
        Ok(MiniBatchGd {
            data,
            w,
            h,
            params,
            lr: params.lr,
            batch_size,
            rng: RandomState::new(seed),
            steps: 0,
            epochs: 0,
            seconds: 0.0,
        })
    }

    /// One pass over the data: shuffle the rows, one step per batch, then the full-data
    /// report. The learning rate is multiplied by `anneal` afterwards.
    pub fn epoch(&mut self) -> Epoch {
        let t = Instant::now();
        let m = self.data.gd_dims().0;
        let order = self.rng.permutation(m);
        for chunk in order.chunks(self.batch_size) {
            let mut rows = chunk.to_vec();
            rows.sort_unstable();
            self.step_on(&rows);
        }
        self.seconds += t.elapsed().as_secs_f64();
        self.epochs += 1;
        self.lr *= self.params.anneal;
        Epoch {
            epoch: self.epochs,
            steps: self.steps,
            seconds: self.seconds,
            report: self.report(),
        }
    }

    /// One step on the (sorted, distinct, in-range) rows `rows`.
    fn step_on(&mut self, rows: &[usize]) {
        let params = GdParams {
            lr: self.lr,
            ..self.params
        };
        let batch = self.data.gd_rows(rows);
        let mut wb = self.w.select(Axis(0), rows);
        let (rht, mut wtr) = batch.residual_products(&wb.view(), &self.h.view());
        wtr *= self.data.gd_dims().0 as f64 / rows.len() as f64;
        apply_step(&mut wb.view_mut(), &rht, &params);
        apply_step(&mut self.h.view_mut(), &wtr, &params);
        for (k, &r) in rows.iter().enumerate() {
            self.w.row_mut(r).assign(&wb.row(k));
        }
        self.steps += 1;
    }

    /// `passes` passes ([`epoch`](Self::epoch)), calling `callback` with each pass's
    /// record; returns the records.
    pub fn run(&mut self, passes: usize, mut callback: impl FnMut(&Epoch)) -> Vec<Epoch> {
        (0..passes)
            .map(|_| {
                let e = self.epoch();
                callback(&e);
                e
            })
            .collect()
    }

    /// [`Report`] on the full data for the current factors.
    pub fn report(&self) -> Report {
        report_unchecked(self.data.as_gd_data(), &self.w.view(), &self.h.view())
    }
    /// Current `W` (`m x d`).
    pub fn w(&self) -> &Array2<f64> {
        &self.w
    }
    /// Current `H` (`d x n`): row `k` scores the words of topic `k`.
    pub fn h(&self) -> &Array2<f64> {
        &self.h
    }
    /// Mini-batch steps done so far (`ceil(m / batch_size)` per pass).
    pub fn steps(&self) -> usize {
        self.steps
    }
    /// Passes done so far.
    pub fn epochs(&self) -> usize {
        self.epochs
    }
    /// Seconds spent in steps so far (reports not counted).
    pub fn seconds(&self) -> f64 {
        self.seconds
    }
    /// The learning rate of the next pass (`params.lr` times `anneal` per pass done).
    pub fn lr(&self) -> f64 {
        self.lr
    }
    /// Rows per batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
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
