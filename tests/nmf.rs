//! NMF against scikit-learn 1.9.1 (fixtures from `tests/fixtures/make_nmf.py`): the lesson's
//! TF-IDF and count matrices and a small seeded non-negative matrix, for every init, both
//! solvers, regularization, shuffling, other β losses and `transform`.

mod common;

use common::{f64s, lesson_fixture, matrix, max_abs_diff, usizes};
use ndarray::{Array2, Axis};
use serde_json::Value;
use topicmod::linop::dense_to_csr;
use topicmod::nmf::{AlphaH, BetaLoss, Init, Nmf, Solver};
use topicmod::{Csr, DataMatrix, Error};

fn fixtures() -> Value {
    common::fixture_json("nmf/cases.json.gz")
}

fn model_of(case: &Value) -> Nmf {
    let p = &case["params"];
    let mut m = Nmf::new(p["n_components"].as_u64().unwrap() as usize)
        .random_state(p["random_state"].as_u64().map(|s| s as u32));
    m = m.init(match p["init"].as_str() {
        Some("random") => Init::Random,
        Some("nndsvd") => Init::Nndsvd,
        Some("nndsvda") => Init::Nndsvda,
        Some("nndsvdar") => Init::Nndsvdar,
        _ => Init::Auto,
    });
    if p["solver"].as_str() == Some("mu") {
        m = m.solver(Solver::Mu);
    }
    m = m.beta_loss(match &p["beta_loss"] {
        Value::String(s) if s == "kullback-leibler" => BetaLoss::KullbackLeibler,
        Value::String(s) if s == "itakura-saito" => BetaLoss::ItakuraSaito,
        Value::Number(b) => BetaLoss::Beta(b.as_f64().unwrap()),
        _ => BetaLoss::Frobenius,
    });
    if let Some(a) = p["alpha_W"].as_f64() {
        m = m.alpha_w(a);
    }
    if let Some(a) = p["alpha_H"].as_f64() {
        m = m.alpha_h(AlphaH::Value(a));
    }
    if let Some(r) = p["l1_ratio"].as_f64() {
        m = m.l1_ratio(r);
    }
    if let Some(it) = p["max_iter"].as_u64() {
        m = m.max_iter(it as usize);
    }
    if p["shuffle"].as_bool() == Some(true) {
        m = m.shuffle(true);
    }
    m
}

/// Fits `case` on `x` and returns the largest difference to scikit-learn's numbers.
fn check<A: DataMatrix>(name: &str, case: &Value, x: &A, tol: f64) -> (Nmf, Array2<f64>) {
    let mut model = model_of(case);
    let w = model.fit_transform(x).unwrap();
    let h = model.components().unwrap().clone();
    let err = model.reconstruction_err().unwrap();
    let n_iter = model.n_iter().unwrap();
    let mut worst = (err - case["err"].as_f64().unwrap()).abs();
    let norm = |a: &Array2<f64>| a.iter().map(|v| v * v).sum::<f64>().sqrt();
    worst = worst.max((norm(&w) - case["w_norm"].as_f64().unwrap()).abs());
    worst = worst.max((norm(&h) - case["h_norm"].as_f64().unwrap()).abs());
    worst = worst.max(max_abs_diff(
        &w.sum_axis(Axis(0)).to_vec(),
        &f64s(&case["w_col_sum"]),
    ));
    worst = worst.max(max_abs_diff(
        &h.sum_axis(Axis(1)).to_vec(),
        &f64s(&case["h_row_sum"]),
    ));
    if case.get("W").is_some() {
        let (ws, hs) = (matrix(&case["W"]), matrix(&case["H"]));
        worst = worst.max(max_abs_diff(
            &w.iter().copied().collect::<Vec<_>>(),
            &ws.iter().copied().collect::<Vec<_>>(),
        ));
        worst = worst.max(max_abs_diff(
            &h.iter().copied().collect::<Vec<_>>(),
            &hs.iter().copied().collect::<Vec<_>>(),
        ));
    } else {
        let wr = matrix(&case["w_at_rows"]);
        for (r, &i) in usizes(&case["w_rows"]).iter().enumerate() {
            worst = worst.max(max_abs_diff(&w.row(i).to_vec(), &wr.row(r).to_vec()));
        }
        let hc = matrix(&case["h_at_cols"]);
        for (c, &j) in usizes(&case["h_cols"]).iter().enumerate() {
            worst = worst.max(max_abs_diff(&h.column(j).to_vec(), &hc.column(c).to_vec()));
        }
        for (t, top) in case["h_top"].as_array().unwrap().iter().enumerate() {
            // the top-8 weights agree (indices can swap among exactly tied weights)
            let ours: Vec<f64> = topicmod::topics::top_indices(h.row(t), 8)
                .iter()
                .map(|&j| h[[t, j]])
                .collect();
            let theirs: Vec<f64> = usizes(top).iter().map(|&j| h[[t, j]]).collect();
            worst = worst.max(max_abs_diff(&ours, &theirs));
        }
    }
    println!(
        "{name}: err {err:.12} (sklearn {:.12}), n_iter {n_iter} (sklearn {}), max |diff| {worst:.2e}",
        case["err"].as_f64().unwrap(),
        case["n_iter"]
    );
    assert_eq!(
        n_iter as u64,
        case["n_iter"].as_u64().unwrap(),
        "{name}: n_iter"
    );
    assert!(worst < tol, "{name}: max diff {worst:.3e}");
    (model, w)
}

