//! The OpenBLAS thread-count switch behind [`SingleThreadedBlas`] (foreign calls, so
//! `unsafe`).

/// While alive, OpenBLAS runs single-threaded; the previous thread count comes back on drop.
///
/// Held by the sparse paths of randomized SVD and NMF, whose heavy work runs on the crate's
/// own threaded kernels and whose BLAS calls are small (a QR or SVD of a `26576 x 15`
/// block): threading those gains nothing, and OpenBLAS's worker threads keep spinning for a
/// while after every threaded call, taking a core from the kernels that follow. The setting
/// is process-wide, so BLAS work running concurrently in other threads is single-threaded
/// meanwhile (slower, never different).
pub(crate) struct SingleThreadedBlas(std::os::raw::c_int);

extern "C" {
    fn openblas_get_num_threads() -> std::os::raw::c_int;
    fn openblas_set_num_threads(n: std::os::raw::c_int);
}

impl SingleThreadedBlas {
    pub(crate) fn new() -> Self {
        // SAFETY: both functions only read or write OpenBLAS's thread-count setting.
        let before = unsafe { openblas_get_num_threads() };
        if before > 1 {
            // SAFETY: as above; 1 is a valid thread count.
            unsafe { openblas_set_num_threads(1) };
        }
        SingleThreadedBlas(before)
    }
}

impl Drop for SingleThreadedBlas {
    fn drop(&mut self) {
        if self.0 > 1 {
            // SAFETY: as in `new`; `self.0` is the count OpenBLAS itself reported.
            unsafe { openblas_set_num_threads(self.0) };
        }
    }
}
