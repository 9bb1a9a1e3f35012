//! `text` against scikit-learn on small inputs: Python's word characters and lower-casing
//! over all of Unicode, and a hand-made set of texts under many vectorizer settings.
//! Fixtures: tests/fixtures/make_text.py.

use flate2::read::GzDecoder;
use serde_json::Value;
use std::io::Read;
use topicmod::text::{
    is_word_char, python_lower, tokens, CountVectorizer, Df, Norm, StopWords, TfidfVectorizer,
};
use topicmod::Csr;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/text")
        .join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    GzDecoder::new(file).read_to_string(&mut text).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `[start, end)` ranges -> membership test.
fn in_ranges(ranges: &Value) -> impl Fn(u32) -> bool {
    let r: Vec<(u32, u32)> = ranges
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32))
        .collect();
    move |c| {
        let i = r.partition_point(|&(_, end)| end <= c);
        i < r.len() && r[i].0 <= c
    }
}

#[test]
fn word_characters_match_python_re() {
    let fx = fixture("unicode.json.gz");
    let is_word = in_ranges(&fx["word_ranges"]);
    let unassigned = in_ranges(&fx["unassigned_ranges"]);
    let mut mismatches = Vec::new();
    let mut newer = 0;
    let mut newer_low = Vec::new();
    for c in 0..0x110000u32 {
        let Some(ch) = char::from_u32(c) else { continue };
        if is_word_char(ch) != is_word(c) {
            if unassigned(c) {
                // Assigned in our newer Unicode tables only.
                newer += 1;
                if c < 0x3000 {
                    newer_low.push(c);
                }
            } else {
                mismatches.push(format!("U+{c:04X}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "differ from Python: {mismatches:?}");
    // The corpus is Latin-1: every one of those code points, without exception.
    for c in 0..=0xffu32 {
        assert_eq!(is_word_char(char::from_u32(c).unwrap()), is_word(c), "U+{c:04X}");
    }
    // Below U+3000 only two characters new in Unicode 16 differ (Cyrillic TJE, U+1C89/U+1C8A).
    assert!(newer_low.len() <= 2, "new characters below U+3000 differ: {newer_low:X?}");
    eprintln!(
        "word characters agree with Python {} (Unicode {}); {newer} code points differ only \
         because our tables are newer",
        fx["python"], fx["unidata_version"]
    );
}

#[test]
fn lowercase_matches_python() {
    let fx = fixture("unicode.json.gz");
    let unassigned = in_ranges(&fx["unassigned_ranges"]);
    let lower = fx["lower"].as_object().unwrap();
    let mut mismatches = Vec::new();
    for c in 0..0x110000u32 {
        let Some(ch) = char::from_u32(c) else { continue };
        if unassigned(c) {
            continue;
        }
        let s = ch.to_string();
        let ours = python_lower(&s);
        let theirs = lower.get(&c.to_string()).map_or(s.as_str(), |v| v.as_str().unwrap());
        if ours != theirs {
            mismatches.push(format!("U+{c:04X}: {ours:?} vs {theirs:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:?}");
    for pair in fx["lower_strings"].as_array().unwrap() {
        assert_eq!(python_lower(pair[0].as_str().unwrap()), pair[1].as_str().unwrap());
    }
    for pair in fx["tokens"].as_array().unwrap() {
        let lowered = python_lower(pair[0].as_str().unwrap());
        let expected: Vec<&str> = pair[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(tokens(&lowered), expected, "{}", pair[0]);
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn df(v: &Value) -> Df {
    if v.is_u64() {
        Df::Count(v.as_u64().unwrap() as usize)
    } else {
        Df::Fraction(v.as_f64().unwrap())
    }
}

/// A vectorizer configured as the fixture case says.
enum Vectorizer {
    Count(CountVectorizer),
    Tfidf(TfidfVectorizer),
}

impl Vectorizer {
    fn from_params(p: &Value) -> Self {
        let mut cv = CountVectorizer::new();
        let mut tv = TfidfVectorizer::new();
        macro_rules! both {
            ($m:ident, $arg:expr) => {{
                cv = cv.$m($arg);
                tv = tv.$m($arg);
            }};
        }
        for (key, v) in p.as_object().unwrap() {
            match key.as_str() {
                "kind" => {}
                "stop_words" => both!(
                    stop_words,
                    match v {
                        Value::Null => StopWords::None,
                        Value::String(s) if s == "english" => StopWords::English,
                        list => StopWords::Custom(strings(list)),
                    }
                ),
                "min_df" => both!(min_df, df(v)),
                "max_df" => both!(max_df, df(v)),
                "max_features" => both!(max_features, v.as_u64().map(|k| k as usize)),
                "binary" => both!(binary, v.as_bool().unwrap()),
                "lowercase" => both!(lowercase, v.as_bool().unwrap()),
                "vocabulary" => both!(fixed_vocabulary, strings(v)),
                "norm" => {
                    tv = tv.norm(match v.as_str() {
                        None => Norm::None,
                        Some("l1") => Norm::L1,
                        Some("l2") => Norm::L2,
                        Some(other) => panic!("norm {other}"),
                    })
                }
                "use_idf" => tv = tv.use_idf(v.as_bool().unwrap()),
                "smooth_idf" => tv = tv.smooth_idf(v.as_bool().unwrap()),
                "sublinear_tf" => tv = tv.sublinear_tf(v.as_bool().unwrap()),
                other => panic!("unknown parameter {other}"),
            }
        }
        match p["kind"].as_str() {
            Some("count") => Vectorizer::Count(cv),
            Some("tfidf") => Vectorizer::Tfidf(tv),
            k => panic!("kind {k:?}"),
        }
    }

    fn fit_transform(&mut self, docs: &[String]) -> Csr {
        match self {
            Vectorizer::Count(v) => v.fit_transform(docs).unwrap(),
            Vectorizer::Tfidf(v) => v.fit_transform(docs).unwrap(),
        }
    }

    fn fit(&mut self, docs: &[String]) {
        match self {
            Vectorizer::Count(v) => drop(v.fit(docs).unwrap()),
            Vectorizer::Tfidf(v) => drop(v.fit(docs).unwrap()),
        }
    }

    fn transform(&self, docs: &[String]) -> Csr {
        match self {
            Vectorizer::Count(v) => v.transform(docs).unwrap(),
            Vectorizer::Tfidf(v) => v.transform(docs).unwrap(),
        }
    }

    fn names(&self) -> Vec<String> {
        match self {
            Vectorizer::Count(v) => v.get_feature_names_out().unwrap().to_vec(),
            Vectorizer::Tfidf(v) => v.get_feature_names_out().unwrap().to_vec(),
        }
    }

    fn idf(&self) -> Option<Vec<f64>> {
        match self {
            Vectorizer::Count(_) => None,
            Vectorizer::Tfidf(v) => v.idf().ok().map(|a| a.to_vec()),
        }
    }
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    // Counts are JSON integers, tf-idf values Python reprs in strings.
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) => s.parse().unwrap(),
            n => n.as_f64().unwrap(),
        })
        .collect()
}

/// Compares our matrix and vocabulary with scikit-learn's: structure exactly, counts
/// exactly, tf-idf within 1e-12.
fn check_case(case: &Value, x: &Csr, names: &[String], idf: Option<Vec<f64>>, label: &str) {
    let tfidf = case["params"]["kind"] == "tfidf";
    assert_eq!(names, strings(&case["vocab"]), "{label}: vocabulary");
    assert_eq!([x.rows(), x.cols()].to_vec(), usizes(&case["shape"]), "{label}: shape");
    assert!(x.is_csr(), "{label}: not CSR");
    assert_eq!(x.indptr().raw_storage(), usizes(&case["indptr"]), "{label}: indptr");
    assert_eq!(x.indices(), usizes(&case["indices"]), "{label}: indices");
    let close = |a: f64, b: f64| if tfidf { (a - b).abs() <= 1e-12 } else { a == b };
    if !case["data"].is_null() {
        let expected = floats(&case["data"]);
        assert_eq!(x.data().len(), expected.len(), "{label}: nnz");
        for (k, (&a, &b)) in x.data().iter().zip(&expected).enumerate() {
            assert!(close(a, b), "{label}: entry {k}: ours {a:e}, scikit-learn {b:e}");
        }
    } else {
        let sums = floats(&case["row_sums"]);
        let sumsq = floats(&case["row_sumsq"]);
        for (i, row) in x.outer_iterator().enumerate() {
            let s: f64 = row.data().iter().sum();
            let q: f64 = row.data().iter().map(|v| v * v).sum();
            assert!((s - sums[i]).abs() <= 1e-12, "{label}: row {i} sum {s} vs {}", sums[i]);
            assert!((q - sumsq[i]).abs() <= 1e-12, "{label}: row {i} sum of squares");
        }
    }
    match (case.get("idf"), idf) {
        (Some(Value::Array(_)), Some(ours)) => {
            let theirs = floats(&case["idf"]);
            assert_eq!(ours.len(), theirs.len(), "{label}: idf length");
            for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert!((a - b).abs() <= 1e-12, "{label}: idf[{j}] {a} vs {b}");
            }
        }
        (Some(Value::Null), None) | (None, None) => {}
        (expected, ours) => panic!("{label}: idf {expected:?} vs ours {}", ours.is_some()),
    }
}

#[test]
fn handmade_texts_match_scikit_learn() {
    let fx = fixture("small.json.gz");
    let docs = strings(&fx["docs"]);
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for (n, case) in cases.iter().enumerate() {
        let label = format!("case {n} {}", case["params"]);
        let mut v = Vectorizer::from_params(&case["params"]);
        let x = match case.get("fit_on").and_then(Value::as_str) {
            Some("even") => {
                let even: Vec<String> = docs.iter().step_by(2).cloned().collect();
                let odd: Vec<String> = docs.iter().skip(1).step_by(2).cloned().collect();
                v.fit(&even);
                v.transform(&odd)
            }
            _ => v.fit_transform(&docs),
        };
        check_case(case, &x, &v.names(), v.idf(), &label);
    }
}

#[test]
fn analyzer_tokens_match_scikit_learn() {
    let fx = fixture("small.json.gz");
    let cv = CountVectorizer::new();
    for (doc, expected) in strings(&fx["docs"]).iter().zip(fx["analyzed"].as_array().unwrap()) {
        assert_eq!(cv.analyze(doc), strings(expected), "{doc:?}");
    }
}
