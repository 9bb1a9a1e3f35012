//! The `topicmod` binary, run as a user would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;

fn topicmod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_topicmod"))
        .args(args)
        .output()
        .expect("run the topicmod binary")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "exit {:?}: {}", o.status, stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// A scratch folder under the target directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = base.join(format!("cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `load_files` folder with two categories and three documents whose count matrix is
/// (columns galaxy, image, orbit, pixel, rocket in alphabetical order)
///
/// ```text
/// [0 0 1 0 1]   rocket orbit
/// [0 1 0 3 0]   pixel pixel pixel image
/// [3 0 0 0 0]   galaxy galaxy galaxy
/// ```
///
/// Its rows are orthogonal, so its singular values are the row norms √10, 3 and √2.
fn tiny_corpus(root: &Path) {
    let docs = [
        ("space", "a.txt", "rocket orbit"),
        ("graphics", "b.txt", "pixel pixel pixel image"),
        ("space", "c.txt", "galaxy galaxy galaxy"),
    ];
    for (cat, file, text) in docs {
        std::fs::create_dir_all(root.join(cat)).unwrap();
        std::fs::write(root.join(cat).join(file), text).unwrap();
    }
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

#[test]
fn svd_on_a_folder_gives_the_known_singular_values() {
    let tmp = TempDir::new("svd");
    tiny_corpus(&tmp.0);
    let dir = tmp.0.to_str().unwrap();
    let out = topicmod(&[
        "topics", "--dir", dir, "--topics", "3", "--words", "2", "--json",
    ]);
    let v = json(&out);
    assert_eq!(v["n_documents"], 3);
    assert_eq!(v["vocabulary_size"], 5);
    assert_eq!(v["nnz"], 5);
    assert_eq!(v["method"], "svd");
    let s = floats(&v["singular_values"]);
    let expect = [10f64.sqrt(), 3.0, 2f64.sqrt()];
    assert!(close(&s, &expect, 1e-12), "{s:?}");
    let topics = v["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 3);
    // each right singular vector is one document's row (up to sign), so every topic's
    // words are that document's words when the sign is positive
    for t in topics {
        assert_eq!(t.as_str().unwrap().split(' ').count(), 2);
    }

    // plain text: one numbered line per topic on stdout
    let out = topicmod(&["topics", "--dir", dir, "--topics", "2", "--words", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("1. ") && lines[1].starts_with("2. "),
        "{text}"
    );
}

#[test]
fn nmf_and_randomized_svd_on_a_folder() {
    let tmp = TempDir::new("nmf");
    tiny_corpus(&tmp.0);
    let dir = tmp.0.to_str().unwrap();
    let v = json(&topicmod(&[
        "topics", "--dir", dir, "--method", "nmf", "--topics", "3", "--words", "1", "--json",
    ]));
    assert_eq!(v["method"], "nmf");
    // three orthogonal rows: NMF with three components can rebuild the matrix exactly
    let err = v["reconstruction_err"]
        .as_f64()
        .expect("reconstruction_err");
    assert!((0.0..1e-3).contains(&err), "reconstruction_err {err}");
    assert!(v["n_iter"].as_u64().expect("n_iter") >= 1);
    let mut firsts: Vec<String> = v["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    firsts.sort();
    // one topic per document, named by its most frequent word
    assert_eq!(firsts, ["galaxy", "pixel", "rocket"]);

    let v = json(&topicmod(&[
        "topics",
        "--dir",
        dir,
        "--method",
        "randomized-svd",
        "--topics",
        "2",
        "--json",
    ]));
    assert_eq!(v["method"], "randomized-svd");
    let s = floats(&v["singular_values"]);
    assert!(close(&s, &[10f64.sqrt(), 3.0], 1e-10), "{s:?}");

    // TF-IDF rows are unit length and still orthogonal: all singular values are 1
    let v = json(&topicmod(&[
        "topics",
        "--dir",
        dir,
        "--weighting",
        "tfidf",
        "--topics",
        "3",
        "--json",
    ]));
    assert!(close(
        &floats(&v["singular_values"]),
        &[1.0, 1.0, 1.0],
        1e-12
    ));
}

#[test]
fn usage_errors_exit_with_status_2() {
    let out = topicmod(&["topics", "--method", "lda"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("lda") && err.contains("randomized-svd") && err.contains("nmf"),
        "{err}"
    );

    for args in [
        &["topics", "--topics", "0"][..],
        &["topics", "--words", "many"],
        &["topics", "--weighting", "bm25"],
        &["topics", "--remove", "signatures"],
        &["topics", "--subset", "validation"],
        &["topics", "--frobnicate"],
        &["topics", "--topics"],
        &["plot"],
        &[],
    ] {
        let out = topicmod(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&out).is_empty(), "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }

    let out = topicmod(&["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for word in [
        "--dir",
        "--subset",
        "--categories",
        "--remove",
        "--weighting",
        "--method",
        "--json",
    ] {
        assert!(help.contains(word), "help lacks {word}");
    }
}

#[test]
fn library_errors_exit_with_status_1() {
    let tmp = TempDir::new("errors");
    tiny_corpus(&tmp.0);
    let dir = tmp.0.to_str().unwrap();
    // more topics than the 3 x 5 matrix has
    let out = topicmod(&["topics", "--dir", dir, "--topics", "4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("rank"), "{}", stderr(&out));

    // a folder that does not exist
    let missing = tmp.0.join("nope");
    let out = topicmod(&["topics", "--dir", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));

    // a category the folder does not have: the error names it and lists the real ones
    let out = topicmod(&["topics", "--dir", dir, "--categories", "space,cooking"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cooking") && err.contains("graphics, space"),
        "{err}"
    );
    // a category that exists keeps only its documents
    let v = json(&topicmod(&[
        "topics",
        "--dir",
        dir,
        "--categories",
        "space",
        "--topics",
        "2",
        "--json",
    ]));
    assert_eq!(v["n_documents"], 2);
    assert_eq!(v["categories"], serde_json::json!(["space"]));

    // every word is a stop word: empty vocabulary
    let stop = TempDir::new("stop");
    std::fs::create_dir_all(stop.0.join("x")).unwrap();
    std::fs::write(stop.0.join("x").join("d.txt"), "the and of").unwrap();
    let out = topicmod(&["topics", "--dir", stop.0.to_str().unwrap(), "--topics", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("vocabulary"), "{}", stderr(&out));
}

fn require_corpus() {
    if std::env::var_os("TOPICMOD_DATA").is_none() {
        panic!("TOPICMOD_DATA is not set: point it at 20news-bydate.tar.gz to run this test");
    }
}

#[test]
fn unknown_category_lists_the_valid_ones() {
    require_corpus();
    let out = topicmod(&["topics", "--categories", "sci.space,sci.spaceships"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("sci.spaceships"), "{err}");
    for valid in [
        "alt.atheism",
        "comp.graphics",
        "talk.religion.misc",
        "sci.space",
    ] {
        assert!(err.contains(valid), "{err}");
    }
}

#[test]
fn lesson_corpus_json() {
    require_corpus();
    let v = json(&topicmod(&[
        "topics",
        "--method",
        "randomized-svd",
        "--topics",
        "5",
        "--json",
    ]));
    assert_eq!(v["n_documents"], 2034);
    assert_eq!(v["vocabulary_size"], 26576);
    assert_eq!(v["nnz"], 133634);
    assert_eq!(v["method"], "randomized-svd");
    assert_eq!(v["weighting"], "count");
    assert_eq!(v["topics"].as_array().unwrap().len(), 5);
    let s = floats(&v["singular_values"]);
    assert_eq!(s.len(), 5);
    assert!(s.windows(2).all(|w| w[0] >= w[1]) && s[4] > 0.0, "{s:?}");
    let mut cats: Vec<String> = v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    cats.sort();
    assert_eq!(
        cats,
        [
            "alt.atheism",
            "comp.graphics",
            "sci.space",
            "talk.religion.misc"
        ]
    );
}

/// `--evaluate --test-subset test` on the lesson's corpus: the held-out posts' scores are
/// the ones `tests/fixtures/make_metrics.py` got from scikit-learn for the same model
/// (NMF(5, nndsvd, seed 1) on TF-IDF), and the coherence of each topic's 10 top words is
/// the NumPy reference's.
#[test]
fn evaluate_on_the_held_out_test_split() {
    require_corpus();
    // The model and the scoring of the fixture; --words 10 as its coherence.
    let args = [
        "topics",
        "--method",
        "nmf",
        "--weighting",
        "tfidf",
        "--topics",
        "5",
        "--words",
        "10",
        "--init",
        "nndsvd",
        "--seed",
        "1",
        "--evaluate",
        "--test-subset",
        "test",
    ];
    let v = json(&topicmod(&[&args[..], &["--json"]].concat()));
    let e = &v["evaluation"];
    assert_eq!(e["n_documents"], 1353, "{e}");
    assert_eq!(e["scored"], "held-out documents");
    let fixture = &common::fixture_json("metrics/cluster_scores.json.gz")["cases"][0];
    assert_eq!(fixture["name"], "lesson_test");
    let want = |key: &str| -> f64 { fixture[key].as_str().unwrap().parse().unwrap() };
    for key in ["nmi", "ari", "purity"] {
        let got = e[key].as_f64().unwrap();
        assert!(
            (got - want(key)).abs() < 1e-12,
            "{key}: {got} vs {}",
            want(key)
        );
    }
    let npmi: Vec<f64> = fixture["npmi"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().parse().unwrap())
        .collect();
    assert!(close(&floats(&e["coherence"]), &npmi, 1e-12), "{e}");

    // The text form says the same.
    let out = topicmod(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "evaluation on 1353 held-out documents: NMI 0.3700, ARI 0.3419, purity 0.6305"
        ),
        "{text}"
    );
    assert!(text.contains("NPMI coherence"), "{text}");
}

/// On a folder the labels are the category folders; without --test-subset the fitted
/// documents are scored.
#[test]
fn evaluate_on_a_folder() {
    let tmp = TempDir::new("evaluate");
    tiny_corpus(&tmp.0);
    let dir = tmp.0.to_str().unwrap();
    let v = json(&topicmod(&[
        "topics",
        "--dir",
        dir,
        "--method",
        "nmf",
        "--topics",
        "2",
        "--words",
        "2",
        "--init",
        "nndsvda",
        "--evaluate",
        "--json",
    ]));
    let e = &v["evaluation"];
    assert_eq!(e["scored"], "the fitted documents");
    assert_eq!(e["n_documents"], 3);
    for key in ["nmi", "purity"] {
        let x = e[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&x), "{key} {x}");
    }
    assert_eq!(floats(&e["coherence"]).len(), 2);
    let v = json(&topicmod(&[
        "topics",
        "--dir",
        dir,
        "--method",
        "svd",
        "--topics",
        "2",
        "--evaluate",
        "--json",
    ]));
    assert_eq!(v["evaluation"]["n_documents"], 3);
}

#[test]
fn evaluation_usage_errors_exit_with_status_2() {
    let tmp = TempDir::new("evaluate-usage");
    tiny_corpus(&tmp.0);
    let dir = tmp.0.to_str().unwrap();
    for (args, says) in [
        (
            vec!["topics", "--method", "svd", "--init", "nndsvd"],
            "--init applies to --method nmf",
        ),
        (
            vec!["topics", "--method", "nmf", "--init", "best"],
            "unknown init",
        ),
        (
            vec!["topics", "--test-subset", "test"],
            "goes with --evaluate",
        ),
        (
            vec!["topics", "--evaluate", "--test-subset", "train"],
            "other part",
        ),
        (
            vec![
                "topics",
                "--evaluate",
                "--subset",
                "all",
                "--test-subset",
                "test",
            ],
            "other part",
        ),
        (
            vec![
                "topics",
                "--dir",
                dir,
                "--evaluate",
                "--test-subset",
                "test",
            ],
            "not to --dir",
        ),
        (
            vec!["topics", "--evaluate", "--test-subset", "dev"],
            "unknown --test-subset",
        ),
    ] {
        let out = topicmod(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// Sixty short documents on three subjects that share no word, in the order
/// space, religion, graphics, space, ...
fn three_subjects() -> Vec<String> {
    let subjects = [
        ["orbit", "shuttle", "launch", "rocket", "nasa"],
        ["god", "church", "faith", "belief", "prayer"],
        ["jpeg", "pixel", "image", "graphics", "bitmap"],
    ];
    (0..60)
        .map(|i| {
            let words = &subjects[i % 3];
            // Each document uses four of its subject's five words, some twice.
            (0..4)
                .map(|j| words[(i / 3 + j) % 5])
                .chain([words[i % 5]])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn stream_finds_the_subjects_of_a_line_file_and_of_a_folder() {
    let tmp = TempDir::new("stream");
    let docs = three_subjects();
    let file = tmp.0.join("posts.txt");
    std::fs::write(&file, docs.join("\n") + "\n").unwrap();
    let folder = tmp.0.join("posts");
    std::fs::create_dir_all(&folder).unwrap();
    for (i, d) in docs.iter().enumerate() {
        std::fs::write(folder.join(format!("{i:03}.txt")), d).unwrap();
    }
    let args = |input: &Path| -> Vec<String> {
        [
            "stream",
            "--input",
            input.to_str().unwrap(),
            "--topics",
            "3",
            "--words",
            "5",
            "--batch-size",
            "16",
            "--epochs",
            "5",
            "--n-features",
            "1024",
            "--json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |input: &Path| {
        let a = args(input);
        json(&topicmod(&a.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    let v = run(&file);
    assert_eq!(v["n_documents"], 60);
    assert_eq!(v["epochs"], 5);
    assert_eq!(v["batches"], 20, "ceil(60 / 16) = 4 batches per epoch");
    let topics: Vec<&str> = v["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(topics.len(), 3);
    // Each topic's five words are one subject's five words.
    let subjects = [
        "orbit shuttle launch rocket nasa",
        "god church faith belief prayer",
        "jpeg pixel image graphics bitmap",
    ];
    let mut found: Vec<usize> = topics
        .iter()
        .map(|t| {
            subjects
                .iter()
                .position(|s| t.split(' ').all(|w| s.split(' ').any(|x| x == w)))
                .unwrap_or_else(|| panic!("topic {t:?} mixes subjects: {topics:?}"))
        })
        .collect();
    found.sort();
    assert_eq!(found, [0, 1, 2], "{topics:?}");
    // The same documents as one file each give the same topics.
    assert_eq!(run(&folder)["topics"], v["topics"]);

    // Progress on stderr (not a terminal here: whole lines), and a summary.
    let out = topicmod(&[
        "stream",
        "--input",
        file.to_str().unwrap(),
        "--topics",
        "3",
        "--batch-size",
        "16",
        "--epochs",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "epoch 1/2",
        "epoch 2/2",
        "100.0%  60/60 docs",
        "docs/s",
        "60 documents, 2 epoch(s)",
    ] {
        assert!(err.contains(want), "stderr lacks {want:?}: {err}");
    }
    assert_eq!(stdout(&out).lines().count(), 3, "{}", stdout(&out));
    let quiet = topicmod(&[
        "stream",
        "--input",
        file.to_str().unwrap(),
        "--topics",
        "3",
        "--no-progress",
    ]);
    assert!(
        quiet.status.success() && !stderr(&quiet).contains("epoch 1/"),
        "{}",
        stderr(&quiet)
    );
}

#[test]
fn stream_usage_and_input_errors() {
    let tmp = TempDir::new("stream-errors");
    let empty = tmp.0.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let e = empty.to_str().unwrap();
    for args in [
        &["stream"][..],
        &["stream", "--input"],
        &["stream", "--input", e, "--batch-size", "0"],
        &["stream", "--input", e, "--epochs", "-1"],
        &["stream", "--input", e, "--n-features", "4294967296"],
        &["stream", "--input", e, "--method", "svd"],
    ] {
        let out = topicmod(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    let out = topicmod(&["stream", "--input", e]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no documents"), "{}", stderr(&out));
    let missing = tmp.0.join("nope.txt");
    let out = topicmod(&["stream", "--input", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope.txt"), "{}", stderr(&out));
    assert!(stdout(&topicmod(&["--help"])).contains("topicmod stream --input PATH"));
}
