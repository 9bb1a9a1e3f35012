//! Benchmark rows for the `sgd` group (see bench/main.rs): the lesson's
//! gradient-descent NMF, 50 updates from the lesson's start (`d = 5`, seed 0).
//! Both rows are compared with NumPy's 50 *dense* updates (bench/groups/sgd.py).

use topicmod::sgd::{positive_random_init, upd_with, GdParams, Penalty, LESSON_D};

use crate::{median_time, Ctx, Row};

const STEPS: usize = 50;

pub fn run(ctx: &mut Ctx, rows: &mut Vec<Row>) -> topicmod::Result<()> {
    let csr = ctx.tfidf()?.clone();
    let (m, n) = csr.shape();
    // the lesson's code as written (column-minimum penalty), like the NumPy side
    let params = GdParams::lesson().penalty(Penalty::ColumnMin);
    let (w0, h0) = positive_random_init(m, n, LESSON_D, 0)?;

    // sparse-aware: never forms W H - M
    let mut err = None;
    let t = median_time(3, || {
        let (mut w, mut h) = (w0.clone(), h0.clone());
        for _ in 0..STEPS {
            if let Err(e) = upd_with(&csr, &mut w, &mut h, &params) {
                err = Some(e);
                return;
            }
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    rows.push(Row::new("50 sparse-aware GD updates", t));

    // dense: the same matrix as a dense float64 array, as in the lesson's NumPy section
    let dense = csr.to_dense();
    let t = median_time(1, || {
        let (mut w, mut h) = (w0.clone(), h0.clone());
        for _ in 0..STEPS {
            if let Err(e) = upd_with(&dense, &mut w, &mut h, &params) {
                err = Some(e);
                return;
            }
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    rows.push(Row::new("50 dense GD updates", t));
    Ok(())
}
