//! `MiniBatchNmf` against scikit-learn 1.9.1's `MiniBatchNMF` (fixtures from
//! `tests/fixtures/make_minibatch_nmf.py`): the lesson's count and TF-IDF matrices, built by
//! the crate's own pipeline from the real corpus (set `TOPICMOD_DATA`; without it these
//! tests fail, they never skip), and small seeded matrices with all-zero rows and columns,
//! for every init, several batch sizes, fresh restarts, penalties, the other β losses, the
//! stopping rules, `transform` and `partial_fit` sequences. Then every error path.

mod common;

use std::sync::OnceLock;

use common::{f64s, f64s_or_reprs, matrix, usizes};
use ndarray::{Array2, Axis};
use serde_json::Value;
use topicmod::corpus::{fetch_20newsgroups, FetchOptions, Remove, Subset};
use topicmod::linop::dense_to_csr;
use topicmod::nmf::{AlphaH, BetaLoss, Init, MiniBatchNmf};
use topicmod::text::{CountVectorizer, HashingVectorizer, StopWords};
use topicmod::{Csr, DataMatrix, Error};

/// Largest relative difference to scikit-learn allowed for `W`, `H`, the error and
/// `transform`, and for every summary of them (relative to the largest magnitude of the
/// quantity compared).
///
/// Measured (`cargo test --test nmf_minibatch -- --nocapture` prints every case): at most
/// 4.8e-14 on the small matrices (dense and CSR) and 6.3e-13 on the lesson matrices (`H`
/// of `counts_b500_nndsvd`), over up to 1800 mini-batch steps, with the same `n_iter` and
/// `n_steps` in every case. The updates repeat NumPy's float64 operations; only the order
/// of some sums differs (BLAS and scipy.sparse against our kernels). 1e-10 leaves a margin
/// of 150 over the worst case and still fails every comparison when the forget factor is
/// moved by 1e-9 (checked by hand: 2.6e-10 to 2.3e-9), as
/// `a_perturbed_forget_factor_fails_the_comparison` shows for 1e-6. The step counts check
/// the stopping rules: 13 cases stop for lack of improvement and 3 on a small change of
/// `H`; weighting the smoothed cost by `rows / m` instead of `rows / (m + 1)`, or scaling
/// the change of `H` by 1.05, fails them (checked by hand).
const REL_TOL: f64 = 1e-10;

fn fixtures() -> &'static Value {
    static FX: OnceLock<Value> = OnceLock::new();
    FX.get_or_init(|| common::fixture_json("nmf/minibatch.json.gz"))
}

/// The lesson's count and TF-IDF matrices from `TOPICMOD_DATA` through the crate's own
/// corpus reader and vectorizers, checked against the matrices scikit-learn built.
fn lesson_matrices() -> &'static (Csr, Csr) {
    static M: OnceLock<(Csr, Csr)> = OnceLock::new();
    M.get_or_init(|| {
        let docs = common::lesson_train_docs();
        let (counts, _) = common::lesson_counts(&docs);
        let (tfidf, _) = common::lesson_tfidf(&docs);
        assert_eq!((counts.rows(), counts.cols()), (2034, 26576));
        let (sk_tfidf, sk_counts, _) = common::lesson_fixture();
        let dc = common::assert_same_csr_structure(&counts, &sk_counts, "counts");
        let dt = common::assert_same_csr_structure(&tfidf, &sk_tfidf, "tf-idf");
        assert!(dc == 0.0 && dt < 1e-12, "counts {dc:e}, tf-idf {dt:e}");
        (counts, tfidf)
    })
}

