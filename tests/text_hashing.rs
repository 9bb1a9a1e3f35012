//! `HashingVectorizer` and `murmurhash3_32` against scikit-learn
//! (`tests/fixtures/make_hashing.py`): the same rows, columns and values, collisions and
//! cancelling signs included. The lesson case needs the corpus (`TOPICMOD_DATA`).

mod common;

use serde_json::Value;
use topicmod::text::{murmurhash3_32, HashingVectorizer, Norm, StopWords};

fn vectorizer(params: &Value) -> HashingVectorizer {
    let mut hv = HashingVectorizer::new();
    for (key, value) in params.as_object().unwrap() {
        hv = match key.as_str() {
            "n_features" => hv.n_features(value.as_u64().unwrap() as usize),
            "binary" => hv.binary(value.as_bool().unwrap()),
            "alternate_sign" => hv.alternate_sign(value.as_bool().unwrap()),
            "lowercase" => hv.lowercase(value.as_bool().unwrap()),
            "stop_words" => hv.stop_words(StopWords::English),
            "norm" => hv.norm(match value.as_str() {
                Some("l1") => Norm::L1,
                Some("l2") => Norm::L2,
                _ => Norm::None,
            }),
            other => panic!("unknown parameter {other}"),
        };
    }
    hv
}

#[test]
fn hashing_vectorizer_matches_scikit_learn() {
    let fixture = common::fixture_json("text/hashing.json.gz");
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let docs = if name == "lesson_300" {
            common::lesson_train_docs()[..300].to_vec()
        } else {
            common::strings(&case["docs"])
        };
        let x = vectorizer(&case["params"]).transform(&docs).unwrap();
        let shape = common::usizes(&case["shape"]);
        assert_eq!((x.rows(), x.cols()), (shape[0], shape[1]), "{name}");
        assert_eq!(
            x.indptr().raw_storage(),
            &common::usizes(&case["indptr"])[..],
            "{name}: indptr"
        );
        assert_eq!(
            x.indices(),
            &common::usizes(&case["indices"])[..],
            "{name}: indices"
        );
        let want = common::f64s_or_reprs(&case["data"]);
        let worst = common::max_abs_diff(x.data(), &want);
        println!(
            "{name}: {} stored, largest difference {worst:e}",
            want.len()
        );
        assert!(worst <= 1e-15, "{name}: values differ by {worst}");
    }
}

#[test]
fn murmurhash3_matches_scikit_learn() {
    let fixture = common::fixture_json("text/hashing.json.gz");
    for entry in fixture["murmurhash3_32"].as_array().unwrap() {
        let word = entry[0].as_str().unwrap();
        assert_eq!(
            murmurhash3_32(word.as_bytes(), 0) as i64,
            entry[1].as_i64().unwrap(),
            "{word:?}"
        );
        assert_eq!(
            murmurhash3_32(word.as_bytes(), 42) as i64,
            entry[2].as_i64().unwrap(),
            "{word:?}"
        );
    }
}

#[test]
fn bad_settings_are_errors() {
    let none: [&str; 0] = [];
    assert!(HashingVectorizer::new().transform(&none).is_err());
    assert!(HashingVectorizer::new()
        .n_features(0)
        .transform(&["a b"])
        .is_err());
    assert!(HashingVectorizer::new()
        .n_features(1 << 31)
        .transform(&["a b"])
        .is_err());
}
