//! Benchmark rows for the `svd` group (see scripts/bench_rust.rs).

use crate::{Ctx, Row};

pub fn run(_ctx: &mut Ctx, _rows: &mut Vec<Row>) -> topicmod::Result<()> {
    Ok(())
}
