//! Differential test against scikit-learn: random NMF fits and text vectorizers drawn by
//! `tests/differential/cases.py`, run through the crate and compared with what scikit-learn
//! computed for the same inputs.
//!
//! By default it reads the committed fixed-seed sample
//! `tests/fixtures/differential/sample.json.gz`; `TOPICMOD_DIFFERENTIAL_CASES=FILE` reads
//! another case file (`scripts/differential` draws fresh ones). It prints
//! `N cases, M mismatches, T ties (max_features cut-off: a, noise-level start: b)` and fails
//! when M > 0. See docs/differential.md.
//!
//! What must agree:
//! * NMF: `W`, `H` within a relative `1e-9` of the largest entry of scikit-learn's matrix,
//!   the squared reconstruction error within a relative `1e-9` (see [`ERR_FLOOR`] for
//!   near-exact fits), the iteration count exactly, and an error wherever scikit-learn
//!   raised one.
//! * Text: the vocabulary, the matrix's structure and its counts exactly, tf-idf values and
//!   idf within a relative `1e-12`, an error wherever scikit-learn raised one.
//!
//! Two differences count as ties, not mismatches:
//! * max_features cut-off: terms whose totals tie at the cut-off are chosen by NumPy's
//!   unstable sort in scikit-learn (the choice varies with the CPU), alphabetically by the
//!   crate. The case then carries scikit-learn's output with the vocabulary fixed to the
//!   alphabetical choice, and the crate must match that exactly.
//! * noise-level start: coordinate descent whose first violation is within the crate's
//!   rounding-noise bound (`4 k ε` of the gradients' size, measured on scikit-learn's run)
//!   stops after one sweep here and may run more sweeps of noise in scikit-learn. Only the
//!   iteration count may then differ; `W`, `H` and the error must still agree.

use std::fmt::Write as _;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use ndarray::Array2;
use serde_json::Value;
use topicmod::nmf::{BetaLoss, Init, Nmf, Solver};
use topicmod::Csr;

mod common;
use common::vectorizer::Vectorizer;
use common::{f64s_or_reprs, strings, usizes};

/// Relative tolerance on NMF's `W`, `H` and error.
const NMF_RTOL: f64 = 1e-9;
/// Errors `e = sqrt(2 D)` are compared as `|e² - e'²| / max(e'², ERR_FLOOR S)`, `S` the size
/// of the loss's terms (`Σ x²` Frobenius, `Σ x` Kullback-Leibler, `m n` Itakura-Saito): a
/// near-exact fit's loss is rounding noise of a sum of terms that large (sparse Frobenius
/// input takes it as `‖X‖² + tr(WᵀW HHᵀ) - 2 tr(Wᵀ X Hᵀ)`, which cancels).
const ERR_FLOOR: f64 = 1e-4;
/// Relative tolerance on tf-idf values and idf.
const TFIDF_RTOL: f64 = 1e-12;

const SAMPLE: &str = "tests/fixtures/differential/sample.json.gz";
const ENV: &str = "TOPICMOD_DIFFERENTIAL_CASES";

enum Outcome {
    Agree,
    TieCutoff,
    TieNoise,
    Mismatch(String),
}

/// The largest relative differences seen in cases that agreed (for choosing tolerances).
#[derive(Default)]
struct Worst {
    /// W, H, error, tf-idf (values and idf): the difference and the case's id.
    seen: [(f64, String); 4],
    /// The case being run.
    id: String,
}

impl Worst {
    fn note(&mut self, what: usize, d: f64) {
        if d > self.seen[what].0 {
            self.seen[what] = (d, self.id.clone());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reading cases
// ---------------------------------------------------------------------------------------

fn case_file() -> PathBuf {
    match std::env::var_os(ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SAMPLE),
    }
}

fn read_cases(path: &PathBuf) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "differential case file {}: {e}. The committed sample is {SAMPLE} (written by \
             tests/differential/cases.py generate --seed 2026 --n 120); {ENV} names another",
            path.display()
        )
    });
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap_or_else(|e| panic!("{}: not gzip'd text: {e}", path.display()));
        s
    } else {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// A number written as a JSON number or as a Python float repr in a string (exact).
fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a float: {s}")),
        n => n.as_f64().unwrap_or_else(|| panic!("not a number: {n}")),
    }
}