fn check_transform<A: DataMatrix>(name: &str, case: &Value, model: &Nmf, x: &A, tol: f64) {
    let wt = model.transform(x).unwrap();
    let mut worst = max_abs_diff(
        &wt.sum_axis(Axis(0)).to_vec(),
        &f64s(&case["transform_col_sum"]),
    );
    let first = matrix(&case["transform_first_rows"]);
    for r in 0..first.nrows() {
        worst = worst.max(max_abs_diff(&wt.row(r).to_vec(), &first.row(r).to_vec()));
    }
    println!("{name}: transform max |diff| {worst:.2e}");
    assert!(worst < tol, "{name} transform: {worst:.3e}");
}

fn top_rows(x: &Csr, rows: usize) -> Csr {
    let d = x.to_array();
    dense_to_csr(&d.slice(ndarray::s![..rows, ..]).to_owned())
}

#[test]
fn lesson_tfidf_nndsvd_matches_scikit_learn() {
    let fx = fixtures();
    let (tfidf, _, vocab) = lesson_fixture();
    let case = &fx["cases"]["tfidf_nndsvd"];
    let (model, _) = check("tfidf_nndsvd", case, &tfidf, 1e-8);
    let err = model.reconstruction_err().unwrap();
    println!(
        "lesson NMF: reconstruction error {err:.12}, n_iter {}",
        model.n_iter().unwrap()
    );
    assert!((err - 43.712926057952).abs() < 1e-8);
    assert_eq!(model.n_iter().unwrap(), 33);
    assert!(model.converged().unwrap());
    let topics = topicmod::topics::show_topics(model.components().unwrap(), &vocab, 8).unwrap();
    println!("{topics:#?}");
    check_transform("tfidf_nndsvd", case, &model, &top_rows(&tfidf, 50), 1e-8);
}

#[test]
fn lesson_other_settings_match_scikit_learn() {
    let fx = fixtures();
    let (tfidf, counts, vocab) = lesson_fixture();
    check("tfidf_default", &fx["cases"]["tfidf_default"], &tfidf, 1e-8);
    check(
        "tfidf_mu_nndsvda",
        &fx["cases"]["tfidf_mu_nndsvda"],
        &tfidf,
        1e-8,
    );
    let (model, _) = check(
        "counts_nndsvd",
        &fx["cases"]["counts_nndsvd"],
        &counts,
        1e-9,
    );
    let topics = topicmod::topics::show_topics(model.components().unwrap(), &vocab, 8).unwrap();
    println!("{topics:#?}");
    assert!(
        topics
            .iter()
            .any(|t| t == "jpeg image gif file color images format quality"),
        "{topics:?}"
    );
}

