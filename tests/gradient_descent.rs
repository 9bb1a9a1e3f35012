//! The lesson's gradient-descent NMF (`topicmod::gradient_descent`) against NumPy (fixtures
//! from tests/fixtures/make_gradient_descent.py), and the dense and sparse-aware back ends against each
//! other.
//!
//! Needs the 20 Newsgroups archive: `TOPICMOD_DATA=path/to/20news-bydate.tar.gz`.

mod common;

use std::sync::OnceLock;

use ndarray::{Array2, ArrayView2};
use serde_json::Value;
use topicmod::gradient_descent::{
    grads, penalty, penalty_column_min, positive_random_init, report, upd, GdData, GdParams,
    GradientDescent, Penalty, Report, LESSON_D, LESSON_LAM, LESSON_LR, LESSON_MU,
};
use topicmod::{Csr, Result};

fn fixture() -> &'static Value {
    static FIX: OnceLock<Value> = OnceLock::new();
    FIX.get_or_init(|| common::fixture_json("gradient_descent/numpy_runs.json.gz"))
}

/// The lesson's TF-IDF matrix (sparse and dense) and vocabulary, built once per test binary.
struct Lesson {
    csr: Csr,
    dense: Array2<f64>,
    vocab: Vec<String>,
}

fn lesson() -> &'static Lesson {
    static L: OnceLock<Lesson> = OnceLock::new();
    L.get_or_init(|| {
        let (csr, vocab) = common::lesson_tfidf(&common::lesson_train_docs());
        let dense = csr.to_dense();
        Lesson { csr, dense, vocab }
    })
}

fn mat(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).expect("matrix");
    let (r, c) = (rows.len(), rows.first().map_or(0, Vec::len));
    Array2::from_shape_vec((r, c), rows.into_iter().flatten().collect()).expect("rectangular")
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

/// `max |a - b| / max |b|`.
fn rel_err(a: &ArrayView2<f64>, b: &ArrayView2<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b.iter())
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// `(dW, dH)` with any [`GdParams`] (the column-minimum penalty too), for dense or sparse `M`.
fn grads_with<D: GdData + ?Sized>(
    m: &D,
    w: &Array2<f64>,
    h: &Array2<f64>,
    p: &GdParams,
) -> Result<(Array2<f64>, Array2<f64>)> {
    Ok(GradientDescent::new(m, w.clone(), h.clone(), *p)?.grads())
}

/// One step in place with any [`GdParams`].
fn upd_with<D: GdData + ?Sized>(
    m: &D,
    w: &mut Array2<f64>,
    h: &mut Array2<f64>,
    p: &GdParams,
) -> Result<()> {
    let mut gd = GradientDescent::new(m, w.clone(), h.clone(), *p)?;
    gd.step();
    (*w, *h) = gd.into_factors();
    Ok(())
}

fn params(kind: &str) -> GdParams {
    let penalty = if kind == "original" {
        Penalty::ColumnMin
    } else {
        Penalty::Elementwise
    };
    GdParams::lesson().penalty(penalty)
}

#[test]
fn lesson_constants_match_the_fixture() {
    let fx = fixture();
    assert_eq!(fx["d"].as_u64(), Some(LESSON_D as u64));
    assert_eq!(
        (f(&fx["lam"]), f(&fx["lr"]), f(&fx["mu"])),
        (LESSON_LAM, LESSON_LR, LESSON_MU)
    );
}

#[test]
fn penalties_match_numpy_and_differ_from_each_other() {
    let s = &fixture()["small"];
    let mu = f(&s["mu"]);
    for name in ["W", "H"] {
        let a = mat(&s[name]);
        let intended = penalty(&a, mu);
        let original = penalty_column_min(&a, mu);
        // JSON numbers are read back to within an ulp or two
        let ei = mat(&s[format!("penalty_{name}_intended").as_str()]);
        let eo = mat(&s[format!("penalty_{name}_original").as_str()]);
        assert!(
            rel_err(&intended.view(), &ei.view()) < 1e-15,
            "{name}: intended penalty"
        );
        assert!(
            rel_err(&original.view(), &eo.view()) < 1e-15,
            "{name}: column-minimum penalty"
        );
        assert_ne!(
            intended, original,
            "the column-minimum quirk must change {name}'s penalty"
        );
    }
}