/// `max |a - b| / max |b|` (or `max |a|` when `b` is all zeros); `inf` on a length or
/// NaN difference.
fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    let scale = b.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    let mut worst = 0.0f64;
    for (x, y) in a.iter().zip(b) {
        if x == y || (x.is_nan() && y.is_nan()) {
            continue;
        }
        let d = (x - y).abs();
        if d.is_nan() {
            return f64::INFINITY;
        }
        worst = worst.max(d);
    }
    if scale > 0.0 {
        worst / scale
    } else {
        worst
    }
}

// ---------------------------------------------------------------------------------------
// NMF
// ---------------------------------------------------------------------------------------

fn nmf_model(p: &Value) -> Nmf {
    let mut model = Nmf::new(p["n_components"].as_u64().unwrap() as usize)
        .init(match p["init"].as_str() {
            None => Init::Auto,
            Some("random") => Init::Random,
            Some("nndsvd") => Init::Nndsvd,
            Some("nndsvda") => Init::Nndsvda,
            Some("nndsvdar") => Init::Nndsvdar,
            Some(other) => panic!("init {other}"),
        })
        .solver(match p["solver"].as_str() {
            Some("cd") => Solver::Cd,
            Some("mu") => Solver::Mu,
            other => panic!("solver {other:?}"),
        })
        .beta_loss(match p["beta_loss"].as_str() {
            Some("frobenius") => BetaLoss::Frobenius,
            Some("kullback-leibler") => BetaLoss::KullbackLeibler,
            Some("itakura-saito") => BetaLoss::ItakuraSaito,
            other => panic!("beta_loss {other:?}"),
        })
        .tol(num(&p["tol"]))
        .max_iter(p["max_iter"].as_u64().unwrap() as usize)
        .alpha_w(num(&p["alpha_W"]))
        .l1_ratio(num(&p["l1_ratio"]))
        .shuffle(p["shuffle"].as_bool().unwrap())
        .random_state(Some(p["random_state"].as_u64().unwrap() as u32));
    if p["alpha_H"] != "same" {
        model = model.alpha_h(num(&p["alpha_H"]));
    }
    model
}

fn nmf_case(case: &Value, worst: &mut Worst) -> Outcome {
    let shape = usizes(&case["shape"]);
    let (m, n) = (shape[0], shape[1]);
    let x = Csr::new(
        (m, n),
        usizes(&case["X"]["indptr"]),
        usizes(&case["X"]["indices"]),
        f64s_or_reprs(&case["X"]["data"]),
    );
    let dense: Array2<f64> = x.to_dense();
    let loss_scale = match case["params"]["beta_loss"].as_str() {
        Some("frobenius") => dense.iter().map(|v| v * v).sum::<f64>(),
        Some("kullback-leibler") => dense.sum(),
        _ => (m * n) as f64,
    };
    let mut model = nmf_model(&case["params"]);
    let fitted = if case["sparse"].as_bool().unwrap() {
        model.fit_transform(&x)
    } else {
        model.fit_transform(&dense)
    };
    let expected = &case["expected"];
    let w = match (fitted, expected.get("error")) {
        (Err(_), Some(_)) => return Outcome::Agree,
        (Ok(_), Some(e)) => {
            return Outcome::Mismatch(format!("scikit-learn raised {e}, the crate fitted"))
        }
        (Err(e), None) => {
            return Outcome::Mismatch(format!("the crate returned an error: {e}"));
        }
        (Ok(w), None) => w,
    };
    let h = model.components().unwrap();
    let err = model.reconstruction_err().unwrap();
    let n_iter = model.n_iter().unwrap();

    let dw = rel_diff(
        &w.iter().copied().collect::<Vec<_>>(),
        &f64s_or_reprs(&expected["W"]),
    );
    let dh = rel_diff(
        &h.iter().copied().collect::<Vec<_>>(),
        &f64s_or_reprs(&expected["H"]),
    );
    let their_err = num(&expected["err"]);
    // scikit-learn's `2 D` before its square root: where a sparse Frobenius loss rounds
    // below zero its error is NaN, and the crate's is 0 (the square root of `max(2 D, 0)`).
    let their_sq = num(&expected["err_squared"]);
    let derr = (err * err - their_sq).abs()
        / their_sq
            .abs()
            .max(ERR_FLOOR * loss_scale)
            .max(f64::MIN_POSITIVE);
    let their_iter = expected["n_iter"].as_u64().unwrap() as usize;

    let mut problems = String::new();
    for (what, d) in [("W", dw), ("H", dh), ("error", derr)] {
        if d.is_nan() || d > NMF_RTOL {
            write!(problems, "{what} differs by {d:.3e} relative; ").unwrap();
        }
    }
    if problems.is_empty() {
        worst.note(0, dw);
        worst.note(1, dh);
        worst.note(2, derr);
    }
    if n_iter != their_iter {
        let noise = case["stop"]["noise_start"].as_bool().unwrap_or(false);
        if noise && n_iter == 1 && problems.is_empty() {
            return Outcome::TieNoise;
        }
        write!(
            problems,
            "n_iter {n_iter}, scikit-learn {their_iter} (noise-level start: {noise}); "
        )
        .unwrap();
    }
    if problems.is_empty() {
        Outcome::Agree
    } else {
        write!(
            problems,
            "error {err:e} vs {their_err:e}; X {m} x {n}, {} stored",
            x.nnz()
        )
        .unwrap();
        if m * n <= 64 {
            let flat = |a: &Array2<f64>| a.iter().copied().collect::<Vec<_>>();
            write!(
                problems,
                "\n    ours (row-major): W {:?}\n    H {:?}",
                flat(&w),
                flat(h)
            )
            .unwrap();
        }
        Outcome::Mismatch(problems)
    }
}

