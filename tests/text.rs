//! `text` against scikit-learn on real corpora: the lesson's posts (train and test
//! subsets) and two other newsgroups with headers kept, vectorized by the crate's own
//! pipeline (`topicmod::corpus`) and compared with fixtures from
//! tests/fixtures/make_text.py. Needs the corpus: set `TOPICMOD_DATA`.

mod common;

use common::vectorizer::{check_case, Vectorizer};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use topicmod::corpus::{lesson_corpus, FetchOptions, Remove, Subset};
use topicmod::text::{CountVectorizer, StopWords};

fn fixture(name: &str) -> serde_json::Value {
    common::fixture_json(&format!("text/{name}"))
}

/// The documents of a fixture corpus, loaded by the crate's own corpus module.
fn corpus(name: &str) -> Vec<String> {
    common::lesson_data_path();
    let dataset = match name {
        "lesson_train" => lesson_corpus(Subset::Train),
        "lesson_test" => lesson_corpus(Subset::Test),
        "autos_med_train" => FetchOptions::new()
            .subset(Subset::Train)
            .categories(&["rec.autos", "sci.med"])
            .remove(Remove::NONE)
            .cache_dir(Path::new(env!("CARGO_TARGET_TMPDIR")).join("text-corpus-cache"))
            .download_if_missing(false)
            .fetch(),
        other => panic!("unknown fixture corpus {other}"),
    };
    dataset
        .unwrap_or_else(|e| panic!("loading {name} from TOPICMOD_DATA: {e}"))
        .data
}

/// SHA-256 of the documents, each followed by a NUL byte (as the fixture script computes it).
fn digest(docs: &[String]) -> String {
    let mut h = Sha256::new();
    for d in docs {
        h.update(d.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn corpora_match_scikit_learn() {
    let fx = fixture("corpora.json.gz");
    let mut docs: HashMap<String, Vec<String>> = HashMap::new();
    for (name, meta) in fx["corpora"].as_object().unwrap() {
        let d = corpus(name);
        assert_eq!(
            d.len() as u64,
            meta["n_docs"].as_u64().unwrap(),
            "{name}: number of documents"
        );
        assert_eq!(
            digest(&d),
            meta["sha256"].as_str().unwrap(),
            "{name}: the corpus text differs from scikit-learn's (a corpus problem, not a text one)"
        );
        docs.insert(name.clone(), d);
    }
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    for (n, case) in cases.iter().enumerate() {
        let name = case["corpus"].as_str().unwrap();
        let label = format!("case {n} {name} {}", case["params"]);
        let mut v = Vectorizer::from_params(&case["params"]);
        let x = match case["fit_on"].as_str() {
            Some(fit_on) => {
                v.fit(&docs[fit_on]);
                v.transform(&docs[name])
            }
            None => v.fit_transform(&docs[name]),
        };
        check_case(case, &x, &v.names(), v.idf(), &label);
    }
}

/// The lesson's numbers, straight from `lesson_corpus`.
#[test]
fn lesson_bag_of_words() {
    let docs = corpus("lesson_train");
    let mut cv = CountVectorizer::new().stop_words(StopWords::English);
    let x = cv.fit_transform(&docs).unwrap();
    assert_eq!((x.rows(), x.cols()), (2034, 26576));
    assert_eq!(x.nnz(), 133_634);
    let vocab = cv.get_feature_names_out().unwrap();
    assert_eq!(
        vocab[7000..7020].join(" "),
        "cosmonauts cosmos cosponsored cost costa costar costing costly costruction costs cosy \
         cote couched couldn council councils counsel counselees counselor count"
    );
    assert_eq!(cv.vocabulary().unwrap()["cosmonauts"], 7000);
    // The same matrix through the dense view the notebooks use.
    let dense = x.to_dense();
    assert_eq!(dense.sum(), x.data().iter().sum::<f64>());
}
