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
/// The pivot of column `j` is the first row (from `j` down) with the largest `|a_ij|`,
/// as LAPACK's `getrf` chooses it. `P·L` spans the same space as the first
/// `min(m, n)` columns of `A` (when they are independent) and is cheap to compute.
pub fn lu_normalize(a: &Array2<f64>) -> Array2<f64> {
    let (m, n) = a.dim();
    let threads = crate::threads::threads_for(m * n, crate::threads::LU_MIN_WORK)
        .min(m / LU_BLOCK)
        .clamp(1, 4);
    lu_on_threads(a.view(), threads)
}

/// [`lu_normalize`] with the rows split between `threads` threads (`>= 1`).
fn lu_on_threads(a: ArrayView2<f64>, threads: usize) -> Array2<f64> {
    let (m, n) = a.dim();
    let kmin = m.min(n);
    if m == 0 || n == 0 {
        return Array2::zeros((m, kmin));
    }
    let threads = threads.clamp(1, m);
    // Read in place when `a` is row-major (the products' output is); the working copy
    // below is the only one.
    let a = a.as_standard_layout();
    let src = a.as_slice().expect("standard layout");
    // Column-major working copy: column `c` is `cols[c * m..(c + 1) * m]`; row `i` is
    // position `i` after the row swaps so far, `perm[i]` the original row now there.
    let mut cols: Vec<f64> = Vec::with_capacity(m * n);
    let mut out: Vec<f64> = Vec::with_capacity(m * kmin);
    let work = LuWork {
        cols: SharedBuf(cols.as_mut_ptr()),
        out: SharedBuf(out.as_mut_ptr()),
        m,
        n,
        kmin,
        threads,
        barrier: SpinBarrier::new(threads),
        state: std::sync::RwLock::new(LuShared {
            step: LuStep::default(),
            perm: (0..m).collect(),
            best: vec![(f64::NEG_INFINITY, 0); threads],
        }),
    };
    crate::threads::run_jobs((0..threads).map(|t| {
        let work = &work;
        // SAFETY: see `LuWork::run`: the threads write disjoint rows, and the pivot steps
        // run on one thread while the others wait at the barrier.
        move || unsafe { work.run(t, src) }
    }));
    // SAFETY: `run` wrote every entry of both buffers (all rows of all columns of `cols`,
    // every row of `out`, as each thread covers its own rows).
    unsafe {
        cols.set_len(m * n);
        out.set_len(m * kmin);
    }
    drop(cols);
    Array2::from_shape_vec((m, kmin), out).expect("m x min(m, n)")
}

/// Rows per block of a left-looking pass (the block of every column read stays in L1).
const LU_BLOCK: usize = 256;

/// A raw buffer shared by the LU's threads (each touches its own rows, see `LuWork::run`).
#[derive(Clone, Copy)]
struct SharedBuf(*mut f64);
// SAFETY: access is coordinated by `LuWork::run` (disjoint rows, barriers between phases).
unsafe impl Send for SharedBuf {}
unsafe impl Sync for SharedBuf {}

/// What every pass needs from the pivots so far.
#[derive(Clone, Default)]
struct LuStep {
    /// Columns with a non-zero pivot (the only ones that update later columns).
    active: Vec<usize>,
    /// `u_pj` for `p` in `active`, `j` the column of the coming pass.
    ucol: Vec<f64>,
    /// Column `j - 1`'s multipliers, still to be scaled by its pivot.
    prev: Option<Multiplier>,
}

struct LuShared {
    step: LuStep,
    perm: Vec<usize>,
    /// Each thread's first largest `|a_ij|` in the current pass and its row.
    best: Vec<(f64, usize)>,
}

struct LuWork {
    cols: SharedBuf,
    out: SharedBuf,
    m: usize,
    n: usize,
    kmin: usize,
    threads: usize,
    barrier: SpinBarrier,
    state: std::sync::RwLock<LuShared>,
}

