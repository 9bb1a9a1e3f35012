//! Bench rows for the `kernels` group: each hand-written kernel against the library routine
//! that does the same job, both timed in this process at the lesson's sizes (counts
//! 2034 x 26576, k = 5, 10 and 15, the randomized block 26576 x 15). A row's reference is
//! the library's time, so its ratio below 1.0 means the kernel is faster.

use ndarray::{Array2, ShapeBuilder};
use ndarray_linalg::FactorizeInto;
use topicmod::linop::{csr_dot_dense, csr_t_dot_dense, gram};
use topicmod::nmf::online_update_for_bench;
use topicmod::randomized::lu_normalize;
use topicmod::rng::RandomState;
use topicmod::svd::transposed_copy;
use topicmod::{DataMatrix, Result};

use crate::{Ctx, Row};

/// Repetitions of each side (median taken); the two sides alternate so that a slow
/// moment of the machine hits both.
const REPS: usize = 21;

/// Median seconds of `ours` and of `library` over [`REPS`] alternating runs, after one
/// warm-up run of each.
fn median_pair(mut ours: impl FnMut(), mut library: impl FnMut()) -> (f64, f64) {
    ours();
    library();
    let (mut a, mut b) = (Vec::with_capacity(REPS), Vec::with_capacity(REPS));
    for _ in 0..REPS {
        let t = std::time::Instant::now();
        ours();
        a.push(t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        library();
        b.push(t.elapsed().as_secs_f64());
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(a), median(b))
}

pub fn run(ctx: &mut Ctx, rows: &mut Vec<Row>) -> Result<()> {
    let counts = ctx.counts()?.clone();
    let (m, n) = (counts.rows(), counts.cols());
    let mut rng = RandomState::new(0);

    // (a) P·L of the randomized block (n x 15, the shape the power iterations normalize).
    let y = rng.standard_normal_matrix(n, 15);
    let (ours, lib) = median_pair(
        || drop(std::hint::black_box(lu_normalize(&y))),
        || {
            let mut f = Array2::<f64>::zeros(y.dim().f());
            f.assign(&y);
            drop(std::hint::black_box(f.factorize_into()));
        },
    );
    rows.push(
        Row::against(
            format!("lu_normalize P·L of {n} x 15"),
            ours,
            "library: LAPACK dgetrf (ndarray-linalg factorize, no P·L)",
            lib,
        )
        // Both sides are LAPACK now: the row bounds what assembling P·L adds to dgetrf.
        .target(1.5),
    );

    // (b) the transposed copy that feeds dgesdd, and the one of the wide route (a
    // row-major copy of the matrix itself), against ndarray's copy plus a finiteness scan.
    let dense = counts.to_array();
    let library_copy = |x: ndarray::ArrayView2<f64>| {
        let t = x.t().as_standard_layout().into_owned();
        assert!(t.iter().all(|v| v.is_finite()));
        drop(std::hint::black_box(t));
    };
    let (ours, lib) = median_pair(
        || drop(std::hint::black_box(transposed_copy(dense.view()))),
        || library_copy(dense.view()),
    );
    rows.push(Row::against(
        format!("transposed copy of {m} x {n} (gesdd route)"),
        ours,
        "library: ndarray .t().as_standard_layout() + finite scan",
        lib,
    ));
    let (ours, lib) = median_pair(
        || drop(std::hint::black_box(transposed_copy(dense.t()))),
        || library_copy(dense.t()),
    );
    rows.push(Row::against(
        format!("row-major copy of {m} x {n} (wide route)"),
        ours,
        "library: ndarray .as_standard_layout() + finite scan",
        lib,
    ));

    // (c), (d) the sparse products of the power iterations.
    let at = counts.transpose_view();
    for k in [5, 10, 15] {
        let x = rng.standard_normal_matrix(n, k);
        let (ours, lib) = median_pair(
            || drop(std::hint::black_box(csr_dot_dense(&counts, &x.view()))),
            || drop(std::hint::black_box(&counts * &x)),
        );
        rows.push(Row::against(
            format!("csr_dot_dense A X, k={k}"),
            ours,
            "library: sprs &csr * &dense",
            lib,
        ));
        let z = rng.standard_normal_matrix(m, k);
        let (ours, lib) = median_pair(
            || drop(std::hint::black_box(csr_t_dot_dense(&counts, &z.view()))),
            || drop(std::hint::black_box(&at * &z)),
        );
        rows.push(Row::against(
            format!("csr_t_dot_dense Aᵀ Z, k={k}"),
            ours,
            "library: sprs &csr.transpose_view() * &dense",
            lib,
        ));
    }

    // (e) the Gram matrix AᵀA of a tall dense block (the factor updates' k x k products).
    for k in [5, 10] {
        let w = rng.standard_normal_matrix(n, k);
        let (ours, lib) = median_pair(
            || drop(std::hint::black_box(gram(w.view()))),
            || drop(std::hint::black_box(w.t().dot(&w))),
        );
        rows.push(Row::against(
            format!("gram AᵀA of {n} x {k}"),
            ours,
            "library: ndarray a.t().dot(&a) (BLAS dgemm)",
            lib,
        ));
    }
    // (f) MiniBatchNmf's online update of H (k x 26576, Frobenius so γ = 1, ρ = 0.9): the
    // fused one-pass kernel (with Hᵀ and HHᵀ refreshed) against the same job as whole-array
    // ndarray operations, a transposed copy and linop::gram.
    for k in [5usize, 10] {
        let draw = |rng: &mut RandomState| rng.standard_normal_matrix(k, n).mapv(f64::abs);
        let (h0, a0, b0) = (
            draw(&mut rng),
            draw(&mut rng),
            draw(&mut rng).mapv(|v| v + 1.0),
        );
        let (num, den) = (draw(&mut rng), draw(&mut rng));
        let step = |fused: bool| {
            let (mut h, mut a, mut b) = (h0.clone(), a0.clone(), b0.clone());
            let moved = if fused {
                online_update_for_bench(
                    (&mut h, &mut a, &mut b),
                    (num.view(), den.view()),
                    (0.9, 1.0),
                )
            } else {
                online_update_with_ndarray((&mut h, &mut a, &mut b), (&num, &den), (0.9, 1.0))
            };
            std::hint::black_box(moved);
        };
        let (ours, lib) = median_pair(|| step(true), || step(false));
        rows.push(Row::against(
            format!("MiniBatchNmf online H update, {k} x {n}"),
            ours,
            "library: ndarray operations + transposed copy + linop::gram",
            lib,
        ));
    }
    Ok(())
}

/// MiniBatchNmf's online update of `H` as whole-array ndarray operations, as scikit-learn
/// writes it in NumPy (`p = H^(1/γ)`, `A = A ρ + num p`, `B = B ρ + den`, `H = (A / B)^γ`,
/// the powers skipped when `γ = 1`), then the norms, the transposed copy and `linop::gram`
/// that the fused kernel also delivers; returns `‖H_new - H_old‖²`.
fn online_update_with_ndarray(
    (h, a, b): (&mut Array2<f64>, &mut Array2<f64>, &mut Array2<f64>),
    (num, den): (&Array2<f64>, &Array2<f64>),
    (rho, gamma): (f64, f64),
) -> f64 {
    let p = if gamma == 1.0 {
        h.clone()
    } else {
        h.mapv(|v| v.powf(1.0 / gamma))
    };
    *a *= rho;
    *a += &(num * &p);
    *b *= rho;
    *b += den;
    let mut new = &*a / &*b;
    if gamma != 1.0 {
        new.mapv_inplace(|v| v.powf(gamma));
    }
    let diff_sq = (&new - &*h).mapv(|d| d * d).sum();
    std::hint::black_box(new.mapv(|v| v * v).sum());
    let ht = new.t().as_standard_layout().into_owned();
    std::hint::black_box(gram(ht.view()));
    *h = new;
    diff_sq
}