#[test]
fn small_grads_and_update_match_numpy() {
    let s = &fixture()["small"];
    let (m, w, h) = (mat(&s["M"]), mat(&s["W"]), mat(&s["H"]));
    let csr = topicmod::linop::dense_to_csr(&m);
    for kind in ["original", "intended"] {
        let p = params(kind).lam(f(&s["lam"])).mu(f(&s["mu"]));
        let (edw, edh) = (
            mat(&s[format!("dW_{kind}").as_str()]),
            mat(&s[format!("dH_{kind}").as_str()]),
        );
        let (dw, dh) = grads_with(&m, &w, &h, &p).unwrap();
        assert!(rel_err(&dw.view(), &edw.view()) < 1e-13, "{kind} dW");
        assert!(rel_err(&dh.view(), &edh.view()) < 1e-13, "{kind} dH");
        let (sw, sh) = grads_with(&csr, &w, &h, &p).unwrap();
        assert!(rel_err(&sw.view(), &edw.view()) < 1e-13, "{kind} sparse dW");
        assert!(rel_err(&sh.view(), &edh.view()) < 1e-13, "{kind} sparse dH");
        let (mut w1, mut h1) = (w.clone(), h.clone());
        upd_with(&m, &mut w1, &mut h1, &p).unwrap();
        let ew = mat(&s[format!("W_after_{kind}").as_str()]);
        let eh = mat(&s[format!("H_after_{kind}").as_str()]);
        assert!(
            rel_err(&w1.view(), &ew.view()) < 1e-13,
            "{kind} W after one step"
        );
        assert!(
            rel_err(&h1.view(), &eh.view()) < 1e-13,
            "{kind} H after one step"
        );
    }
    // the lesson's grads uses the intended penalty
    let (dw, _) = grads(&m, &w, &h, f(&s["lam"]), f(&s["mu"])).unwrap();
    assert!(rel_err(&dw.view(), &mat(&s["dW_intended"]).view()) < 1e-13);
    let (dw, _) = grads(&csr, &w, &h, f(&s["lam"]), f(&s["mu"])).unwrap();
    assert!(rel_err(&dw.view(), &mat(&s["dW_intended"]).view()) < 1e-13);
}

#[test]
fn lesson_matrix_and_init_match_numpy() {
    let fx = fixture();
    let l = lesson();
    assert_eq!(
        l.dense.dim(),
        (
            fx["m"].as_u64().unwrap() as usize,
            fx["n"].as_u64().unwrap() as usize
        )
    );
    assert_eq!(l.csr.nnz() as u64, fx["nnz"].as_u64().unwrap());
    let (m, n) = l.dense.dim();
    let (w, h) = positive_random_init(m, n, LESSON_D, fx["seed"].as_u64().unwrap() as u32).unwrap();
    let init = &fx["init"];
    // the same NumPy stream (JSON numbers are read back to within an ulp or two)
    assert!(rel_err(&w.slice(ndarray::s![..6, ..]), &mat(&init["w_head"]).view()) < 1e-15);
    assert!(rel_err(&h.slice(ndarray::s![.., ..6]), &mat(&init["h_head"]).view()) < 1e-15);
    assert!(rel(w.sum(), f(&init["w_sum"])) < 1e-12);
    assert!(rel(h.sum(), f(&init["h_sum"])) < 1e-12);
}

fn lesson_init() -> (Array2<f64>, Array2<f64>) {
    let fx = fixture();
    let (m, n) = lesson().dense.dim();
    positive_random_init(m, n, LESSON_D, fx["seed"].as_u64().unwrap() as u32).unwrap()
}

