//! Bench rows: scikit-learn-style NMF (coordinate descent, NNDSVD init) on the lesson's TF-IDF,
//! and mini-batch NMF (scikit-learn's defaults: batches of 1024 rows, NNDSVDa init) on the
//! lesson's counts.

use topicmod::nmf::{Init, MiniBatchNmf, Nmf};

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
    rows.push(Row::new("NMF cd nndsvd k=5 (sparse tf-idf)", secs).target(1.0));

    // 200 passes of two batches (1024 + 1010 rows): 400 mini-batch steps.
    let counts = ctx.counts()?.clone();
    let fit = || {
        MiniBatchNmf::new(5)
            .random_state(Some(1))
            .fit_transform(&counts)
    };
    fit()?;
    let secs = median_time(5, || {
        let _ = fit();
    });
    rows.push(Row::new("MiniBatchNMF k=5 (sparse counts)", secs).target(1.0));
    Ok(())
}
