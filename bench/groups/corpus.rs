//! Benchmark rows for the `corpus` group (see bench/main.rs).
//!
//! "corpus load (warm)": `lesson_corpus(Subset::Train)` once the parsed cache exists
//! (the first call below builds it): read the cached training subset,
//! keep the four lesson groups, shuffle, decode latin-1 and strip headers, footers
//! and quotes.

use topicmod::corpus::{lesson_corpus, Subset};

use crate::{median_time, Ctx, Row};

pub fn run(_ctx: &mut Ctx, rows: &mut Vec<Row>) -> topicmod::Result<()> {
    let warm = lesson_corpus(Subset::Train)?;
    let mut err = None;
    let mut n = 0;
    let t = median_time(7, || match lesson_corpus(Subset::Train) {
        Ok(d) => n = d.len(),
        Err(e) => err = Some(e),
    });
    if let Some(e) = err {
        return Err(e);
    }
    debug_assert_eq!(n, warm.len());
    rows.push(Row::new("corpus load (warm)", t).target(1.0));
    Ok(())
}