#[test]
fn lesson_grads_match_numpy_dense_and_sparse() {
    let l = lesson();
    let (w, h) = lesson_init();
    for kind in ["original", "intended"] {
        let g = &fixture()[format!("grads0_{kind}").as_str()];
        let p = params(kind);
        let (dw, dh) = grads_with(&l.dense, &w, &h, &p).unwrap();
        let (sw, sh) = grads_with(&l.csr, &w, &h, &p).unwrap();
        for (name, a, b) in [("dW", &dw, &sw), ("dH", &dh, &sh)] {
            let e_sum = f(&g[format!("{name}_sum").as_str()]);
            let e_sq = f(&g[format!("{name}_sumsq").as_str()]);
            assert!(
                rel(a.sum(), e_sum) < 1e-9,
                "{kind} dense {name} sum {} vs {e_sum}",
                a.sum()
            );
            assert!(
                rel(b.sum(), e_sum) < 1e-9,
                "{kind} sparse {name} sum {} vs {e_sum}",
                b.sum()
            );
            assert!(
                rel(a.iter().map(|x| x * x).sum(), e_sq) < 1e-9,
                "{kind} {name} sum of squares"
            );
            assert!(
                rel_err(&b.view(), &a.view()) < 1e-9,
                "{kind} {name}: dense vs sparse"
            );
        }
        let edw = mat(&g["dW_head"]);
        let edh = mat(&g["dH_head"]);
        assert!(
            rel_err(&dw.slice(ndarray::s![..6, ..]), &edw.view()) < 1e-9,
            "{kind} dW head"
        );
        assert!(
            rel_err(&dh.slice(ndarray::s![.., ..6]), &edh.view()) < 1e-9,
            "{kind} dH head"
        );
    }
}

/// Compares one report (and factor checksums) with NumPy's at the same step.
fn check_against_numpy(
    kind: &str,
    backend: &str,
    r: &Report,
    w: &Array2<f64>,
    h: &Array2<f64>,
    e: &Value,
) {
    let steps = e["steps"].as_u64().unwrap();
    let ctx = format!("{kind} {backend} after {steps} steps");
    println!("{ctx}: {r}");
    // The penalty step lr * lam = 10 magnifies rounding in entries that cross mu, so the
    // tolerances grow with the step count (measured after 51 steps: 3e-9 on the residual,
    // 3e-6 on min W, against 1e-13 after 11 steps).
    let (tol, rtol) = if steps <= 11 {
        (1e-9, 1e-11)
    } else {
        (1e-4, 1e-7)
    };
    assert!(
        rel(r.residual, f(&e["residual"])) < rtol,
        "{ctx}: residual {} vs {}",
        r.residual,
        e["residual"]
    );
    assert!(
        rel(r.w_min, f(&e["w_min"])) < tol,
        "{ctx}: w_min {} vs {}",
        r.w_min,
        e["w_min"]
    );
    assert!(
        rel(r.h_min, f(&e["h_min"])) < tol,
        "{ctx}: h_min {} vs {}",
        r.h_min,
        e["h_min"]
    );
    // after many steps an entry or two may sit within rounding of zero
    let slack = if steps <= 11 { 0 } else { 2 };
    let (ew, eh) = (
        e["w_negatives"].as_u64().unwrap(),
        e["h_negatives"].as_u64().unwrap(),
    );
    assert!(
        (r.w_negatives as u64).abs_diff(ew) <= slack,
        "{ctx}: {} negatives in W vs {ew}",
        r.w_negatives
    );
    assert!(
        (r.h_negatives as u64).abs_diff(eh) <= slack,
        "{ctx}: {} negatives in H vs {eh}",
        r.h_negatives
    );
    assert!(rel(w.sum(), f(&e["w_sum"])) < tol, "{ctx}: sum W");
    assert!(rel(h.sum(), f(&e["h_sum"])) < tol, "{ctx}: sum H");
    assert!(rel((h * h).sum(), f(&e["h_sumsq"])) < tol, "{ctx}: sum H^2");
}

fn follow_numpy_run<D: GdData + ?Sized>(
    data: &D,
    backend: &str,
    kind: &str,
    upto: u64,
) -> Array2<f64> {
    let (w, h) = lesson_init();
    let mut gd = GradientDescent::new(data, w, h, params(kind)).unwrap();
    for e in fixture()[format!("run_{kind}").as_str()]
        .as_array()
        .unwrap()
    {
        let steps = e["steps"].as_u64().unwrap();
        if steps > upto {
            break;
        }
        while (gd.steps() as u64) < steps {
            gd.step();
        }
        check_against_numpy(kind, backend, &gd.report(), gd.w(), gd.h(), e);
    }
    gd.into_factors().1
}

