//! The lesson's headline numbers from the crate's own pipeline: `lesson_corpus` +
//! `TfidfVectorizer` (stop words English) -> randomized SVD and NMF, as in the lesson.
//! Needs the real corpus: set `TOPICMOD_DATA` to the 20 Newsgroups archive.

use topicmod::corpus::{lesson_corpus, Subset};
use topicmod::nmf::{Init, Nmf};
use topicmod::randomized::randomized_svd;
use topicmod::text::{CountVectorizer, StopWords, TfidfVectorizer};
use topicmod::Csr;

fn corpus() -> Vec<String> {
    let path = std::env::var("TOPICMOD_DATA")
        .expect("TOPICMOD_DATA must name the 20 Newsgroups archive for this test");
    assert!(
        std::path::Path::new(&path).exists(),
        "TOPICMOD_DATA={path} does not exist"
    );
    lesson_corpus(Subset::Train).expect("lesson corpus").data
}

fn tfidf(docs: &[String]) -> (Csr, Vec<String>) {
    let mut tv = TfidfVectorizer::new().stop_words(StopWords::English);
    let x = tv.fit_transform(docs).expect("tf-idf");
    let vocab = tv.get_feature_names_out().expect("vocabulary").to_vec();
    (x, vocab)
}

fn fixture_tfidf() -> Csr {
    use std::io::Read;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/nmf/lesson_matrices.json.gz"
    );
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("fixture file"))
        .read_to_string(&mut s)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    let list = |k: &str| -> Vec<usize> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    let data = v["tfidf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let shape = list("shape");
    Csr::new((shape[0], shape[1]), list("indptr"), list("indices"), data)
}

#[test]
fn lesson_nmf_and_randomized_svd_from_the_crate_pipeline() {
    let docs = corpus();
    let (x, vocab) = tfidf(&docs);
    assert_eq!((x.rows(), x.cols()), (2034, 26576));
    // Same matrix as the scikit-learn fixture the other NMF / randomized tests use.
    let fixture = fixture_tfidf();
    assert_eq!(x.indptr().raw_storage(), fixture.indptr().raw_storage());
    assert_eq!(x.indices(), fixture.indices());
    let diff = x
        .data()
        .iter()
        .zip(fixture.data())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("max |tf-idf (crate) - tf-idf (scikit-learn)| = {diff:.2e}");
    assert!(diff < 1e-12);

    let svd = randomized_svd(&x, 5, Some(1)).unwrap();
    let sk = [
        5.192037908885861,
        3.544300501185961,
        3.073652625171663,
        2.853087700674672,
        2.698660513125219,
    ];
    for (s, e) in svd.s.iter().zip(sk) {
        assert!((s - e).abs() < 1e-8, "{s} vs scikit-learn {e}");
    }
    let topics = topicmod::topics::show_topics(&svd.vt, &vocab, 8).unwrap();
    println!("randomized SVD topics: {topics:#?}");
    assert!(topics
        .iter()
        .any(|t| t.starts_with("space nasa launch shuttle")));

    let mut model = Nmf::new(5).init(Init::Nndsvd).random_state(Some(1));
    model.fit(&x).unwrap();
    let err = model.reconstruction_err().unwrap();
    println!("NMF: error {err:.12}, n_iter {}", model.n_iter().unwrap());
    assert!((err - 43.712926057952).abs() < 1e-8);
    assert_eq!(model.n_iter().unwrap(), 33);
    let topics = topicmod::topics::show_topics(model.components().unwrap(), &vocab, 8).unwrap();
    println!("NMF topics: {topics:#?}");
    assert!(topics
        .iter()
        .any(|t| t.starts_with("space nasa launch shuttle")));
    assert!(topics.iter().any(|t| t.starts_with("ico bobbe tek")));

    let mut cv = CountVectorizer::new().stop_words(StopWords::English);
    let counts = cv.fit_transform(&docs).unwrap();
    let mut model = Nmf::new(5).init(Init::Nndsvd).random_state(Some(1));
    model.fit(&counts).unwrap();
    let topics = topicmod::topics::show_topics(model.components().unwrap(), &vocab, 8).unwrap();
    println!("NMF on counts: {topics:#?}");
    assert_eq!(topics[0], "jpeg image gif file color images format quality");
    assert!((model.reconstruction_err().unwrap() - 683.39934862159).abs() < 1e-7);
}
