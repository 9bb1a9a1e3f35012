//! Bench rows: scikit-learn-style NMF (coordinate descent, NNDSVD init) on the lesson's TF-IDF.

use topicmod::nmf::{Init, Nmf};

use crate::{median_time, Ctx, Row};

pub fn run(ctx: &mut Ctx, rows: &mut Vec<Row>) -> topicmod::Result<()> {
    let x = ctx.tfidf()?.clone();
    let fit = || {
        Nmf::new(5)
            .init(Init::Nndsvd)
            .random_state(Some(1))
            .fit_transform(&x)
    };
    fit()?;
    let secs = median_time(5, || {
        let _ = fit();
    });
    rows.push(Row::new("NMF cd nndsvd k=5 (sparse tf-idf)", secs));
    Ok(())
}