impl LuWork {
    /// Thread `t`'s share of the LU, working on rows `lo..hi` (a fixed slice of `0..m`).
    ///
    /// Left-looking elimination: pass `j` brings column `j` up to date in one sweep down
    /// the rows (`a_ij -= l_ip u_pj` for p = 0, 1, .. in that order) and finds its pivot.
    /// Every entry sees exactly the operations of the textbook right-looking loop, in the
    /// same order, so the result is bit-for-bit `getf2`'s whatever the thread count; but a
    /// pass reads a few contiguous columns instead of rewriting the trailing block.
    ///
    /// # Safety
    /// `cols` must hold room for `m * n` and `out` for `m * kmin` values, `src` the input
    /// (`m x n`, row-major), and `run` must be called once for every `t < threads`,
    /// concurrently.
    unsafe fn run(&self, t: usize, src: &[f64]) {
        let (m, n, kmin) = (self.m, self.n, self.kmin);
        let lo = t * m / self.threads;
        let hi = (t + 1) * m / self.threads;
        let cols = self.cols.0;
        // Transpose our rows into the column-major copy, eight rows (one cache line of
        // every column) at a time.
        const B: usize = 8;
        let mut i = lo;
        while i < hi {
            let rows = (hi - i).min(B);
            for c in 0..n {
                let dst = cols.add(c * m + i);
                for r in 0..rows {
                    dst.add(r).write(src[(i + r) * n + c]);
                }
            }
            i += rows;
        }
        self.barrier.wait();
        for j in 0..kmin {
            let step = self.read().step.clone();
            let from = lo.max(j);
            let found = if from < hi {
                self.pass(j, from, hi, &step)
            } else {
                (f64::NEG_INFINITY, from)
            };
            self.write().best[t] = found;
            self.barrier.wait();
            if t == 0 {
                self.pivot(j);
            }
            self.barrier.wait();
        }
        // Row `orig` of P·L is row `pos` of L where `perm[pos] = orig`: L's strictly lower
        // part (the last column's multipliers scaled on the way), 1, then zeros.
        let shared = self.read();
        let last = shared.step.prev;
        for pos in lo..hi {
            let row = self.out.0.add(shared.perm[pos] * kmin);
            for c in 0..pos.min(kmin) {
                row.add(c).write(*cols.add(c * m + pos));
            }
            if pos < kmin {
                row.add(pos).write(1.0);
                for c in pos + 1..kmin {
                    row.add(c).write(0.0);
                }
            } else if let Some(s) = last {
                let x = row.add(kmin - 1);
                x.write(s.apply(*x));
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, LuShared> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, LuShared> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Pass `j` over rows `lo..hi`: scale column `j - 1`'s multipliers, apply the earlier
    /// updates to column `j`; returns the first largest `|a_ij|` and its row (NaN never
    /// wins, as in `getrf`).
    ///
    /// # Safety
    /// No other thread touches rows `lo..hi` meanwhile.
    unsafe fn pass(&self, j: usize, lo: usize, hi: usize, step: &LuStep) -> (f64, usize) {
        let m = self.m;
        let cols = self.cols.0;
        let mut best = f64::NEG_INFINITY;
        let mut best_i = lo;
        let mut i0 = lo;
        while i0 < hi {
            let i1 = (i0 + LU_BLOCK).min(hi);
            if let Some(s) = step.prev {
                let prev = std::slice::from_raw_parts_mut(cols.add((j - 1) * m + i0), i1 - i0);
                for x in prev {
                    *x = s.apply(*x);
                }
            }
            let block = std::slice::from_raw_parts_mut(cols.add(j * m + i0), i1 - i0);
            eliminate_block(block, cols, m, i0, &step.active, &step.ucol);
            // A block is scanned row by row only when it holds a new maximum.
            let top = block.iter().fold(f64::NEG_INFINITY, |t, x| t.max(x.abs()));
            if top > best {
                for (off, x) in block.iter().enumerate() {
                    if x.abs() > best {
                        best = x.abs();
                        best_i = i0 + off;
                    }
                }
            }
            i0 = i1;
        }
        (best, best_i)
    }

    /// After pass `j` (all threads waiting): swap the pivot row into place, bring its part
    /// of U up to date and prepare the next pass.
    ///
    /// # Safety
    /// Runs alone.
    unsafe fn pivot(&self, j: usize) {
        let (m, n) = (self.m, self.n);
        let cols = self.cols.0;
        let at = |c: usize, i: usize| cols.add(c * m + i);
        let mut guard = self.write();
        let shared = &mut *guard;
        // The first thread holding the largest value wins: the first such row overall.
        let mut best = (f64::NEG_INFINITY, j);
        for &b in &shared.best {
            if b.0 > best.0 {
                best = b;
            }
        }
        let p = best.1;
        if p != j {
            for c in 0..n {
                std::ptr::swap(at(c, j), at(c, p));
            }
            shared.perm.swap(j, p);
        }
        let step = &mut shared.step;
        for c in j + 1..n {
            let mut v = *at(c, j);
            for &q in &step.active {
                v -= *at(q, j) * *at(c, q);
            }
            *at(c, j) = v;
        }
        step.prev = Multiplier::of(*at(j, j));
        if step.prev.is_some() {
            step.active.push(j);
        }
        step.ucol.clear();
        if j + 1 < n {
            step.ucol.extend(step.active.iter().map(|&q| *at(j + 1, q)));
        }
    }
}

/// `x[r] -= l_p[i0 + r] * u_p` for every active column `p` in turn (`l_p` is column `p`
/// of the column-major `cols`, `m` long), eight rows at a time held in registers.
///
/// # Safety
/// `cols` holds the columns in `active` for rows `i0..i0 + x.len()`, and `x` is not one of them.
unsafe fn eliminate_block(
    x: &mut [f64],
    cols: *const f64,
    m: usize,
    i0: usize,
    active: &[usize],
    u: &[f64],
) {
    const R: usize = 8;
    let full = x.len() / R * R;
    let (head, tail) = x.split_at_mut(full);
    for (c, chunk) in head.chunks_exact_mut(R).enumerate() {
        let at = i0 + c * R;
        let mut v: [f64; R] = (&*chunk).try_into().expect("R wide");
        for (&p, &up) in active.iter().zip(u) {
            let l = &*(cols.add(p * m + at) as *const [f64; R]);
            for r in 0..R {
                v[r] -= l[r] * up;
            }
        }
        chunk.copy_from_slice(&v);
    }
    let at = i0 + full;
    for (&p, &up) in active.iter().zip(u) {
        let l = std::slice::from_raw_parts(cols.add(p * m + at), tail.len());
        for (xr, &lv) in tail.iter_mut().zip(l) {
            *xr -= lv * up;
        }
    }
}

/// A barrier for a handful of threads that spins briefly before yielding (the LU's passes
/// take tens of microseconds, less than a sleep and wake-up of `std::sync::Barrier`).
struct SpinBarrier {
    n: usize,
    arrived: std::sync::atomic::AtomicUsize,
    generation: std::sync::atomic::AtomicUsize,
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        SpinBarrier {
            n,
            arrived: std::sync::atomic::AtomicUsize::new(0),
            generation: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn wait(&self) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
        let gen = self.generation.load(Acquire);
        if self.arrived.fetch_add(1, AcqRel) + 1 == self.n {
            self.arrived.store(0, Relaxed);
            self.generation.fetch_add(1, Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Acquire) == gen {
            if spins < 1 << 12 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// How `getrf` turns a column into multipliers: `x * (1 / piv)`, or `x / piv` when the
/// pivot is so small that its reciprocal would overflow. `None` for a zero pivot (the
/// column is left as it is and no updates follow from it).
#[derive(Clone, Copy)]
enum Multiplier {
    Reciprocal(f64),
    Divide(f64),
}

impl Multiplier {
    fn of(piv: f64) -> Option<Self> {
        if piv == 0.0 {
            None
        } else if piv.abs() >= f64::MIN_POSITIVE {
            Some(Multiplier::Reciprocal(1.0 / piv))
        } else {
            Some(Multiplier::Divide(piv))
        }
    }
    #[inline]
    fn apply(self, x: f64) -> f64 {
        match self {
            Multiplier::Reciprocal(r) => x * r,
            Multiplier::Divide(p) => x / p,
        }
    }
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
    /// Extra random vectors `p` (the sketch has `k + p` columns). Default 10.
    pub fn n_oversamples(mut self, p: usize) -> Self {
        self.n_oversamples = p;
        self
    }
    /// Power iterations; `None` = 7 if `k < 0.1 min(m, n)`, else 4.
    pub fn n_iter(mut self, n_iter: Option<usize>) -> Self {
        self.n_iter = n_iter;
        self
    }
    /// Normalizer used between power iterations.
    pub fn normalizer(mut self, normalizer: PowerIterationNormalizer) -> Self {
        self.normalizer = normalizer;
        self
    }
    /// Run on `Aᵀ`; `None` = transpose when `A` has fewer rows than columns.
    pub fn transpose(mut self, transpose: Option<bool>) -> Self {
        self.transpose = transpose;
        self
    }
    /// Apply the sign convention of the module docs (default `true`).
    pub fn flip_sign(mut self, flip: bool) -> Self {
        self.flip_sign = flip;
        self
    }
    /// Seed of the Gaussian test matrix; `None` draws one from the clock.
    pub fn random_state(mut self, seed: Option<u32>) -> Self {
        self.random_state = seed;
        self
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn lu_permute_l_small() {
        // scipy.linalg.lu(a, permute_l=True)[0] for this a:
        // pivot row 1 (|3| > |1|) then row 2 (|-4/3 ...|)
        let a = array![[1.0, 2.0], [3.0, 4.0], [-2.0, 7.0]];
        let pl = lu_normalize(&a);
        // P L U must reproduce a, with U = first rows after elimination
        // Check: column 0 of PL is a[:,0] / 3, pivot row has 1, L below-diag bounded by 1.
        assert_eq!(pl[[1, 0]], 1.0);
        assert!((pl[[0, 0]] - 1.0 / 3.0).abs() < 1e-15);
        assert!((pl[[2, 0]] + 2.0 / 3.0).abs() < 1e-15);
        // second pivot: rows 0 and 2 after elimination: 2 - 4/3 = 2/3 ; 7 + 8/3 = 29/3 -> row 2
        assert_eq!(pl[[2, 1]], 1.0);
        assert_eq!(pl[[1, 1]], 0.0);
        assert!((pl[[0, 1]] - (2.0 / 3.0) / (29.0 / 3.0)).abs() < 1e-15);
    }

    /// Textbook column-by-column partial-pivot elimination (what `getf2` does), giving
    /// `P·L` with `P·L[perm[i], ..] = L[i, ..]`.
    fn lu_reference(a: &Array2<f64>) -> Array2<f64> {
        let (m, n) = a.dim();
        let kmin = m.min(n);
        let mut w = a.clone();
        let mut perm: Vec<usize> = (0..m).collect();
        for j in 0..kmin {
            let mut p = j;
            for i in j + 1..m {
                if w[[i, j]].abs() > w[[p, j]].abs() {
                    p = i;
                }
            }
            for c in 0..n {
                w.swap([j, c], [p, c]);
            }
            perm.swap(j, p);
            let piv = w[[j, j]];
            if piv == 0.0 {
                continue;
            }
            for i in j + 1..m {
                w[[i, j]] *= 1.0 / piv;
                for c in j + 1..n {
                    let d = w[[i, j]] * w[[j, c]];
                    w[[i, c]] -= d;
                }
            }
        }
        let mut out = Array2::zeros((m, kmin));
        for (pos, &orig) in perm.iter().enumerate() {
            for c in 0..kmin.min(pos + 1) {
                out[[orig, c]] = if c == pos { 1.0 } else { w[[pos, c]] };
            }
        }
        out
    }

    #[test]
    fn lu_matches_textbook_elimination_bit_for_bit() {
        let mut rng = RandomState::new(3);
        for &(m, n) in &[(50, 7), (7, 50), (30, 30), (1, 4), (4, 1), (200, 15)] {
            let mut a = rng.standard_normal_matrix(m, n);
            if n > 2 {
                a.column_mut(1).fill(0.0); // a zero pivot column
            }
            if m > 3 {
                let r = a.row(0).to_owned();
                a.row_mut(3).assign(&r); // a tie for the first pivot
            }
            assert_eq!(lu_normalize(&a), lu_reference(&a), "{m} x {n}");
        }
        // Large enough for the threaded path; the thread count must not change a bit.
        let mut a = rng.standard_normal_matrix(3000, 15);
        a.column_mut(4).fill(0.0);
        a[[2500, 0]] = 9.0; // the first pivot lives in a later thread's rows
        a[[2900, 0]] = -9.0; // a tie: the first row must win
        let want = lu_reference(&a);
        for threads in 1..=4 {
            assert_eq!(lu_on_threads(a.view(), threads), want, "{threads} threads");
        }
        assert_eq!(want[[2500, 0]], 1.0);
    }

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
