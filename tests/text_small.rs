//! `text` against scikit-learn on small inputs: Python's word characters and lower-casing
//! over all of Unicode, and a hand-made set of texts under many vectorizer settings.
//! Fixtures: tests/fixtures/make_text.py.

mod common;

use common::strings;
use common::vectorizer::{check_case, Vectorizer};
use serde_json::Value;
use topicmod::text::{is_word_char, python_lower, tokens, CountVectorizer};

fn fixture(name: &str) -> Value {
    common::fixture_json(&format!("text/{name}"))
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
        let Some(ch) = char::from_u32(c) else {
            continue;
        };
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
        assert_eq!(
            is_word_char(char::from_u32(c).unwrap()),
            is_word(c),
            "U+{c:04X}"
        );
    }
    // Below U+3000 only two characters new in Unicode 16 differ (Cyrillic TJE, U+1C89/U+1C8A).
    assert!(
        newer_low.len() <= 2,
        "new characters below U+3000 differ: {newer_low:X?}"
    );
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
        let Some(ch) = char::from_u32(c) else {
            continue;
        };
        if unassigned(c) {
            continue;
        }
        let s = ch.to_string();
        let ours = python_lower(&s);
        let theirs = lower
            .get(&c.to_string())
            .map_or(s.as_str(), |v| v.as_str().unwrap());
        if ours != theirs {
            mismatches.push(format!("U+{c:04X}: {ours:?} vs {theirs:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:?}");
    for pair in fx["lower_strings"].as_array().unwrap() {
        assert_eq!(
            python_lower(pair[0].as_str().unwrap()),
            pair[1].as_str().unwrap()
        );
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
    for (doc, expected) in strings(&fx["docs"])
        .iter()
        .zip(fx["analyzed"].as_array().unwrap())
    {
        assert_eq!(cv.analyze(doc), strings(expected), "{doc:?}");
    }
}

/// A term the fitted documents never contain has idf = ln(n / 0) + 1 = inf without
/// smoothing. scikit-learn's normalizer refuses the infinite weight ("Input contains
/// infinity"); the crate returns an error too instead of NaN values, and keeps the
/// infinity when nothing is normalized, as scikit-learn does.
#[test]
fn an_infinite_idf_cannot_be_normalized() {
    use topicmod::text::{Norm, TfidfVectorizer};
    let fit_docs = ["aa bb"];
    let new_docs = ["zz aa"];
    let mut tv = TfidfVectorizer::new()
        .fixed_vocabulary(["aa", "zz"])
        .smooth_idf(false);
    tv.fit(&fit_docs).expect("fit");
    let err = tv
        .transform(&new_docs)
        .expect_err("an infinite weight in an L2 row");
    assert!(err.to_string().contains("infinite"), "{err}");

    let mut raw = TfidfVectorizer::new()
        .fixed_vocabulary(["aa", "zz"])
        .smooth_idf(false)
        .norm(Norm::None);
    raw.fit(&fit_docs).expect("fit");
    let x = raw
        .transform(&new_docs)
        .expect("no normalization, no error");
    let row: Vec<f64> = x.outer_view(0).unwrap().iter().map(|(_, &v)| v).collect();
    assert_eq!(row, [1.0, f64::INFINITY]);
}