/// The other corpus (four newsgroups the lesson does not use), read from `TOPICMOD_DATA`
/// by the crate: its counts and its hashed rows (`HashingVectorizer` without signs, as
/// `topicmod stream` makes them), checked against the size, non-zeros and sums of the
/// matrices scikit-learn built from the same posts.
fn other_matrices() -> &'static (Csr, Csr) {
    static M: OnceLock<(Csr, Csr)> = OnceLock::new();
    M.get_or_init(|| {
        common::lesson_data_path();
        let info = &fixtures()["other_corpus"];
        let categories = common::strings(&info["categories"]);
        let data = fetch_20newsgroups(
            &FetchOptions::new()
                .subset(Subset::Train)
                .categories(&categories)
                .remove(Remove::ALL),
        )
        .expect("the other corpus from TOPICMOD_DATA");
        let counts = CountVectorizer::new()
            .stop_words(StopWords::English)
            .fit_transform(&data.data)
            .unwrap();
        let hashed = HashingVectorizer::new()
            .n_features(info["hash_features"].as_u64().unwrap() as usize)
            .alternate_sign(false)
            .stop_words(StopWords::English)
            .transform(&data.data)
            .unwrap();
        for (name, x) in [("other_counts", &counts), ("other_hashed", &hashed)] {
            let want = &info[name];
            assert_eq!(
                [x.rows(), x.cols()],
                [
                    want["shape"][0].as_u64().unwrap() as usize,
                    want["shape"][1].as_u64().unwrap() as usize
                ],
                "{name}"
            );
            assert_eq!(x.nnz() as u64, want["nnz"].as_u64().unwrap(), "{name}");
            let sum: f64 = x.data().iter().sum();
            let sum_sq: f64 = x.data().iter().map(|v| v * v).sum();
            for (got, key) in [(sum, "sum"), (sum_sq, "sum_sq")] {
                let want = want[key].as_f64().unwrap();
                assert!(
                    (got - want).abs() <= 1e-9 * want,
                    "{name} {key}: {got} vs {want}"
                );
            }
        }
        (counts, hashed)
    })
}

fn lesson_matrix(case: &Value) -> &'static Csr {
    let (counts, tfidf) = lesson_matrices();
    match case["matrix"].as_str().unwrap() {
        "counts" => counts,
        "tfidf" => tfidf,
        "other_counts" => &other_matrices().0,
        "other_hashed" => &other_matrices().1,
        other => panic!("unknown lesson matrix {other}"),
    }
}

fn small_matrix(name: &str) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = fixtures()["matrices"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(f64s_or_reprs)
        .collect();
    let (m, n) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((m, n), rows.concat()).unwrap()
}

fn model_of(p: &Value) -> MiniBatchNmf {
    let mut m = MiniBatchNmf::new(p["n_components"].as_u64().unwrap() as usize)
        .random_state(p["random_state"].as_u64().map(|s| s as u32));
    m = m.init(match p["init"].as_str() {
        Some("random") => Init::Random,
        Some("nndsvd") => Init::Nndsvd,
        Some("nndsvda") => Init::Nndsvda,
        Some("nndsvdar") => Init::Nndsvdar,
        _ => Init::Auto,
    });
    m = m.beta_loss(match &p["beta_loss"] {
        Value::String(s) if s == "kullback-leibler" => BetaLoss::KullbackLeibler,
        Value::String(s) if s == "itakura-saito" => BetaLoss::ItakuraSaito,
        Value::Number(b) => BetaLoss::Beta(b.as_f64().unwrap()),
        _ => BetaLoss::Frobenius,
    });
    let usize_of = |key: &str| p[key].as_u64().map(|v| v as usize);
    if let Some(b) = usize_of("batch_size") {
        m = m.batch_size(b);
    }
    if let Some(it) = usize_of("max_iter") {
        m = m.max_iter(it);
    }
    if let Some(it) = usize_of("fresh_restarts_max_iter") {
        m = m.fresh_restarts_max_iter(it);
    }
    if let Some(it) = usize_of("transform_max_iter") {
        m = m.transform_max_iter(Some(it));
    }
    if p.get("max_no_improvement").is_some() {
        m = m.max_no_improvement(usize_of("max_no_improvement"));
    }
    if let Some(t) = p["tol"].as_f64() {
        m = m.tol(t);
    }
    if let Some(a) = p["alpha_W"].as_f64() {
        m = m.alpha_w(a);
    }
    if let Some(a) = p["alpha_H"].as_f64() {
        m = m.alpha_h(AlphaH::Value(a));
    }
    if let Some(r) = p["l1_ratio"].as_f64() {
        m = m.l1_ratio(r);
    }
    if let Some(f) = p["forget_factor"].as_f64() {
        m = m.forget_factor(f);
    }
    if p["fresh_restarts"].as_bool() == Some(true) {
        m = m.fresh_restarts(true);
    }
    m
}