#[test]
fn small_matrix_matches_scikit_learn() {
    let fx = fixtures();
    let small = matrix(&fx["small"]);
    let sparse = dense_to_csr(&small);
    for (name, case) in fx["cases"].as_object().unwrap() {
        if !name.starts_with("small") {
            continue;
        }
        let (model, _) = check(name, case, &small, 1e-8);
        if case.get("transform_rows").is_some() {
            let rows = small.slice(ndarray::s![..10, ..]).to_owned();
            check_transform(name, case, &model, &rows, 1e-8);
        }
        // the same fit from sparse storage
        check(&format!("{name} (sparse)"), case, &sparse, 1e-8);
    }
}

#[test]
fn bad_input_is_an_error() {
    let x = ndarray::array![[1.0, 0.0, 2.0], [0.5, 3.0, 1.0]];
    let neg = ndarray::array![[1.0, -0.1], [0.5, 3.0]];
    assert!(matches!(Nmf::new(1).fit(&neg), Err(Error::InvalidInput(_))));
    assert!(matches!(
        Nmf::new(1).fit(&dense_to_csr(&neg)),
        Err(Error::InvalidInput(_))
    ));
    let nan = ndarray::array![[1.0, f64::NAN], [0.5, 3.0]];
    assert!(matches!(Nmf::new(1).fit(&nan), Err(Error::InvalidInput(_))));
    assert!(matches!(
        Nmf::new(0).fit(&x),
        Err(Error::InvalidParameter { .. })
    ));
    for init in [Init::Nndsvd, Init::Nndsvda, Init::Nndsvdar] {
        assert!(matches!(
            Nmf::new(3).init(init).fit(&x),
            Err(Error::InvalidRank { .. })
        ));
    }
    // Auto falls back to random init when k > min(m, n)
    assert!(Nmf::new(3).random_state(Some(0)).fit(&x).is_ok());
    let mut m = Nmf::new(1).random_state(Some(0));
    m.fit(&x).unwrap();
    assert!(matches!(
        m.transform(&ndarray::array![[1.0, 2.0]]),
        Err(Error::ShapeMismatch(_))
    ));
    let bad_custom = Init::Custom {
        w: Array2::zeros((2, 1)),
        h: Array2::ones((1, 3)),
    };
    assert!(matches!(
        Nmf::new(1).init(bad_custom).fit(&x),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn max_iter_reports_non_convergence() {
    let fx = fixtures();
    let small = matrix(&fx["small"]);
    let mut m = Nmf::new(4)
        .init(Init::Random)
        .random_state(Some(0))
        .max_iter(5);
    m.fit(&small).unwrap();
    assert_eq!(m.n_iter().unwrap(), 5);
    assert!(!m.converged().unwrap());
    assert!(m
        .convergence_warning()
        .unwrap()
        .unwrap()
        .contains("Maximum number of iterations 5"));
    // custom init from a previous fit continues it
    let w = m.transform(&small).unwrap();
    let h = m.components().unwrap().clone();
    let mut c = Nmf::new(4)
        .init(Init::Custom {
            w: w.mapv(|v| v + 0.01),
            h,
        })
        .max_iter(500);
    c.fit(&small).unwrap();
    assert!(c.reconstruction_err().unwrap() < 15.4);
}

/// NNDSVD with one component starts at the best rank-1 fit, so the first sweep's
/// violation is rounding noise (about 2e-15 here). scikit-learn stopped after 4 sweeps when
/// that noise reached exact zeros; on another CPU's rounding it may take more or never stop.
/// The crate calls a first violation within 4 k ε of the gradients' size zero and stops at
/// once, with scikit-learn's factors and error (fixture: make_nmf_noise_start.py).
#[test]
fn a_start_at_the_optimum_stops_at_once() {
    let fx = common::fixture_json("nmf/noise_start.json.gz");
    let mut x = Array2::<f64>::zeros((7, 11));
    for e in fx["entries"].as_array().unwrap() {
        let (i, j) = (
            e[0].as_u64().unwrap() as usize,
            e[1].as_u64().unwrap() as usize,
        );
        x[[i, j]] = e[2].as_str().unwrap().parse().unwrap();
    }
    let mut model = Nmf::new(1)
        .init(Init::Nndsvd)
        .solver(Solver::Cd)
        .l1_ratio(0.5)
        .max_iter(1000)
        .random_state(Some(415));
    let w = model.fit_transform(&x).unwrap();
    let n_iter = model.n_iter().unwrap();
    let sk_iter = fx["n_iter"].as_u64().unwrap() as usize;
    assert!(
        n_iter <= sk_iter,
        "ran {n_iter} sweeps, scikit-learn {sk_iter}"
    );
    assert!(model.converged().unwrap());
    let err = model.reconstruction_err().unwrap();
    let sk_err = fx["err"].as_f64().unwrap();
    assert!((err - sk_err).abs() <= 1e-12 * sk_err, "{err} vs {sk_err}");
    let dw = max_abs_diff(
        w.as_slice().unwrap(),
        &matrix(&fx["W"]).into_raw_vec_and_offset().0,
    );
    let h = model.components().unwrap();
    let dh = max_abs_diff(
        h.as_standard_layout().as_slice().unwrap(),
        &matrix(&fx["H"]).into_raw_vec_and_offset().0,
    );
    assert!(dw < 1e-12 && dh < 1e-12, "W {dw:e}, H {dh:e}");
    // The same data at a start that is not optimal still runs to its tolerance, as before.
    let mut from_random = Nmf::new(1)
        .init(Init::Random)
        .random_state(Some(415))
        .max_iter(1000);
    from_random.fit(&x).unwrap();
    assert!(from_random.n_iter().unwrap() > 1);
}

/// More components than the rank of `X`: the SVD pairs beyond the rank span the null
/// space, and a pair whose vectors are each of one sign has no part to keep. NNDSVD
/// used to divide 0 by 0 there (a NaN column of `W`, then a zero error); the pair adds
/// nothing instead. The expected figures are scikit-learn 1.9.1's for the same fit
/// (found by `scripts/differential`).
#[test]
fn nndsvd_with_more_components_than_the_rank_stays_finite() {
    let x = ndarray::array![[3.0, 0.0, 0.0], [0.0, 0.0, 0.0], [4.0, 3.0, 0.0]];
    let mut model = Nmf::new(3)
        .init(Init::Nndsvd)
        .solver(Solver::Cd)
        .max_iter(1)
        .random_state(Some(0));
    let w = model.fit_transform(&x).unwrap();
    let h = model.components().unwrap().to_owned();
    assert!(
        w.iter().chain(h.iter()).all(|v| v.is_finite()),
        "W {w}, H {h}"
    );
    let sk_w = ndarray::array![
        [0.8684345166582025, 1.4525960668845017, 0.0],
        [0.0, 0.0, 0.0],
        [2.08745678612929, 0.0, 0.0]
    ];
    let sk_h = ndarray::array![
        [1.9414736453886092, 1.225116163445183, 0.0],
        [0.9045579174535792, 0.0, 0.0],
        [0.0, 0.0, 0.0]
    ];
    let dw = (&w - &sk_w).mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b));
    let dh = (&h - &sk_h).mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b));
    assert!(dw < 1e-12 && dh < 1e-12, "W {dw:e}, H {dh:e}: W {w}, H {h}");
    let err = model.reconstruction_err().unwrap();
    assert!((err - 1.153538298663022).abs() < 1e-12, "error {err}");
}
