//! Loading libtorch's CUDA backend, so that a program sees the GPU.
//!
//! libtorch keeps its CUDA code in a library of its own, `libtorch_cuda.so`, which
//! registers the CUDA backend with the rest of libtorch when it is loaded. `tch` asks the
//! linker for it, but nothing in a Rust program calls into it by name, and the linker
//! (`--as-needed`, the default on most Linux systems) drops every library that no symbol is
//! taken from. So a test binary, a program or a notebook cell built on `tch` loads
//! `libtorch_cpu.so` only, and libtorch then reports no GPU even on a machine with one.
//!
//! [`load_cuda_backend`] loads the CUDA library from the folder of the `libtorch_cpu.so`
//! this process runs with (so the two always come from the same PyTorch install), once per
//! process. It must run before anything asks libtorch about CUDA: libtorch looks its
//! CUDA backend up once and keeps the answer. [`super::pick_device`] calls it first.
//!
//! This file holds the torch module's only `unsafe` code: the call to `dlopen`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What [`load_cuda_backend`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CudaLibrary {
    /// The CUDA library is loaded (by this call or before it); its path.
    Loaded(PathBuf),
    /// This libtorch has no CUDA library beside it: a CPU-only build.
    Absent,
    /// The CUDA library is there but the system's loader refused it; its path and why.
    LoadFailed(PathBuf, String),
}

const CPU_LIBRARY: &str = "libtorch_cpu.so";
const CUDA_LIBRARY: &str = "libtorch_cuda.so";

/// Loads `libtorch_cuda.so` into this process if the libtorch in use ships it (once per
/// process; later calls return the first answer).
pub fn load_cuda_backend() -> &'static CudaLibrary {
    static LOADED: OnceLock<CudaLibrary> = OnceLock::new();
    LOADED.get_or_init(|| {
        if let Some(path) = loaded_library(CUDA_LIBRARY) {
            return CudaLibrary::Loaded(path);
        }
        // Beside the libtorch_cpu.so in use; without one in the memory map (a platform
        // without /proc), the loader's own search path (LD_LIBRARY_PATH, rpath).
        let candidate = match loaded_library(CPU_LIBRARY) {
            Some(cpu) => cpu.with_file_name(CUDA_LIBRARY),
            None => PathBuf::from(CUDA_LIBRARY),
        };
        if candidate.is_absolute() && !candidate.exists() {
            return CudaLibrary::Absent;
        }
        match dlopen_global(&candidate) {
            Ok(()) => CudaLibrary::Loaded(loaded_library(CUDA_LIBRARY).unwrap_or(candidate)),
            Err(_) if !candidate.is_absolute() => CudaLibrary::Absent,
            Err(e) => CudaLibrary::LoadFailed(candidate, e),
        }
    })
}

/// The path of the loaded shared library whose file name is `name`, from this process's
/// memory map (`/proc/self/maps`, Linux).
pub fn loaded_library(name: &str) -> Option<PathBuf> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .map(Path::new)
        .find(|p| p.file_name().is_some_and(|f| f == name))
        .map(Path::to_path_buf)
}

/// `dlopen(path, RTLD_NOW | RTLD_GLOBAL)`; the library stays loaded for the life of the
/// process (it is never closed: libtorch keeps pointers into it).
#[cfg(unix)]
fn dlopen_global(path: &Path) -> Result<(), String> {
    use std::ffi::{CStr, CString};
    use std::os::unix::ffi::OsStrExt;
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("{} holds a NUL byte", path.display()))?;
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call. Loading
    // runs the library's initializers, which only register libtorch's CUDA backend (the
    // same happens when PyTorch imports it). `dlerror` returns a thread-local string that
    // is copied out at once, before any other dl* call on this thread.
    unsafe {
        let handle = libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL);
        if handle.is_null() {
            let err = libc::dlerror();
            return Err(if err.is_null() {
                "dlopen failed".to_string()
            } else {
                CStr::from_ptr(err).to_string_lossy().into_owned()
            });
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn dlopen_global(path: &Path) -> Result<(), String> {
    Err(format!(
        "{}: loading libraries at run time is Linux-only here",
        path.display()
    ))
}