/// The largest absolute and relative differences over a group of compared numbers.
#[derive(Clone, Copy, Default, Debug)]
struct Diff {
    abs: f64,
    rel: f64,
}

impl Diff {
    /// `ours` against `theirs`; relative to the largest `|theirs|` of the group.
    fn of(ours: &[f64], theirs: &[f64]) -> Diff {
        assert_eq!(ours.len(), theirs.len(), "lengths differ");
        let abs = common::max_abs_diff(ours, theirs);
        let scale = theirs.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let rel = if scale > 0.0 { abs / scale } else { abs };
        Diff { abs, rel }
    }
    fn max(self, other: Diff) -> Diff {
        Diff {
            abs: self.abs.max(other.abs),
            rel: self.rel.max(other.rel),
        }
    }
}

fn flat(a: &Array2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

fn norm(a: &Array2<f64>) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// `((i * mult) % 101) / 101` for `i < size` (the fixture's fixed weights).
fn weights(size: usize, mult: usize) -> Vec<f64> {
    (0..size)
        .map(|i| ((i * mult) % 101) as f64 / 101.0)
        .collect()
}

/// `W` against the fixture's `W` or its summary (norm, column sums, sampled rows, weighted
/// sums of the rows).
fn diff_w(w: &Array2<f64>, fx: &Value) -> Diff {
    let mut d = Diff::of(&[norm(w)], &[fx["w_norm"].as_f64().unwrap()]);
    d = d.max(Diff::of(
        &w.sum_axis(Axis(0)).to_vec(),
        &f64s(&fx["w_col_sum"]),
    ));
    if fx.get("W").is_some() {
        return d.max(Diff::of(&flat(w), &flat(&matrix(&fx["W"]))));
    }
    let rows = usizes(&fx["w_rows"]);
    let ours: Vec<f64> = rows.iter().flat_map(|&i| w.row(i).to_vec()).collect();
    d = d.max(Diff::of(&ours, &flat(&matrix(&fx["w_at_rows"]))));
    for (p, mult) in [3, 17].into_iter().enumerate() {
        let r = ndarray::Array1::from(weights(w.nrows(), mult));
        d = d.max(Diff::of(&r.dot(w).to_vec(), &f64s(&fx["w_proj"][p])));
    }
    d
}

/// `H` against the fixture's `H` or its summary (norm, row sums, sampled columns, weighted
/// sums of the columns, the weights of each topic's top 8 words).
fn diff_h(h: &Array2<f64>, fx: &Value) -> Diff {
    let mut d = Diff::of(&[norm(h)], &[fx["h_norm"].as_f64().unwrap()]);
    d = d.max(Diff::of(
        &h.sum_axis(Axis(1)).to_vec(),
        &f64s(&fx["h_row_sum"]),
    ));
    if fx.get("H").is_some() {
        return d.max(Diff::of(&flat(h), &flat(&matrix(&fx["H"]))));
    }
    let cols = usizes(&fx["h_cols"]);
    let ours: Vec<f64> = (0..h.nrows())
        .flat_map(|t| cols.iter().map(move |&j| h[[t, j]]))
        .collect();
    d = d.max(Diff::of(&ours, &flat(&matrix(&fx["h_at_cols"]))));
    for (p, mult) in [3, 17].into_iter().enumerate() {
        let c = ndarray::Array1::from(weights(h.ncols(), mult));
        d = d.max(Diff::of(&h.dot(&c).to_vec(), &f64s(&fx["h_proj"][p])));
    }
    for (t, top) in fx["h_top"].as_array().unwrap().iter().enumerate() {
        // the top-8 weights agree (indices may swap among exactly tied weights)
        let ours: Vec<f64> = topicmod::topics::top_indices(h.row(t), 8)
            .iter()
            .map(|&j| h[[t, j]])
            .collect();
        let theirs: Vec<f64> = usizes(top).iter().map(|&j| h[[t, j]]).collect();
        d = d.max(Diff::of(&ours, &theirs));
    }
    d
}

/// Fits `case` on `x`, compares everything with scikit-learn's numbers, prints the
/// differences and asserts them. Returns the fitted model and the largest relative
/// difference.
fn check_fit<A: DataMatrix + ?Sized>(name: &str, case: &Value, x: &A) -> (MiniBatchNmf, f64) {
    let mut model = model_of(&case["params"]);
    let w = model.fit_transform(x).unwrap();
    let h = model.components().unwrap().clone();
    let err = model.reconstruction_err().unwrap();
    let (n_iter, n_steps) = (model.n_iter().unwrap(), model.n_steps().unwrap());
    let dw = diff_w(&w, case);
    let dh = diff_h(&h, case);
    let de = Diff::of(&[err], &[case["err"].as_f64().unwrap()]);
    let mut worst = dw.rel.max(dh.rel).max(de.rel);
    let mut line = format!(
        "{name}: W {:.1e} / {:.1e}, H {:.1e} / {:.1e}, err {:.1e} / {:.1e} (abs / rel); \
         n_iter {n_iter} (sklearn {}), n_steps {n_steps} (sklearn {})",
        dw.abs, dw.rel, dh.abs, dh.rel, de.abs, de.rel, case["n_iter"], case["n_steps"]
    );
    if let Some(tf) = case.get("transform") {
        let rows = case["transform_rows"].as_u64().unwrap() as usize;
        let wt = model.transform(&*first_rows(x, rows)).unwrap();
        let dt = diff_w(&wt, tf);
        worst = worst.max(dt.rel);
        line += &format!("; transform {:.1e} / {:.1e}", dt.abs, dt.rel);
    }
    println!("{line}");
    assert_eq!(
        n_steps as u64,
        case["n_steps"].as_u64().unwrap(),
        "{name}: n_steps"
    );
    assert_eq!(
        n_iter as u64,
        case["n_iter"].as_u64().unwrap(),
        "{name}: n_iter"
    );
    assert!(worst < REL_TOL, "{name}: relative difference {worst:.3e}");
    (model, worst)
}

/// Replays a `partial_fit` sequence (after a fit, if the case has one) and compares `H`
/// and `n_steps` after every call, then `transform`.
fn check_partial<A: DataMatrix + ?Sized>(name: &str, case: &Value, x: &A) -> f64 {
    let mut model = model_of(&case["params"]);
    if let Some(first) = case.get("fit_first") {
        let mut p = case["params"].clone();
        for (k, v) in first.as_object().unwrap() {
            p[k] = v.clone();
        }
        // (scikit-learn: set_params(**fit_first), fit, then the partial_fit calls, which
        // keep the fit's ρ whatever the batch size)
        model = model_of(&p);
        model.fit(x).unwrap();
        assert_eq!(
            model.n_steps().unwrap() as u64,
            case["fit_n_steps"].as_u64().unwrap(),
            "{name}: fit n_steps"
        );
    }
    let mut worst = Diff::default();
    let chunks = case["chunks"].as_array().unwrap();
    for (chunk, after) in chunks.iter().zip(case["after"].as_array().unwrap()) {
        let r = usizes(chunk);
        model.partial_fit(&*row_range(x, r[0], r[1])).unwrap();
        worst = worst.max(diff_h(model.components().unwrap(), after));
        assert_eq!(
            model.n_steps().unwrap() as u64,
            after["n_steps"].as_u64().unwrap(),
            "{name}: n_steps"
        );
    }
    let mut line = format!(
        "{name}: H after each of {} calls {:.1e} / {:.1e}",
        chunks.len(),
        worst.abs,
        worst.rel
    );
    if let Some(tf) = case.get("transform") {
        let rows = case["transform_rows"].as_u64().unwrap() as usize;
        let dt = diff_w(&model.transform(&*first_rows(x, rows)).unwrap(), tf);
        line += &format!("; transform {:.1e} / {:.1e}", dt.abs, dt.rel);
        worst = worst.max(dt);
    }
    println!("{line} (abs / rel)");
    assert!(
        worst.rel < REL_TOL,
        "{name}: relative difference {:.3e}",
        worst.rel
    );
    worst.rel
}

/// Rows `lo..hi` of a dense or CSR matrix, in the same storage.
fn row_range<A: DataMatrix + ?Sized>(x: &A, lo: usize, hi: usize) -> Box<dyn DataMatrix> {
    match x.as_csr() {
        Some(c) => {
            let ip = c.indptr();
            let ip = ip.raw_storage();
            let (a, b) = (ip[lo] - ip[0], ip[hi] - ip[0]);
            Box::new(Csr::new(
                (hi - lo, c.cols()),
                ip[lo..=hi].iter().map(|p| p - ip[lo]).collect(),
                c.indices()[a..b].to_vec(),
                c.data()[a..b].to_vec(),
            ))
        }
        None => Box::new(x.to_array().slice(ndarray::s![lo..hi, ..]).to_owned()),
    }
}

fn first_rows<A: DataMatrix + ?Sized>(x: &A, rows: usize) -> Box<dyn DataMatrix> {
    row_range(x, 0, rows)
}

fn lesson_case(name: &str) -> &'static Value {
    let case = &fixtures()["lesson"][name];
    assert!(case.is_object(), "no lesson case {name}");
    case
}

