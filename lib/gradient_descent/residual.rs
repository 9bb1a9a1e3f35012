//! The residual products behind the lesson's functions: `R Hᵀ`, `Wᵀ R` and `‖R‖_F` for
//! `R = W H - M`, computed without storing the `m x n` residual — for dense `M` in 1 MiB
//! tiles around two BLAS products, for sparse `M` from `M Hᵀ`, `Wᵀ M` and small Gram
//! matrices (see the module doc of `gradient_descent`).

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayBase, ArrayView2, Data, Ix2, Zip};

use crate::linop::{csr_dot_dense, csr_t_dot_dense, gram, Csr};

/// Rows and columns of one residual tile in the dense back end (`64 x 2048` doubles = 1 MiB).
pub(super) const TILE_ROWS: usize = 64;
pub(super) const TILE_COLS: usize = 2048;

/// A data matrix `M` the descent can fit: it supplies the two residual products and the
/// residual norm for given factors, each without storing `R = W H - M`.
///
/// Implemented for dense arrays (any `ndarray` storage) and for [`Csr`]. The caller
/// ([`grads`](super::grads), [`upd`](super::upd), [`report`](super::report),
/// [`GradientDescent::new`](super::GradientDescent::new)) checks the shapes first.
pub trait GdData {
    /// `(m, n)`.
    fn gd_dims(&self) -> (usize, usize);
    /// `(R H^T, W^T R)` with `R = W H - M`: shapes `(m, d)` and `(d, n)`.
    fn residual_products(
        &self,
        w: &ArrayView2<f64>,
        h: &ArrayView2<f64>,
    ) -> (Array2<f64>, Array2<f64>);
    /// `||M - W H||_F`.
    fn residual_norm(&self, w: &ArrayView2<f64>, h: &ArrayView2<f64>) -> f64;
    /// This matrix as a trait object (implementations return `self`): the generic entry
    /// points ([`grads`](super::grads) and friends) hand it to non-generic bodies.
    fn as_gd_data(&self) -> &dyn GdData;
}

// The dense impl only takes a view and calls non-generic code, compiled once (optimized)
// in this crate rather than in every program or notebook cell that uses its own `S`.
impl<S: Data<Elem = f64>> GdData for ArrayBase<S, Ix2> {
    fn gd_dims(&self) -> (usize, usize) {
        self.dim()
    }
    fn residual_products(
        &self,
        w: &ArrayView2<f64>,
        h: &ArrayView2<f64>,
    ) -> (Array2<f64>, Array2<f64>) {
        dense_residual_products(self.view(), w, h)
    }
    fn residual_norm(&self, w: &ArrayView2<f64>, h: &ArrayView2<f64>) -> f64 {
        dense_residual_norm(self.view(), w, h)
    }
    fn as_gd_data(&self) -> &dyn GdData {
        self
    }
}

fn dense_residual_products(
    m: ArrayView2<f64>,
    w: &ArrayView2<f64>,
    h: &ArrayView2<f64>,
) -> (Array2<f64>, Array2<f64>) {
    // two BLAS passes over M; nothing of size m x n is allocated
    let mht = m.dot(&h.t());
    let wtm = w.t().dot(&m);
    products_from(w, h, &mht.view(), &wtm.view())
}

fn dense_residual_norm(m: ArrayView2<f64>, w: &ArrayView2<f64>, h: &ArrayView2<f64>) -> f64 {
    let mut ss = 0.0;
    for_each_residual_tile(&m, w, h, |t| {
        ss += t.iter().map(|v| v * v).sum::<f64>();
    });
    ss.sqrt()
}