// ---------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------

/// What the crate produced: vocabulary, matrix, idf.
struct TextOutput {
    vocab: Vec<String>,
    x: Csr,
    idf: Option<Vec<f64>>,
}

fn vectorize(
    p: &Value,
    fit_docs: &[String],
    transform_docs: Option<&[String]>,
) -> topicmod::Result<TextOutput> {
    match Vectorizer::from_params(p) {
        Vectorizer::Count(mut v) => {
            let x = match transform_docs {
                None => v.fit_transform(fit_docs)?,
                Some(docs) => v.fit(fit_docs)?.transform(docs)?,
            };
            Ok(TextOutput {
                vocab: v.get_feature_names_out()?.to_vec(),
                x,
                idf: None,
            })
        }
        Vectorizer::Tfidf(mut v) => {
            let x = match transform_docs {
                None => v.fit_transform(fit_docs)?,
                Some(docs) => v.fit(fit_docs)?.transform(docs)?,
            };
            Ok(TextOutput {
                vocab: v.get_feature_names_out()?.to_vec(),
                x,
                idf: v.idf().ok().map(|a| a.to_vec()),
            })
        }
    }
}

/// The first difference between our output and scikit-learn's `expected`, if any.
fn text_difference(
    ours: &TextOutput,
    expected: &Value,
    tfidf: bool,
    worst: &mut Worst,
) -> Option<String> {
    let vocab = strings(&expected["vocab"]);
    if ours.vocab != vocab {
        return Some(format!(
            "vocabulary {:?}, scikit-learn {:?}",
            ours.vocab, vocab
        ));
    }
    let x = &ours.x;
    if vec![x.rows(), x.cols()] != usizes(&expected["shape"]) || !x.is_csr() {
        return Some(format!("shape {:?} vs {}", x.shape(), expected["shape"]));
    }
    if x.indptr().raw_storage() != usizes(&expected["indptr"]).as_slice() {
        return Some(format!(
            "indptr {:?} vs {}",
            x.indptr().raw_storage(),
            expected["indptr"]
        ));
    }
    if x.indices() != usizes(&expected["indices"]).as_slice() {
        return Some(format!(
            "indices {:?} vs {}",
            x.indices(),
            expected["indices"]
        ));
    }
    let data = f64s_or_reprs(&expected["data"]);
    for (k, (&a, &b)) in x.data().iter().zip(&data).enumerate() {
        let bad = if tfidf && a != b {
            let d = (a - b).abs() / b.abs();
            worst.note(3, d);
            d.is_nan() || d > TFIDF_RTOL
        } else {
            a != b
        };
        if bad {
            return Some(format!("entry {k}: {a:e}, scikit-learn {b:e}"));
        }
    }
    match (&ours.idf, &expected["idf"]) {
        (None, Value::Null) => None,
        (Some(a), b @ Value::Array(_)) => {
            let b = f64s_or_reprs(b);
            if a.len() != b.len() {
                return Some(format!("idf length {} vs {}", a.len(), b.len()));
            }
            a.iter().zip(&b).enumerate().find_map(|(j, (x, y))| {
                if x == y {
                    return None;
                }
                let d = (x - y).abs() / y.abs();
                worst.note(3, d);
                (d.is_nan() || d > TFIDF_RTOL)
                    .then(|| format!("idf[{j}] {x:e}, scikit-learn {y:e}"))
            })
        }
        (a, b) => Some(format!("idf {a:?} vs {b}")),
    }
}