#[test]
fn lesson_counts_default_matches_scikit_learn() {
    let case = lesson_case("counts_default");
    let (model, _) = check_fit("counts_default", case, lesson_matrix(case));
    // The lesson's defaults: two batches (1024 + 1010 rows), all 200 passes.
    assert_eq!(
        (model.n_iter().unwrap(), model.n_steps().unwrap()),
        (200, 400)
    );
}

#[test]
fn lesson_counts_other_settings_match_scikit_learn() {
    for name in [
        "counts_b256_fresh",
        "counts_b500_nndsvd",
        "counts_b300_random",
    ] {
        let case = lesson_case(name);
        check_fit(name, case, lesson_matrix(case));
    }
}

#[test]
fn lesson_tfidf_matches_scikit_learn() {
    for name in ["tfidf_default", "tfidf_b128"] {
        let case = lesson_case(name);
        check_fit(name, case, lesson_matrix(case));
    }
}

#[test]
fn another_corpus_matches_scikit_learn() {
    // Counts of four other newsgroups, and their hashed rows fed to partial_fit in chunks of
    // 512 posts, the way `topicmod stream` fits a corpus.
    let case = lesson_case("other_counts");
    check_fit("other_counts", case, lesson_matrix(case));
    let case = lesson_case("other_hashed_stream");
    check_partial("other_hashed_stream", case, lesson_matrix(case));
}

