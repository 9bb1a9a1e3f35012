//! `topicmod::metrics` against scikit-learn's cluster scores and an independent NumPy
//! implementation of NPMI coherence (`tests/fixtures/make_metrics.py`). The lesson case
//! also rebuilds its predicted labels with the crate's own pipeline, so it needs the corpus
//! (`TOPICMOD_DATA`).

mod common;

use serde_json::Value;
use topicmod::corpus::{lesson_corpus, Subset};
use topicmod::metrics::*;
use topicmod::nmf::{Init, Nmf};
use topicmod::text::{StopWords, TfidfVectorizer};

fn cases() -> Vec<Value> {
    common::fixture_json("metrics/cluster_scores.json.gz")["cases"]
        .as_array()
        .expect("cases")
        .clone()
}

/// A JSON array of arrays of non-negative integers.
fn usize_rows(v: &Value) -> Vec<Vec<usize>> {
    v.as_array().unwrap().iter().map(common::usizes).collect()
}

fn repr(v: &Value) -> f64 {
    v.as_str().expect("a float repr").parse().unwrap()
}

/// Scores agree with scikit-learn's to 1e-12 relative: the same sums in another order.
fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 1e-12 * theirs.abs().max(1e-3)
}

#[test]
fn scores_match_scikit_learn() {
    let cases = cases();
    assert!(cases.len() >= 6);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let t = common::usizes(&case["labels_true"]);
        let p = common::usizes(&case["labels_pred"]);
        let c = contingency_matrix(&t, &p).unwrap();
        let want = usize_rows(&case["contingency"]);
        let got: Vec<Vec<usize>> = c
            .counts
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|&x| x as usize).collect())
            .collect();
        assert_eq!(got, want, "{name}: contingency");
        for (what, ours, theirs) in [
            (
                "MI",
                mutual_info_score(&t, &p).unwrap(),
                repr(&case["mutual_info"]),
            ),
            (
                "NMI",
                normalized_mutual_info_score(&t, &p).unwrap(),
                repr(&case["nmi"]),
            ),
            (
                "ARI",
                adjusted_rand_score(&t, &p).unwrap(),
                repr(&case["ari"]),
            ),
            ("purity", purity(&t, &p).unwrap(), repr(&case["purity"])),
        ] {
            println!("{name}: {what} {ours} (scikit-learn {theirs})");
            assert!(close(ours, theirs), "{name}: {what} {ours} vs {theirs}");
        }
    }
}

/// The lesson's held-out test split scored with the crate's own pipeline: TF-IDF fitted on
/// the train split, NMF(5, NNDSVD, seed 1), the test posts' dominant topics. The labels are
/// scikit-learn's, post for post, and the coherence of the topics' top 10 words on the test
/// posts is NumPy's.
#[test]
fn lesson_test_split_scores_from_the_crate_pipeline() {
    let case = cases()
        .into_iter()
        .find(|c| c["name"] == "lesson_test")
        .expect("the lesson case");
    let train = lesson_corpus(Subset::Train).unwrap();
    let test = lesson_corpus(Subset::Test).unwrap();
    assert_eq!(test.data.len(), case["n_test"].as_u64().unwrap() as usize);
    let mut tfidf = TfidfVectorizer::new().stop_words(StopWords::English);
    let x_train = tfidf.fit_transform(&train.data).unwrap();
    let x_test = tfidf.transform(&test.data).unwrap();
    let mut model = Nmf::new(5).init(Init::Nndsvd).random_state(Some(1));
    model.fit(&x_train).unwrap();
    let w_test = model.transform(&x_test).unwrap();
    let pred = dominant_topic(&w_test).unwrap();
    assert_eq!(pred, common::usizes(&case["labels_pred"]));
    assert_eq!(test.target, common::usizes(&case["labels_true"]));
    let nmi = normalized_mutual_info_score(&test.target, &pred).unwrap();
    let ari = adjusted_rand_score(&test.target, &pred).unwrap();
    println!("lesson test split: NMI {nmi:.4}, ARI {ari:.4}");
    assert!(close(nmi, repr(&case["nmi"])));

    // The same 10 words per topic as NumPy's argsort picks. Their order is compared as a
    // set: "beauchaine" and "bronx" have equal weights up to the last bit, so which comes
    // first is decided by rounding (scikit-learn's NMF puts beauchaine ahead by an ulp; ours
    // ties them exactly), and coherence does not depend on the order.
    let top = top_word_indices(model.components().unwrap(), 10).unwrap();
    let as_sets = |rows: &[Vec<usize>]| -> Vec<Vec<usize>> {
        rows.iter()
            .map(|r| {
                let mut r = r.clone();
                r.sort_unstable();
                r
            })
            .collect()
    };
    assert_eq!(as_sets(&top), as_sets(&usize_rows(&case["top_words"])));
    let coherence = npmi_coherence(&top, &x_test).unwrap();
    for ((ours, theirs), words) in coherence
        .iter()
        .zip(case["npmi"].as_array().unwrap())
        .zip(common::strings(&case["top_words_text"]))
    {
        println!("NPMI {ours:.4}: {words}");
        assert!(close(*ours, repr(theirs)), "{ours} vs {theirs}");
    }
}

#[test]
fn bad_inputs_are_errors() {
    assert!(normalized_mutual_info_score(&[0, 1], &[0]).is_err());
    assert!(adjusted_rand_score(&[0], &[0, 1]).is_err());
    assert!(purity(&[0, 1, 2], &[]).is_err());
}
