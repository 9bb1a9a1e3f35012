//! Bench rows: randomized SVD of the lesson's TF-IDF matrix.

use topicmod::randomized::randomized_svd;

use crate::{median_time, Ctx, Row};

pub fn run(ctx: &mut Ctx, rows: &mut Vec<Row>) -> topicmod::Result<()> {
    let x = ctx.tfidf()?.clone();
    // Surface errors once, then time (scikit-learn's call uses random_state=None;
    // a fixed seed costs the same).
    randomized_svd(&x, 5, Some(0))?;
    let secs = median_time(7, || {
        let _ = randomized_svd(&x, 5, Some(0));
    });
    rows.push(Row::new("randomized SVD k=5 (sparse tf-idf)", secs).target(1.0));
    Ok(())
}
