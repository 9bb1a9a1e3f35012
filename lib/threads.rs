//! The crate's one thread policy: how many threads its own kernels may use, when a piece
//! of work is big enough to be split, and the scoped runners that split it.
//!
//! - **Count.** [`max_threads`]: `TOPICMOD_NUM_THREADS` when set to a positive number,
//!   else one per core, at most 8.
//! - **Thresholds.** A kernel splits its work only when it is worth a thread start (tens
//!   of microseconds). Each kind of work has its size limit here, in the unit the kernel
//!   counts, so all of them can be read and tuned in one place.
//! - **Runners.** `run_jobs` runs closures on scoped threads (the first on the caller);
//!   `map_chunks` maps a slice in contiguous chunks of about equal weight.
//!
//! Splitting never changes a result: every kernel that splits either writes disjoint
//! rows or adds partial sums in a grouping that does not depend on the thread count.

/// Multiply-adds (`nnz * k`) below which a sparse-dense product stays on one thread.
pub(crate) const SPARSE_PRODUCT_MIN_WORK: usize = 1 << 17;
/// Multiply-adds (`rows * k * k`) below which a Gram matrix `AᵀA` stays on one thread.
pub(crate) const GRAM_MIN_WORK: usize = 1 << 17;
/// Entries (`rows * cols`) below which an elementwise pass over a dense matrix stays on one thread.
pub(crate) const DENSE_PASS_MIN_WORK: usize = 1 << 20;
/// Bytes of text below which tokenizing and counting stay on one thread.
pub(crate) const TEXT_MIN_BYTES: usize = 1 << 18;

/// Threads the crate's own kernels may use: `TOPICMOD_NUM_THREADS` when set to a positive
/// number, else the number of cores (at most 8). Read once.
pub fn max_threads() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("TOPICMOD_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|c| c.get())
                    .unwrap_or(1)
                    .min(8)
            })
    })
}

/// How many pieces to cut `work` into: one below `min_work`, else [`max_threads`].
pub(crate) fn threads_for(work: usize, min_work: usize) -> usize {
    if work < min_work {
        1
    } else {
        max_threads()
    }
}

/// Runs `jobs` on scoped threads, the first one on the calling thread, and waits for all.
pub(crate) fn run_jobs<F: FnOnce() + Send>(jobs: impl IntoIterator<Item = F>) {
    std::thread::scope(|scope| {
        let mut jobs = jobs.into_iter();
        let first = jobs.next();
        for job in jobs {
            scope.spawn(job);
        }
        if let Some(job) = first {
            job();
        }
    });
}

/// Runs `f` on up to `threads` contiguous chunks of `items` of about equal total
/// `weight`, in parallel, and returns the results in order. Inputs lighter than
/// `min_weight` (or with fewer than two items a thread) are one chunk on this thread.
pub(crate) fn map_chunks<S, T, F>(
    items: &[S],
    weight: impl Fn(&S) -> usize,
    threads: usize,
    min_weight: usize,
    f: F,
) -> Vec<T>
where
    S: Sync,
    T: Send,
    F: Fn(&[S]) -> T + Sync,
{
    let total: usize = items.iter().map(&weight).sum();
    if threads < 2 || total < min_weight || items.len() < 2 * threads {
        return vec![f(items)];
    }
    let mut bounds = vec![0];
    let mut acc = 0;
    for (i, item) in items.iter().enumerate() {
        acc += weight(item);
        if acc * threads >= total * bounds.len() && bounds.len() < threads {
            bounds.push(i + 1);
        }
    }
    if *bounds.last().unwrap_or(&0) != items.len() {
        bounds.push(items.len());
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| scope.spawn(move || f(&items[w[0]..w[1]])))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_order_and_cover_every_item() {
        let items: Vec<usize> = (0..1000).collect();
        let sums = map_chunks(&items, |_| 1, 4, 10, |c| c.to_vec());
        assert!(sums.len() > 1);
        let flat: Vec<usize> = sums.into_iter().flatten().collect();
        assert_eq!(flat, items);
    }

    #[test]
    fn light_inputs_stay_in_one_chunk() {
        let items = [1usize, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(map_chunks(&items, |_| 1, 4, 100, |c| c.len()), vec![8]);
        assert_eq!(threads_for(10, 100), 1);
        assert_eq!(threads_for(100, 100), max_threads());
    }
}
