//! Benchmark rows for the `gradient_descent` group (see bench/main.rs): the lesson's
//! gradient-descent NMF, 50 updates from the lesson's start (`d = 5`, seed 0).
//! Both rows are compared with NumPy's 50 *dense* updates (bench/groups/gradient_descent.py).

use topicmod::gradient_descent::{
    positive_random_init, GdParams, GradientDescent, Penalty, LESSON_D,
};

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
        match GradientDescent::new(&csr, w0.clone(), h0.clone(), params) {
            Ok(mut gd) => (0..STEPS).for_each(|_| gd.step()),
            Err(e) => err = Some(e),
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    rows.push(Row::new("50 sparse-aware GD updates", t).target(1.0));

    // dense: the same matrix as a dense float64 array, as in the lesson's NumPy section
    let dense = csr.to_dense();
    let t = median_time(1, || {
        match GradientDescent::new(&dense, w0.clone(), h0.clone(), params) {
            Ok(mut gd) => (0..STEPS).for_each(|_| gd.step()),
            Err(e) => err = Some(e),
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    rows.push(Row::new("50 dense GD updates", t).target(1.0));
    Ok(())
}
