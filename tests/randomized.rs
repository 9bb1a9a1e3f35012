//! Randomized SVD against scikit-learn 1.9.1's `randomized_svd` (fixtures from
//! `tests/fixtures/make_randomized.py`) on the lesson's TF-IDF matrix.

mod common;

use common::{f64s, lesson_fixture, matrix, max_abs_diff, usizes};
use ndarray::Array2;
use serde_json::Value;
use topicmod::linop::dense_to_csr;
use topicmod::randomized::{
    lu_normalize, qr_orthonormalize, randomized_range_finder, randomized_svd,
    PowerIterationNormalizer, RandomizedSvd,
};
use topicmod::rng::RandomState;
use topicmod::svd::Svd;
use topicmod::{Csr, DataMatrix, Error};

fn fixtures() -> Value {
    common::fixture_json("randomized/cases.json.gz")
}

fn lesson_tfidf() -> (Csr, Vec<String>) {
    let (tfidf, _, vocab) = lesson_fixture();
    (tfidf, vocab)
}

/// Compares our factors with one stored scikit-learn case; returns the largest difference.
fn compare(svd: &Svd, case: &Value) -> f64 {
    let mut worst = max_abs_diff(svd.s.as_slice().unwrap(), &f64s(&case["s"]));
    let rows: Vec<usize> = usizes(&case["u_rows"]);
    let u_at = matrix(&case["u_at_rows"]);
    for (r, &i) in rows.iter().enumerate() {
        worst = worst.max(max_abs_diff(&svd.u.row(i).to_vec(), &u_at.row(r).to_vec()));
    }
    let cols: Vec<usize> = usizes(&case["vt_cols"]);
    let vt_at = matrix(&case["vt_at_cols"]);
    for (c, &j) in cols.iter().enumerate() {
        worst = worst.max(max_abs_diff(
            &svd.vt.column(j).to_vec(),
            &vt_at.column(c).to_vec(),
        ));
    }
    let col_sum: Vec<f64> = svd.u.sum_axis(ndarray::Axis(0)).to_vec();
    let col_abs: Vec<f64> = svd.u.mapv(f64::abs).sum_axis(ndarray::Axis(0)).to_vec();
    let row_sum: Vec<f64> = svd.vt.sum_axis(ndarray::Axis(1)).to_vec();
    let row_abs: Vec<f64> = svd.vt.mapv(f64::abs).sum_axis(ndarray::Axis(1)).to_vec();
    worst = worst.max(max_abs_diff(&col_sum, &f64s(&case["u_col_sum"])));
    worst = worst.max(max_abs_diff(&col_abs, &f64s(&case["u_col_abs_sum"])));
    worst = worst.max(max_abs_diff(&row_sum, &f64s(&case["vt_row_sum"])));
    worst = worst.max(max_abs_diff(&row_abs, &f64s(&case["vt_row_abs_sum"])));
    worst
}

fn frob_err_sparse(x: &Csr, svd: &Svd) -> f64 {
    // ||X - U S Vt||^2 = ||X||^2 - 2 tr(S U^T X V) + ||S||^2 (U, V orthonormal columns)
    let us = &svd.u * &svd.s;
    let xv = x.matmul(&svd.vt.t()); // m x k
    let cross: f64 = (&us * &xv).sum();
    let usv_sq: f64 = us.t().dot(&us).dot(&svd.vt.dot(&svd.vt.t())).diag().sum();
    (x.sum_sq() - 2.0 * cross + usv_sq).max(0.0).sqrt()
}

use topicmod::LinearOperator;

fn normalizer_of(case: &Value) -> PowerIterationNormalizer {
    match case["params"]["power_iteration_normalizer"].as_str() {
        Some("none") => PowerIterationNormalizer::None,
        Some("LU") => PowerIterationNormalizer::LU,
        Some("QR") => PowerIterationNormalizer::QR,
        _ => PowerIterationNormalizer::Auto,
    }
}

fn builder_of(case: &Value) -> RandomizedSvd {
    let p = &case["params"];
    let mut b = RandomizedSvd::new(case["k"].as_u64().unwrap() as usize)
        .random_state(Some(case["seed"].as_u64().unwrap() as u32))
        .normalizer(normalizer_of(case));
    if let Some(it) = p["n_iter"].as_str() {
        b = b.n_iter(Some(it.parse().unwrap()));
    }
    if let Some(t) = p["transpose"].as_str() {
        b = b.transpose(Some(t == "True"));
    }
    b
}