#[test]
fn lesson_partial_fit_matches_scikit_learn() {
    let case = lesson_case("counts_partial");
    check_partial("counts_partial", case, lesson_matrix(case));
}

#[test]
fn small_matrices_match_scikit_learn_dense_and_sparse() {
    let mut worst = 0.0_f64;
    for (name, case) in fixtures()["small"].as_object().unwrap() {
        let x = small_matrix(case["matrix"].as_str().unwrap());
        worst = worst.max(check_fit(name, case, &x).1);
        worst = worst.max(check_fit(&format!("{name} (CSR)"), case, &dense_to_csr(&x)).1);
    }
    println!("small matrices: largest relative difference {worst:.2e}");
}

#[test]
fn small_partial_fit_sequences_match_scikit_learn() {
    let mut worst = 0.0_f64;
    for (name, case) in fixtures()["partial"].as_object().unwrap() {
        let x = small_matrix(case["matrix"].as_str().unwrap());
        worst = worst.max(check_partial(name, case, &x));
        worst = worst.max(check_partial(
            &format!("{name} (CSR)"),
            case,
            &dense_to_csr(&x),
        ));
    }
    println!("partial_fit: largest relative difference {worst:.2e}");
}

#[test]
fn a_perturbed_forget_factor_fails_the_comparison() {
    // The comparison is sharp enough to see a small change of the algorithm.
    let case = &fixtures()["small"]["s0_nndsvda_b16"];
    let x = small_matrix("s0");
    let mut model = model_of(&case["params"]).forget_factor(0.7 + 1e-6);
    let w = model.fit_transform(&x).unwrap();
    let d = diff_w(&w, case).max(diff_h(model.components().unwrap(), case));
    println!(
        "forget_factor 0.7 + 1e-6: relative difference {:.2e}",
        d.rel
    );
    assert!(d.rel > 1e3 * REL_TOL, "{:.2e}", d.rel);
}

