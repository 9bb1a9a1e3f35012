//! The lesson's headline numbers from the crate's own pipeline: `lesson_corpus` +
//! `TfidfVectorizer` (stop words English) -> randomized SVD and NMF, as in the lesson.
//! Needs the real corpus: set `TOPICMOD_DATA` to the 20 Newsgroups archive.

mod common;

use common::{
    assert_same_csr_structure, lesson_counts, lesson_fixture, lesson_tfidf, lesson_train_docs,
};
use topicmod::nmf::{Init, Nmf};
use topicmod::randomized::randomized_svd;

#[test]
fn lesson_nmf_and_randomized_svd_from_the_crate_pipeline() {
    let docs = lesson_train_docs();
    let (x, vocab) = lesson_tfidf(&docs);
    assert_eq!((x.rows(), x.cols()), (2034, 26576));
    // Same matrix as the scikit-learn fixture the other NMF / randomized tests use.
    let (fixture, _, _) = lesson_fixture();
    let diff = assert_same_csr_structure(&x, &fixture, "tf-idf (crate) vs scikit-learn");
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

    let (counts, _) = lesson_counts(&docs);
    let mut model = Nmf::new(5).init(Init::Nndsvd).random_state(Some(1));
    model.fit(&counts).unwrap();
    let topics = topicmod::topics::show_topics(model.components().unwrap(), &vocab, 8).unwrap();
    println!("NMF on counts: {topics:#?}");
    assert_eq!(topics[0], "jpeg image gif file color images format quality");
    assert!((model.reconstruction_err().unwrap() - 683.39934862159).abs() < 1e-7);
}
