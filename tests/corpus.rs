//! Our 20 Newsgroups loader against scikit-learn 1.9.1 on the real corpus.
//!
//! Needs the archive: `TOPICMOD_DATA=path/to/20news-bydate.tar.gz` (or a folder holding
//! it). Without it these tests fail on purpose. The fixture comes from
//! `tests/fixtures/make_corpus.py`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest, Sha256};
use topicmod::corpus::{FetchOptions, Remove, Subset, LESSON_CATEGORIES};
use topicmod::Error;

use common::{lesson_data_path, TempDir};

/// A parsed-corpus cache shared by these tests (and kept between runs under
/// cargo's scratch folder; it is keyed by the archive, so a new archive refreshes it).
fn shared_cache() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        lesson_data_path();
        let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-cache");
        FetchOptions::new()
            .subset(Subset::All)
            .cache_dir(&p)
            .download_if_missing(false)
            .fetch()
            .expect("loading the corpus from TOPICMOD_DATA");
        p
    })
}

fn fixture() -> &'static Value {
    static F: OnceLock<Value> = OnceLock::new();
    F.get_or_init(|| common::fixture_json("corpus/sklearn_20news.json.gz"))
}

fn options_from(args: &Value) -> FetchOptions {
    let mut o = FetchOptions::new()
        .download_if_missing(false)
        .cache_dir(shared_cache());
    o = o.subset(match args["subset"].as_str().unwrap_or("train") {
        "train" => Subset::Train,
        "test" => Subset::Test,
        "all" => Subset::All,
        other => panic!("bad subset {other}"),
    });
    if let Some(c) = args.get("categories").and_then(Value::as_array) {
        let cats: Vec<&str> = c.iter().map(|v| v.as_str().unwrap()).collect();
        o = o.categories(&cats);
    }
    if let Some(r) = args.get("remove").and_then(Value::as_array) {
        let has = |k: &str| r.iter().any(|v| v.as_str() == Some(k));
        o = o.remove(Remove {
            headers: has("headers"),
            footers: has("footers"),
            quotes: has("quotes"),
        });
    }
    if let Some(s) = args.get("shuffle").and_then(Value::as_bool) {
        o = o.shuffle(s);
    }
    if let Some(s) = args.get("random_state").and_then(Value::as_u64) {
        o = o.random_state(s as u32);
    }
    o
}

fn check_selection(name: &str) {
    let sel = fixture()["selections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no selection {name} in the fixture"));
    let ds = options_from(&sel["args"]).fetch().unwrap();
    let n = sel["n"].as_u64().unwrap() as usize;
    assert_eq!(ds.len(), n, "{name}: number of posts");
    assert_eq!(ds.data.len(), n);
    assert_eq!(ds.filenames.len(), n);
    let names: Vec<&str> = sel["target_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ds.target_names, names, "{name}: target_names");
    let target: Vec<usize> = sel["target"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(ds.target, target, "{name}: targets");
    let files = sel["filenames"].as_array().unwrap();
    for (i, f) in files.iter().enumerate() {
        assert_eq!(
            ds.filenames[i],
            Path::new(f.as_str().unwrap()),
            "{name}: filename {i}"
        );
    }
    for (i, t) in sel["texts_head"].as_array().unwrap().iter().enumerate() {
        assert_eq!(ds.data[i], t.as_str().unwrap(), "{name}: text of post {i}");
    }
    let digests = sel["sha256_16"].as_array().unwrap();
    let mut bad = Vec::new();
    for (i, d) in digests.iter().enumerate() {
        let h: String = Sha256::digest(ds.data[i].as_bytes())[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if h != d.as_str().unwrap() {
            bad.push(ds.filenames[i].display().to_string());
        }
    }
    assert!(
        bad.is_empty(),
        "{name}: {} posts differ from scikit-learn, e.g. {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn lesson_train_matches_sklearn() {
    check_selection("lesson_train");
}

#[test]
fn lesson_test_matches_sklearn() {
    check_selection("lesson_test");
}

#[test]
fn two_groups_without_removal_match_sklearn() {
    check_selection("autos_med_train_raw");
}

#[test]
fn subset_all_every_group_all_removed_matches_sklearn() {
    check_selection("all_all_removed");
}

#[test]
fn unshuffled_raw_test_matches_sklearn() {
    check_selection("test_raw_unshuffled");
}

#[test]
fn other_seed_and_removals_match_sklearn() {
    check_selection("lesson_train_seed7_footers_quotes");
}

#[test]
fn unsorted_categories_unshuffled_match_sklearn() {
    check_selection("mideast_atheism_test_headers_unshuffled");
}

#[test]
fn repeated_category_matches_sklearn() {
    check_selection("all_space_dup_quotes_seed0");
}

#[test]
fn lesson_acceptance_numbers() {
    let o = FetchOptions::new()
        .categories(&LESSON_CATEGORIES)
        .remove(Remove::ALL)
        .download_if_missing(false)
        .cache_dir(shared_cache());
    let train = o.clone().subset(Subset::Train).fetch().unwrap();
    let test = o.subset(Subset::Test).fetch().unwrap();
    assert_eq!((train.len(), test.len()), (2034, 1353));
    assert_eq!(&train.target[..10], &[1, 3, 2, 0, 2, 0, 2, 1, 2, 1]);
    assert_eq!(
        train.target_names,
        [
            "alt.atheism",
            "comp.graphics",
            "sci.space",
            "talk.religion.misc"
        ]
    );
}

#[test]
fn unknown_category_lists_the_valid_ones() {
    let err = FetchOptions::new()
        .categories(&["sci.space", "sci.spaec"])
        .download_if_missing(false)
        .cache_dir(shared_cache())
        .fetch()
        .unwrap_err();
    match err {
        Error::UnknownCategory { name, valid } => {
            assert_eq!(name, "sci.spaec");
            assert_eq!(valid.len(), 20);
            assert!(valid.contains(&"sci.space".to_string()));
        }
        e => panic!("expected UnknownCategory, got {e}"),
    }
}

#[test]
fn second_load_is_served_from_the_cache() {
    lesson_data_path();
    let dir = TempDir::new("real-cache");
    let o = FetchOptions::new()
        .subset(Subset::Test)
        .categories(&["sci.space"])
        .download_if_missing(false)
        .cache_dir(dir.path());
    let (first, r1) = o.fetch_with_report().unwrap();
    assert!(!r1.from_cache);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "20news-bydate-test.topicmod-cache",
            "20news-bydate-train.topicmod-cache"
        ],
        "both subsets cached, no temporary files left"
    );
    let (second, r2) = o.fetch_with_report().unwrap();
    assert!(r2.from_cache);
    assert_eq!(first, second);
}