#[test]
fn lesson_tests_need_the_real_corpus() {
    // Run one lesson test in a child process without TOPICMOD_DATA: it must fail and say
    // why, not pass or skip.
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "lesson_partial_fit_matches_scikit_learn",
            "--test-threads=1",
        ])
        .env_remove("TOPICMOD_DATA")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "passed without the corpus:\n{text}");
    assert!(text.contains("1 failed"), "{text}");
    assert!(text.contains("TOPICMOD_DATA"), "{text}");
}

fn tiny() -> Array2<f64> {
    ndarray::array![
        [1.0, 0.0, 2.0],
        [0.5, 3.0, 1.0],
        [0.0, 1.0, 0.5],
        [2.0, 0.2, 0.0]
    ]
}

fn is_param(r: Result<&mut MiniBatchNmf, Error>, name: &str) -> bool {
    matches!(r, Err(Error::InvalidParameter { name: n, .. }) if n == name)
}

#[test]
fn bad_parameters_are_errors() {
    let x = tiny();
    let cases: Vec<(MiniBatchNmf, &str)> = vec![
        (MiniBatchNmf::new(0), "n_components"),
        (MiniBatchNmf::new(2).batch_size(0), "batch_size"),
        (MiniBatchNmf::new(2).tol(-1e-4), "tol"),
        (MiniBatchNmf::new(2).tol(f64::NAN), "tol"),
        (
            MiniBatchNmf::new(2).max_no_improvement(Some(0)),
            "max_no_improvement",
        ),
        (MiniBatchNmf::new(2).max_iter(0), "max_iter"),
        (MiniBatchNmf::new(2).alpha_w(-0.1), "alpha_w"),
        (MiniBatchNmf::new(2).alpha_w(f64::NAN), "alpha_w"),
        (MiniBatchNmf::new(2).alpha_h(-0.1), "alpha_h"),
        (MiniBatchNmf::new(2).l1_ratio(1.5), "l1_ratio"),
        (MiniBatchNmf::new(2).l1_ratio(f64::NAN), "l1_ratio"),
        (MiniBatchNmf::new(2).forget_factor(0.0), "forget_factor"),
        (MiniBatchNmf::new(2).forget_factor(-0.5), "forget_factor"),
        (
            MiniBatchNmf::new(2).forget_factor(1.0 + 1e-12),
            "forget_factor",
        ),
        (
            MiniBatchNmf::new(2).forget_factor(f64::NAN),
            "forget_factor",
        ),
        (
            MiniBatchNmf::new(2).fresh_restarts_max_iter(0),
            "fresh_restarts_max_iter",
        ),
        (
            MiniBatchNmf::new(2).transform_max_iter(Some(0)),
            "transform_max_iter",
        ),
        (
            MiniBatchNmf::new(2).beta_loss(BetaLoss::Beta(f64::INFINITY)),
            "beta_loss",
        ),
        (
            MiniBatchNmf::new(2).beta_loss(BetaLoss::Beta(f64::NAN)),
            "beta_loss",
        ),
    ];
    for (model, name) in cases {
        assert!(is_param(model.clone().fit(&x), name), "fit: {name}");
        assert!(
            is_param(model.clone().partial_fit(&x), name),
            "partial_fit: {name}"
        );
        assert!(
            matches!(
                model.clone().fit_transform(&x),
                Err(Error::InvalidParameter { .. })
            ),
            "fit_transform: {name}"
        );
    }
    // the limits themselves are valid
    let ok = MiniBatchNmf::new(2)
        .random_state(Some(0))
        .forget_factor(1.0)
        .l1_ratio(1.0)
        .tol(0.0)
        .max_iter(2)
        .batch_size(1)
        .max_no_improvement(None);
    assert!(ok.clone().fit(&x).is_ok());
    assert!(ok.clone().partial_fit(&x).is_ok());
}

