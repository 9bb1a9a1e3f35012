//! The lesson's full SVD of the dense count matrix, checked against SciPy
//! (fixture tests/fixtures/svd/lesson.json.gz from tests/fixtures/make_svd.py).
//!
//! Needs the corpus: set TOPICMOD_DATA to the 20 Newsgroups archive. This test is heavy
//! (a full SVD of a 2034 x 26576 matrix plus two large products): it takes minutes.

use ndarray::{s, Array1, Array2};
use topicmod::corpus::{lesson_corpus, Subset};
use topicmod::svd::{
    allclose, orthonormality_error, orthonormality_error_rows, reconstruction_error, svd,
};

mod common;
use topicmod::text::{CountVectorizer, StopWords};
use topicmod::topics::show_topics;

/// The lesson's matrix, built by the crate's own pipeline: the four-group train posts
/// with headers, footers and quotes removed, counted with English stop words dropped.
fn lesson_counts() -> (Array2<f64>, usize, Vec<String>) {
    if std::env::var_os("TOPICMOD_DATA").is_none() {
        panic!("TOPICMOD_DATA is not set: point it at 20news-bydate.tar.gz to run this test");
    }
    let train = lesson_corpus(Subset::Train).expect("lesson corpus (check TOPICMOD_DATA)");
    let mut cv = CountVectorizer::new().stop_words(StopWords::English);
    let x = cv.fit_transform(&train.data).expect("CountVectorizer");
    let vocab = cv.get_feature_names_out().expect("fitted").to_vec();
    (x.to_dense(), x.nnz(), vocab)
}

#[test]
fn lesson_svd_matches_scipy() {
    let fx = common::fixture_json("svd/lesson.json.gz");
    let (a, nnz, vocab) = lesson_counts();
    let (m, n) = a.dim();
    assert_eq!((m, n), (2034, 26576));
    assert_eq!(m, fx["rows"].as_u64().unwrap() as usize);
    assert_eq!(n, fx["cols"].as_u64().unwrap() as usize);
    assert_eq!(nnz, fx["nnz"].as_u64().unwrap() as usize);
    assert_eq!(vocab.len(), n);

    let start = std::time::Instant::now();
    let f = svd(&a).expect("svd");
    eprintln!("svd of {m} x {n}: {:.1} s", start.elapsed().as_secs_f64());
    assert_eq!((f.u.dim(), f.s.len(), f.vt.dim()), ((m, m), m, (m, n)));

    // Singular values: SciPy's to 1e-9 relative. The smallest ones are zero up to
    // rounding (duplicate and empty documents make the matrix rank-deficient), so they
    // get an absolute tolerance relative to the largest one instead.
    let s_ref = Array1::from(common::f64s(&fx["s"]));
    assert!(
        allclose(&f.s, &s_ref, 1e-9, 1e-12 * s_ref[0]),
        "singular values differ from SciPy's"
    );
    assert!(f.s.windows(2).into_iter().all(|w| w[0] >= w[1]));

    // The ten topics, as the lesson prints them from Vt[:10]. LAPACK returns the first
    // right singular vector with all entries <= 0, so its "largest" weights are its zeros.
    // Two of them are exactly zero in exact arithmetic: "critus" and "ditto" each occur in
    // one single-word document and nowhere else, which makes them orthogonal to every
    // other singular vector. Their computed weights are rounding noise (~1e-20), and the
    // order of the two is a coin toss between BLAS builds; the words after them have
    // genuine (if tiny) weights and are compared exactly, like every other topic.
    let topics = show_topics(&f.vt.slice(s![..10, ..]), &vocab, 8).unwrap();
    let expected = common::strings(&fx["topics"]);
    assert_eq!(topics.len(), 10);
    assert_eq!(topics[1..], expected[1..]);
    assert_eq!(topics[1], "jpeg gif file color quality image jfif format");
    let words: Vec<&str> = topics[0].split(' ').collect();
    let expected_words: Vec<&str> = expected[0].split(' ').collect();
    assert_eq!(expected_words[..2], ["critus", "ditto"]);
    let mut noise = words[..2].to_vec();
    noise.sort();
    assert_eq!(noise, ["critus", "ditto"], "topic 0: {}", topics[0]);
    assert_eq!(words[2..], expected_words[2..], "topic 0: {}", topics[0]);
    for w in ["critus", "ditto"] {
        let j = vocab.iter().position(|v| v == w).unwrap();
        assert!(f.vt[[0, j]].abs() < 1e-15, "{w}: {}", f.vt[[0, j]]);
    }
    assert!(
        f.vt.row(0).iter().all(|&x| x <= 1e-15),
        "Vt[0] should be non-positive"
    );

    // The leading singular vectors themselves (unique up to sign; the signs agree with
    // SciPy's too, or the topics above would differ): probe a few coordinates.
    let probe_cols = common::usizes(&fx["vt_probe_cols"]);
    let probe_rows = common::usizes(&fx["u_probe_rows"]);
    for (t, (vt_row, u_col)) in fx["vt_probe"]
        .as_array()
        .unwrap()
        .iter()
        .zip(fx["u_probe"].as_array().unwrap())
        .enumerate()
    {
        let ours = Array1::from_iter(probe_cols.iter().map(|&j| f.vt[[t, j]]));
        assert!(
            allclose(&ours, &Array1::from(common::f64s(vt_row)), 1e-7, 1e-10),
            "Vt[{t}]"
        );
        let ours = Array1::from_iter(probe_rows.iter().map(|&i| f.u[[i, t]]));
        assert!(
            allclose(&ours, &Array1::from(common::f64s(u_col)), 1e-7, 1e-10),
            "U[:, {t}]"
        );
    }
    for (t, (idx, w)) in fx["topic_indices"]
        .as_array()
        .unwrap()
        .iter()
        .zip(fx["topic_weights"].as_array().unwrap())
        .enumerate()
    {
        let ours = Array1::from_iter(common::usizes(idx).iter().map(|&j| f.vt[[t, j]]));
        assert!(
            allclose(&ours, &Array1::from(common::f64s(w)), 1e-7, 1e-10),
            "topic {t} weights"
        );
    }

    // A = U diag(s) Vt to rounding error: the lesson's "reconstruction error below 1e-9"
    // is the absolute Frobenius norm of the difference, as np.linalg.norm gives it.
    let err = reconstruction_error(&a, &f).unwrap();
    let ref_err = fx["reconstruction_error"].as_f64().unwrap();
    eprintln!("reconstruction error {err:.3e} (SciPy {ref_err:.3e})");
    assert!(err < 1e-9, "reconstruction error {err}");
    assert!(allclose(&f.reconstruct(), &a, 1e-5, 1e-8));

    // U and Vt orthonormal (the lesson checks U^T U = I and Vt Vt^T = I).
    let eu = orthonormality_error(&f.u);
    let ev = orthonormality_error_rows(&f.vt);
    eprintln!(
        "orthonormality errors U {eu:.3e} (SciPy {:.3e}), Vt {ev:.3e} (SciPy {:.3e})",
        fx["u_orthonormality_error"].as_f64().unwrap(),
        fx["vt_orthonormality_error"].as_f64().unwrap()
    );
    assert!(eu < 1e-12 && ev < 1e-12);
}