#[test]
fn dense_lesson_run_matches_numpy_original_penalty() {
    follow_numpy_run(&lesson().dense, "dense", "original", 11);
}

#[test]
fn dense_lesson_run_matches_numpy_intended_penalty() {
    follow_numpy_run(&lesson().dense, "dense", "intended", 3);
}

#[test]
fn sparse_lesson_runs_match_numpy_and_find_topics() {
    let l = lesson();
    for kind in ["original", "intended"] {
        let h = follow_numpy_run(&l.csr, "sparse", kind, 51);
        let topics = topicmod::topics::show_topics(&h, &l.vocab, 8).unwrap();
        println!("{kind} penalty, topics after 51 steps:");
        for t in &topics {
            println!("  {t}");
        }
        let expected: Vec<String> =
            serde_json::from_value(fixture()[format!("topics_{kind}").as_str()].clone()).unwrap();
        assert_eq!(topics, expected, "{kind}: NumPy's topics");
        let leads: Vec<&str> = topics
            .iter()
            .map(|t| t.split(' ').next().unwrap())
            .collect();
        assert!(
            leads.contains(&"space"),
            "a topic led by 'space': {topics:?}"
        );
        assert!(leads.contains(&"god"), "a topic led by 'god': {topics:?}");
    }
}

#[test]
fn dense_and_sparse_agree_over_steps() {
    let l = lesson();
    for kind in ["original", "intended"] {
        let p = params(kind);
        let (mut wd, mut hd) = lesson_init();
        let (mut ws, mut hs) = (wd.clone(), hd.clone());
        for step in 1..=2 {
            upd_with(&l.dense, &mut wd, &mut hd, &p).unwrap();
            upd_with(&l.csr, &mut ws, &mut hs, &p).unwrap();
            assert!(
                rel_err(&ws.view(), &wd.view()) < 1e-9,
                "{kind} W after {step}"
            );
            assert!(
                rel_err(&hs.view(), &hd.view()) < 1e-9,
                "{kind} H after {step}"
            );
            let (rd, rs) = (
                report(&l.dense, &wd, &hd).unwrap(),
                report(&l.csr, &ws, &hs).unwrap(),
            );
            assert!(
                rel(rs.residual, rd.residual) < 1e-9,
                "{kind} residual after {step}"
            );
            assert_eq!(
                (rs.w_negatives, rs.h_negatives),
                (rd.w_negatives, rd.h_negatives)
            );
            let (gd, gs) = (
                grads_with(&l.dense, &wd, &hd, &p).unwrap(),
                grads_with(&l.csr, &ws, &hs, &p).unwrap(),
            );
            assert!(
                rel_err(&gs.0.view(), &gd.0.view()) < 1e-9,
                "{kind} dW after {step}"
            );
            assert!(
                rel_err(&gs.1.view(), &gd.1.view()) < 1e-9,
                "{kind} dH after {step}"
            );
        }
    }
    // the lesson's functions: upd and report, on dense and on sparse M
    let (mut wd, mut hd) = lesson_init();
    let (mut ws, mut hs) = (wd.clone(), hd.clone());
    upd(&l.dense, &mut wd, &mut hd, LESSON_LR).unwrap();
    upd(&l.csr, &mut ws, &mut hs, LESSON_LR).unwrap();
    let (rd, rs) = (
        report(&l.dense, &wd, &hd).unwrap(),
        report(&l.csr, &ws, &hs).unwrap(),
    );
    let e = &fixture()["run_intended"][1];
    assert_eq!(e["steps"].as_u64(), Some(1));
    assert!(
        rel(rd.residual, f(&e["residual"])) < 1e-11 && rel(rs.residual, f(&e["residual"])) < 1e-11
    );
}

#[test]
fn wrong_shapes_are_errors_not_panics() {
    let l = lesson();
    let (w, h) = lesson_init();
    assert!(report(&l.dense, &h, &w).is_err());
    assert!(grads(&l.csr, &w.t(), &h, 1.0, 0.0).is_err());
    let mut w2 = w.slice(ndarray::s![1.., ..]).to_owned();
    let mut h2 = h.clone();
    assert!(upd(&l.csr, &mut w2, &mut h2, 0.01).is_err());
}