#[test]
fn bad_data_is_an_error() {
    let neg = ndarray::array![[1.0, -0.1], [0.5, 3.0]];
    let nan = ndarray::array![[1.0, f64::NAN], [0.5, 3.0]];
    let inf = ndarray::array![[1.0, f64::INFINITY], [0.5, 3.0]];
    let empty = Array2::<f64>::zeros((0, 3));
    for x in [&neg, &nan, &inf, &empty] {
        let sparse = dense_to_csr(x);
        for m in [MiniBatchNmf::new(1), MiniBatchNmf::new(1).batch_size(1)] {
            assert!(
                matches!(m.clone().fit(x), Err(Error::InvalidInput(_))),
                "{x:?}"
            );
            assert!(matches!(
                m.clone().fit(&sparse),
                Err(Error::InvalidInput(_))
            ));
            assert!(matches!(
                m.clone().partial_fit(x),
                Err(Error::InvalidInput(_))
            ));
            assert!(matches!(
                m.clone().partial_fit(&sparse),
                Err(Error::InvalidInput(_))
            ));
        }
    }
    // Itakura-Saito (β ≤ 0) cannot take zeros
    let x = tiny();
    for beta in [BetaLoss::ItakuraSaito, BetaLoss::Beta(-0.5)] {
        let m = MiniBatchNmf::new(2).beta_loss(beta);
        assert!(matches!(m.clone().fit(&x), Err(Error::InvalidInput(_))));
        assert!(matches!(
            m.clone().partial_fit(&x),
            Err(Error::InvalidInput(_))
        ));
        let mut fitted = m.clone().random_state(Some(0));
        fitted.fit(&x.mapv(|v| v + 0.1)).unwrap();
        assert!(matches!(fitted.transform(&x), Err(Error::InvalidInput(_))));
        assert!(matches!(
            fitted.partial_fit(&x),
            Err(Error::InvalidInput(_))
        ));
    }
    // NNDSVD needs k <= min(m, n); `Auto` falls back to random then
    for init in [Init::Nndsvd, Init::Nndsvda, Init::Nndsvdar] {
        assert!(matches!(
            MiniBatchNmf::new(4).init(init.clone()).fit(&x),
            Err(Error::InvalidRank { .. })
        ));
        assert!(matches!(
            MiniBatchNmf::new(4).init(init).partial_fit(&x),
            Err(Error::InvalidRank { .. })
        ));
    }
    assert!(MiniBatchNmf::new(4).random_state(Some(0)).fit(&x).is_ok());
    // custom starting factors of the wrong shape, negative, or all zero
    let custom = |w: Array2<f64>, h: Array2<f64>| MiniBatchNmf::new(2).init(Init::Custom { w, h });
    assert!(matches!(
        custom(Array2::ones((3, 2)), Array2::ones((2, 3))).fit(&x),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        custom(Array2::ones((4, 2)), Array2::ones((2, 4))).partial_fit(&x),
        Err(Error::ShapeMismatch(_))
    ));
    assert!(matches!(
        custom(-Array2::ones((4, 2)), Array2::ones((2, 3))).fit(&x),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        custom(Array2::ones((4, 2)), Array2::zeros((2, 3))).fit(&x),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn unfitted_and_mismatched_uses_are_errors() {
    let x = tiny();
    let m = MiniBatchNmf::new(2);
    assert!(matches!(m.components(), Err(Error::NotFitted(_))));
    assert!(matches!(m.reconstruction_err(), Err(Error::NotFitted(_))));
    assert!(matches!(m.n_iter(), Err(Error::NotFitted(_))));
    assert!(matches!(m.n_steps(), Err(Error::NotFitted(_))));
    assert!(matches!(m.transform(&x), Err(Error::NotFitted(_))));

    // partial_fit alone gives H and n_steps, not the fit's error or pass count
    let mut p = MiniBatchNmf::new(2).random_state(Some(0));
    p.partial_fit(&x).unwrap();
    assert_eq!(p.components().unwrap().dim(), (2, 3));
    assert_eq!(p.n_steps().unwrap(), 1);
    assert!(matches!(p.reconstruction_err(), Err(Error::NotFitted(_))));
    assert!(matches!(p.n_iter(), Err(Error::NotFitted(_))));

    // a failed call leaves the model as it was
    let h = p.components().unwrap().clone();
    let wide = ndarray::array![[1.0, 2.0, 0.0, 1.0]];
    assert!(matches!(p.partial_fit(&wide), Err(Error::ShapeMismatch(_))));
    assert!(matches!(
        p.partial_fit(&dense_to_csr(&wide)),
        Err(Error::ShapeMismatch(_))
    ));
    let neg = ndarray::array![[1.0, -2.0, 0.0]];
    assert!(matches!(p.partial_fit(&neg), Err(Error::InvalidInput(_))));
    assert!(matches!(p.transform(&wide), Err(Error::ShapeMismatch(_))));
    assert!(matches!(p.transform(&neg), Err(Error::InvalidInput(_))));
    assert_eq!(p.components().unwrap(), &h);
    assert_eq!(p.n_steps().unwrap(), 1);

    let mut f = MiniBatchNmf::new(2).random_state(Some(0));
    f.fit(&x).unwrap();
    assert!(matches!(
        f.transform(&dense_to_csr(&wide)),
        Err(Error::ShapeMismatch(_))
    ));
    let (err, n_iter) = (f.reconstruction_err().unwrap(), f.n_iter().unwrap());
    f.partial_fit(&x).unwrap();
    // (as in scikit-learn, partial_fit leaves the fit's error and pass count alone)
    assert_eq!(f.reconstruction_err().unwrap(), err);
    assert_eq!(f.n_iter().unwrap(), n_iter);
}

#[test]
fn custom_init_is_the_given_factors() {
    // Init::Custom with the factors NNDSVDa would give is the NNDSVDa fit.
    let x = small_matrix("s1");
    let (w, h) = topicmod::nmf::initialize(&x, 4, &Init::Nndsvda, Some(1)).unwrap();
    let base = MiniBatchNmf::new(4).batch_size(16).random_state(Some(1));
    let mut a = base.clone().init(Init::Nndsvda);
    let mut b = base.init(Init::Custom { w, h });
    assert_eq!(a.fit_transform(&x).unwrap(), b.fit_transform(&x).unwrap());
    assert_eq!(a.components().unwrap(), b.components().unwrap());
}

#[test]
fn verbose_fit_runs() {
    let x = small_matrix("s2");
    let mut m = MiniBatchNmf::new(3)
        .batch_size(20)
        .max_iter(3)
        .random_state(Some(0))
        .verbose(true);
    m.fit(&x).unwrap();
    assert!(m.n_steps().unwrap() <= 12);
}

#[test]
fn custom_factors_in_column_major_order_work() {
    let x = small_matrix("s0");
    let (w, h) = topicmod::nmf::initialize(&x, 3, &Init::Random, Some(2)).unwrap();
    let (wf, hf) = (
        w.t().as_standard_layout().into_owned().reversed_axes(),
        h.t().as_standard_layout().into_owned().reversed_axes(),
    );
    assert!(!hf.is_standard_layout());
    let base = MiniBatchNmf::new(3).batch_size(16).max_iter(20);
    let mut a = base.clone().init(Init::Custom { w, h });
    let mut b = base.init(Init::Custom { w: wf, h: hf });
    assert_eq!(a.fit_transform(&x).unwrap(), b.fit_transform(&x).unwrap());
    assert_eq!(a.components().unwrap(), b.components().unwrap());
    b.partial_fit(&x).unwrap();
}
