//! The LU normalizer's kernel: `P·L` of a partial-pivot LU of a tall block, threaded by rows.
//!
//! Left-looking elimination on a column-major working copy, the rows split between a few
//! threads that meet at a spin barrier after every column; each entry sees the operations
//! of the textbook loop in the same order, so the result is `getf2`'s bit for bit.

use ndarray::{Array2, ArrayView2};

/// [`super::lu_normalize`] with the rows split between `threads` threads (`>= 1`).
pub(super) fn lu_on_threads(a: ArrayView2<f64>, threads: usize) -> Array2<f64> {
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
pub(super) const LU_BLOCK: usize = 256;

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

#[cfg(test)]
mod tests {
    use super::super::lu_normalize;
    use super::*;
    use crate::rng::RandomState;
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
}