/// Walks `R = W H - M` in `TILE_ROWS x TILE_COLS` tiles held in one reused buffer.
fn for_each_residual_tile<F: FnMut(&ArrayView2<f64>)>(
    m: &ArrayView2<f64>,
    w: &ArrayView2<f64>,
    h: &ArrayView2<f64>,
    mut f: F,
) {
    let (rows, cols) = m.dim();
    let mut buf = Array2::<f64>::zeros((TILE_ROWS.min(rows), TILE_COLS.min(cols)));
    for i0 in (0..rows).step_by(TILE_ROWS) {
        let i1 = (i0 + TILE_ROWS).min(rows);
        let wb = w.slice(s![i0..i1, ..]);
        for j0 in (0..cols).step_by(TILE_COLS) {
            let j1 = (j0 + TILE_COLS).min(cols);
            let hb = h.slice(s![.., j0..j1]);
            let mut t = buf.slice_mut(s![..i1 - i0, ..j1 - j0]);
            t.assign(&m.slice(s![i0..i1, j0..j1]));
            // t <- W_i H_j - M_ij
            general_mat_mul(1.0, &wb, &hb, -1.0, &mut t);
            f(&t.view());
        }
    }
}

/// `(R H^T, W^T R)` from `M H^T` (`m x d`) and `W^T M` (`d x n`):
/// `R H^T = W (H H^T) - M H^T`, `W^T R = (W^T W) H - W^T M`.
///
/// The small products are plain loops: with `d` this small, BLAS calls cost more in
/// threading overhead than they save.
fn products_from(
    w: &ArrayView2<f64>,
    h: &ArrayView2<f64>,
    mht: &ArrayView2<f64>,
    wtm: &ArrayView2<f64>,
) -> (Array2<f64>, Array2<f64>) {
    let d = w.ncols();
    let hht = gram(h.t());
    let wtw = gram(w.view());
    let mut rht = Array2::<f64>::zeros(mht.raw_dim());
    Zip::from(rht.rows_mut())
        .and(w.rows())
        .and(mht.rows())
        .for_each(|mut o, wr, mr| {
            for k in 0..d {
                let mut acc = 0.0;
                for l in 0..d {
                    acc += wr[l] * hht[[l, k]];
                }
                o[k] = acc - mr[k];
            }
        });
    let mut wtr = Array2::<f64>::zeros(wtm.raw_dim());
    for k in 0..d {
        let mut o = wtr.row_mut(k);
        for l in 0..d {
            let c = wtw[[k, l]];
            Zip::from(&mut o)
                .and(&h.row(l))
                .for_each(|o, &x| *o += c * x);
        }
        Zip::from(&mut o).and(&wtm.row(k)).for_each(|o, &x| *o -= x);
    }
    (rht, wtr)
}

impl GdData for Csr {
    fn gd_dims(&self) -> (usize, usize) {
        self.shape()
    }
    fn residual_products(
        &self,
        w: &ArrayView2<f64>,
        h: &ArrayView2<f64>,
    ) -> (Array2<f64>, Array2<f64>) {
        let mht = sparse_mht(self, h);
        let mtw = csr_t_dot_dense(self, w);
        products_from(w, h, &mht.view(), &mtw.t())
    }
    fn residual_norm(&self, w: &ArrayView2<f64>, h: &ArrayView2<f64>) -> f64 {
        // ||M||^2 - 2 tr(W^T M H^T) + tr((W^T W)(H H^T)); the Gram matrices are symmetric
        let hht = gram(h.t());
        let wtw = gram(w.view());
        let mht = sparse_mht(self, h);
        let m_sq: f64 = self.data().iter().map(|v| v * v).sum();
        let cross: f64 = Zip::from(w).and(&mht).fold(0.0, |acc, &a, &b| acc + a * b);
        let quad: f64 = Zip::from(&wtw)
            .and(&hht)
            .fold(0.0, |acc, &a, &b| acc + a * b);
        (m_sq - 2.0 * cross + quad).max(0.0).sqrt()
    }
    fn as_gd_data(&self) -> &dyn GdData {
        self
    }
}

/// `M H^T` (`m x d`) for sparse `M`.
fn sparse_mht(m: &Csr, h: &ArrayView2<f64>) -> Array2<f64> {
    csr_dot_dense(m, &h.t())
}
