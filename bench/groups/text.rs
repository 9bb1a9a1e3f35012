//! Benchmark rows for the `text` group (see bench/main.rs): vectorizing the
//! lesson's training posts with English stop words.

use crate::{median_time, Ctx, Row};
use topicmod::text::{CountVectorizer, StopWords, TfidfVectorizer};

pub fn run(ctx: &mut Ctx, rows: &mut Vec<Row>) -> topicmod::Result<()> {
    let docs = ctx.train()?.data.clone();
    // Warm up once (and surface errors), then time.
    CountVectorizer::new()
        .stop_words(StopWords::English)
        .fit_transform(&docs)?;
    let secs = median_time(15, || {
        let mut cv = CountVectorizer::new().stop_words(StopWords::English);
        std::hint::black_box(cv.fit_transform(&docs).expect("warm-up succeeded"));
    });
    rows.push(Row::new("count vectorizing", secs).target(1.0));

    TfidfVectorizer::new()
        .stop_words(StopWords::English)
        .fit_transform(&docs)?;
    let secs = median_time(15, || {
        let mut tv = TfidfVectorizer::new().stop_words(StopWords::English);
        std::hint::black_box(tv.fit_transform(&docs).expect("warm-up succeeded"));
    });
    rows.push(Row::new("tf-idf vectorizing", secs).target(1.0));
    Ok(())
}