#[test]
fn lesson_tfidf_matches_exact_svd_and_topics() {
    let (x, vocab) = lesson_tfidf();
    let svd = randomized_svd(&x, 5, Some(1)).unwrap();
    let exact = [5.19203791, 3.54430061, 3.0736553, 2.85311835, 2.69921543];
    for (i, (&s, &e)) in svd.s.iter().zip(&exact).enumerate() {
        let rel = (s - e).abs() / e;
        println!("s[{i}] = {s:.8} (exact {e}, rel diff {rel:.2e})");
        // scikit-learn's defaults (10 oversamples, 7 power iterations) leave the 5th
        // value 2e-4 short of the exact one; the first four are within 1e-4.
        assert!(rel < if i < 4 { 1e-4 } else { 3e-4 });
    }
    // Three more power iterations bring all five within 1e-4.
    let better = RandomizedSvd::new(5)
        .n_iter(Some(10))
        .random_state(Some(1))
        .fit(&x)
        .unwrap();
    for (&s, &e) in better.s.iter().zip(&exact) {
        assert!((s - e).abs() / e < 1e-4, "{s} vs {e}");
    }
    let err = frob_err_sparse(&x, &svd);
    println!("||A - U S Vt||_F = {err:.4}");
    assert!((err - 43.70).abs() < 0.01);
    let topics = topicmod::topics::show_topics(&svd.vt, &vocab, 8).unwrap();
    println!("{topics:#?}");
    assert!(
        topics
            .iter()
            .any(|t| t.starts_with("space nasa launch shuttle")),
        "{topics:?}"
    );
    assert!(
        topics
            .iter()
            .any(|t| t.starts_with("ico bobbe tek") && t.contains("beauchaine")),
        "{topics:?}"
    );
}

#[test]
fn lesson_tfidf_matches_scikit_learn() {
    let fx = fixtures();
    let (x, _) = lesson_tfidf();
    let dense = x.to_array();
    let mut worst_all: f64 = 0.0;
    for (name, case) in fx["cases"].as_object().unwrap() {
        if !name.starts_with("tfidf") {
            continue;
        }
        let b = builder_of(case);
        let svd = if name.contains("dense") {
            b.fit(&dense)
        } else {
            b.fit(&x)
        }
        .unwrap();
        let worst = compare(&svd, case);
        println!("{name}: max |ours - sklearn| = {worst:.3e}");
        worst_all = worst_all.max(worst);
        assert!(worst < 1e-8, "{name}: {worst}");
    }
    println!("worst over lesson cases: {worst_all:.3e}");
}

#[test]
fn small_dense_matches_scikit_learn_both_orientations() {
    let fx = fixtures();
    let small = matrix(&fx["small"]);
    let sparse = dense_to_csr(&small);
    for (name, case) in fx["cases"].as_object().unwrap() {
        if !name.starts_with("small") {
            continue;
        }
        let b = builder_of(case);
        for svd in [b.fit(&small).unwrap(), b.fit(&sparse).unwrap()] {
            let worst = compare(&svd, case);
            println!("{name}: max |ours - sklearn| = {worst:.3e}");
            assert!(worst < 1e-10, "{name}: {worst}");
        }
    }
    // The range finder on its own (LU normalizer, 3 iterations, seed 11).
    let q = randomized_range_finder(
        &small,
        6,
        3,
        PowerIterationNormalizer::LU,
        &mut RandomState::new(11),
    )
    .unwrap();
    let expected = matrix(&fx["range_finder_small_LU"]);
    let d = max_abs_diff(
        q.as_slice().unwrap(),
        &expected
            .as_standard_layout()
            .to_owned()
            .into_raw_vec_and_offset()
            .0,
    );
    println!("range finder: max diff {d:.3e}");
    assert!(d < 1e-12);
}

#[test]
fn building_blocks() {
    let small = matrix(&fixtures()["small"]);
    let pl = lu_normalize(&small);
    assert_eq!(pl.dim(), (60, 25));
    // every column of P·L has a 1 (the pivot) and no entry above 1 in magnitude
    for c in pl.columns() {
        assert!(c.iter().any(|&v| v == 1.0));
        assert!(c.iter().all(|&v| v.abs() <= 1.0));
    }
    let q = qr_orthonormalize(&small).unwrap();
    let g = q.t().dot(&q) - Array2::<f64>::eye(25);
    assert!(g.iter().all(|v| v.abs() < 1e-12));
}

#[test]
fn bad_ranks_are_errors() {
    let a = Array2::<f64>::ones((5, 3));
    assert!(matches!(
        randomized_svd(&a, 0, Some(0)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        randomized_svd(&a, 4, Some(0)),
        Err(Error::InvalidRank { .. })
    ));
}