fn text_case(case: &Value, worst: &mut Worst) -> Outcome {
    let p = &case["params"];
    let fit_docs = strings(&case["fit_docs"]);
    let transform_docs = case["transform_docs"]
        .as_array()
        .map(|_| strings(&case["transform_docs"]));
    let ours = vectorize(p, &fit_docs, transform_docs.as_deref());
    let expected = &case["expected"];
    let ours = match (ours, expected.get("error")) {
        (Err(_), Some(_)) => return Outcome::Agree,
        (Ok(out), Some(e)) => {
            return Outcome::Mismatch(format!(
                "scikit-learn raised {e}, the crate returned vocabulary {:?}, values {:?}",
                out.vocab,
                out.x.data()
            ))
        }
        (Err(e), None) => return Outcome::Mismatch(format!("the crate returned an error: {e}")),
        (Ok(out), None) => out,
    };
    let tfidf = p["kind"] == "tfidf";
    let Some(difference) = text_difference(&ours, expected, tfidf, worst) else {
        return Outcome::Agree;
    };
    if let Some(tie) = case.get("tie") {
        if text_difference(&ours, tie, tfidf, &mut Worst::default()).is_none() {
            return Outcome::TieCutoff;
        }
    }
    Outcome::Mismatch(difference)
}

// ---------------------------------------------------------------------------------------

#[test]
fn crate_agrees_with_scikit_learn_on_random_cases() {
    let path = case_file();
    let doc = read_cases(&path);
    let cases = doc["cases"].as_array().expect("a \"cases\" array");
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    let mut worst = Worst::default();
    let (mut ties_cutoff, mut ties_noise) = (0, 0);
    let mut mismatches = Vec::new();
    let start = std::time::Instant::now();
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        worst.id = id.to_string();
        let outcome = catch_unwind(AssertUnwindSafe(|| match case["kind"].as_str() {
            Some("nmf") => nmf_case(case, &mut worst),
            Some("text") => text_case(case, &mut worst),
            other => panic!("case kind {other:?}"),
        }))
        .unwrap_or_else(|e| {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Outcome::Mismatch(format!("panicked: {msg}"))
        });
        match outcome {
            Outcome::Agree => {}
            Outcome::TieCutoff => ties_cutoff += 1,
            Outcome::TieNoise => ties_noise += 1,
            Outcome::Mismatch(why) => {
                mismatches.push(format!("{id}: {why}\n    parameters: {}", case["params"]))
            }
        }
    }
    let summary = format!(
        "{} cases, {} mismatches, {} ties (max_features cut-off: {ties_cutoff}, noise-level \
         start: {ties_noise})",
        cases.len(),
        mismatches.len(),
        ties_cutoff + ties_noise
    );
    println!(
        "differential: {} ({:.1} s)",
        path.display(),
        start.elapsed().as_secs_f64()
    );
    let [w, h, e, t] = &worst.seen;
    println!(
        "largest relative differences where the case agreed: W {:.2e} ({}), H {:.2e} ({}), \
         error {:.2e} ({}), tf-idf {:.2e} ({})",
        w.0, w.1, h.0, h.1, e.0, e.1, t.0, t.1
    );
    for m in &mismatches {
        println!("mismatch {m}");
    }
    println!("{summary}");
    assert!(
        mismatches.is_empty(),
        "{summary}\n{}",
        mismatches.join("\n")
    );
}
