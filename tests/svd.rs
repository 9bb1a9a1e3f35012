//! Thin SVD against SciPy on small seeded matrices (fixtures from tests/fixtures/make_svd.py).

use ndarray::{s, Array1, Array2};
use serde_json::Value;
use topicmod::rng::RandomState;
use topicmod::svd::{
    allclose, is_orthonormal_columns, is_orthonormal_rows, orthonormality_error,
    orthonormality_error_rows, reconstruction_error, svd,
};

mod common;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/svd/small.json");
    let text = std::fs::read_to_string(path).expect("tests/fixtures/svd/small.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn matrix(v: &Value, rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_vec((rows, cols), common::f64s(v)).expect("shape")
}

/// Sign that best aligns `ours` with `reference` (+1 or -1).
fn sign(ours: ndarray::ArrayView1<f64>, reference: ndarray::ArrayView1<f64>) -> f64 {
    if ours.dot(&reference) < 0.0 {
        -1.0
    } else {
        1.0
    }
}

#[test]
fn small_matrices_match_scipy() {
    let fx = fixture();
    let cases = fx["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    let mut flips = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let m = case["rows"].as_u64().unwrap() as usize;
        let n = case["cols"].as_u64().unwrap() as usize;
        let k = m.min(n);
        let seed = case["seed"].as_u64().unwrap() as u32;
        let deficient = case["rank_deficient"].as_bool().unwrap();

        // our RandomState reproduces NumPy's stream, so we rebuild the matrix from the seed
        let mut rs = RandomState::new(seed);
        let a = if deficient {
            let left = rs.standard_normal_matrix(m, 2);
            let right = rs.standard_normal_matrix(2, n);
            left.dot(&right)
        } else {
            rs.standard_normal_matrix(m, n)
        };
        let a_ref = matrix(&case["a"], m, n);
        assert!(
            allclose(&a, &a_ref, 1e-14, 1e-14),
            "{name}: matrix from seed"
        );

        let f = svd(&a).unwrap();
        let s_ref = Array1::from(common::f64s(&case["s"]));
        assert!(
            allclose(&f.s, &s_ref, 1e-12, 1e-14),
            "{name}: s {} vs {}",
            f.s,
            s_ref
        );
        assert!(reconstruction_error(&a, &f).unwrap() < 1e-13, "{name}");
        let ref_err = case["reconstruction_error"].as_f64().unwrap();
        assert!(ref_err < 1e-13, "{name}: scipy's own error {ref_err}");
        assert!(orthonormality_error(&f.u) < 1e-14, "{name}: U");
        assert!(orthonormality_error_rows(&f.vt) < 1e-14, "{name}: Vt");

        // singular vectors are unique (up to sign) only for distinct, non-zero singular values
        let unique = if deficient { 2 } else { k };
        let u_ref = matrix(&case["u"], m, k);
        let vt_ref = matrix(&case["vt"], k, n);
        for j in 0..unique {
            let sg = sign(f.u.column(j), u_ref.column(j));
            if sg < 0.0 {
                flips += 1;
            }
            let u_j = f.u.column(j).mapv(|x| x * sg);
            let v_j = f.vt.row(j).mapv(|x| x * sg);
            assert!(
                allclose(&u_j, &u_ref.column(j), 1e-10, 1e-12),
                "{name}: U[:, {j}]"
            );
            assert!(
                allclose(&v_j, &vt_ref.row(j), 1e-10, 1e-12),
                "{name}: Vt[{j}]"
            );
        }
        if deficient {
            // the null-space part is arbitrary, but the two real components still rebuild A
            let t = f.truncate(2).unwrap();
            assert!(reconstruction_error(&a, &t).unwrap() < 1e-13);
            assert!(f.s.slice(s![2..]).iter().all(|&v| v < 1e-14));
        }
    }
    // Same LAPACK family as SciPy, called on the same column-major matrix: same signs.
    assert_eq!(
        flips, 0,
        "singular vectors came out with signs other than SciPy's"
    );
}

#[test]
fn orthonormal_checks_reject_a_perturbed_basis() {
    let mut rs = RandomState::new(11);
    let a = rs.standard_normal_matrix(8, 5);
    let f = svd(&a).unwrap();
    assert!(is_orthonormal_columns(&f.u, 1e-13));
    assert!(is_orthonormal_rows(&f.vt, 1e-13));
    let mut u = f.u.clone();
    u[[0, 0]] += 1e-6;
    assert!(!is_orthonormal_columns(&u, 1e-9));
    assert!(orthonormality_error(&u) > 1e-7);
    // U has 8 rows in 5 dimensions: its rows are not orthonormal
    assert!(!is_orthonormal_rows(&f.u, 0.1));
}
