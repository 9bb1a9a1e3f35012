//! Benchmark rows for the `svd` group: the lesson's full thin SVD of the dense count matrix.

use crate::{median_time, Ctx, Row};
use topicmod::svd::svd;
use topicmod::{DataMatrix, Result};

pub fn run(ctx: &mut Ctx, rows: &mut Vec<Row>) -> Result<()> {
    let dense = ctx.counts()?.to_array();
    // One repetition: a full SVD of a 2034 x 26576 matrix takes seconds (12 to 35 s on the 2-core machines measured).
    let mut outcome = Ok(());
    let seconds = median_time(1, || {
        if let Err(e) = svd(&dense) {
            outcome = Err(e);
        }
    });
    outcome?;
    // Both sides call LAPACK's dgesdd: the ratio is mostly the system OpenBLAS against the
    // one SciPy's wheel bundles (newer kernels for newer CPUs), hence the looser target.
    rows.push(Row::new("full thin SVD (dense counts)", seconds).target(2.0));
    Ok(())
}
