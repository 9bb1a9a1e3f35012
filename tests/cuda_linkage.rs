//! libtorch's CUDA backend, as a crate built on `topicmod` sees it.
//!
//! A program built against `tch` does not load `libtorch_cuda.so` by itself (the linker
//! drops a library no symbol is taken from), and without it libtorch reports no GPU on a
//! machine that has one. `topicmod::torch::pick_device` loads it. This test builds a small
//! crate that depends on `topicmod` the way a notebook cell does (a path dependency with
//! the `torch` feature), runs it without and with `pick_device`, and compares what it finds
//! with what PyTorch says in the same environment. It needs no GPU: on a CPU-only machine
//! with a CUDA build of PyTorch, the backend must still be loaded, and libtorch must then
//! answer "no GPU" rather than "no CUDA library".
#![cfg(feature = "torch")]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const MAIN_RS: &str = r#"
use topicmod::torch::tch::{self, Device, Kind, Tensor};
use topicmod::torch::{loaded_library, pick_device};

fn main() {
    let pick = std::env::args().nth(1).as_deref() == Some("pick");
    if pick {
        let choice = pick_device();
        println!("backend={:?}", choice.backend);
        println!("says={choice}");
    }
    println!("cuda_library_loaded={}", loaded_library("libtorch_cuda.so").is_some());
    println!("cuda_available={}", tch::Cuda::is_available());
    match Tensor::f_zeros([1], (Kind::Float, Device::Cuda(0))) {
        Ok(_) => println!("cuda_tensor=ok"),
        // The message alone, without libtorch's stack trace.
        Err(e) => {
            let text = e.to_string().replace('\n', " ");
            let message = text.split(" Exception raised from").next().unwrap_or_default();
            println!("cuda_tensor={}", message.chars().take(160).collect::<String>());
        }
    }
}
"#;

/// The manifest: the repository's own profiles, so that the dependencies already built
/// into the shared target folder by `cargo test --features torch` are reused.
fn manifest(repo: &Path) -> String {
    let ours = fs::read_to_string(repo.join("Cargo.toml")).unwrap();
    let profiles = &ours[ours.find("[profile.").expect("profiles in Cargo.toml")..];
    format!(
        "[package]\nname = \"topicmod_downstream\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\ntopicmod = {{ path = {:?}, features = [\"torch\"] }}\n\n[workspace]\n\n{profiles}",
        repo.display().to_string()
    )
}

/// Writes `text` to `path` unless it holds it already (so cargo sees nothing new).
fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).unwrap();
    }
}

/// `key=value` lines of the program's output.
fn field<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= line in:\n{out}"))
}

/// What PyTorch (the `python` that tch's build used) says: (built with CUDA, GPU available).
fn pytorch_says() -> (bool, bool) {
    let python = std::env::var("PYTHON_SYS_EXECUTABLE").unwrap_or_else(|_| "python".into());
    let out = Command::new(&python)
        .args([
            "-c",
            "import torch; print(torch.version.cuda is not None, torch.cuda.is_available())",
        ])
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{python} could not import torch: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let words: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(words.len(), 2, "unexpected answer from PyTorch: {text}");
    (words[0] == "True", words[1] == "True")
}

#[test]
fn a_downstream_crate_loads_the_cuda_backend_through_pick_device() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo.join("target"));
    // A fixed folder, so that a second run reuses the first one's build of topicmod (cargo
    // keys a path dependency's build by its path relative to the workspace).
    let dir = target.join("downstream-crate");
    fs::create_dir_all(dir.join("src")).unwrap();
    write_if_changed(&dir.join("Cargo.toml"), &manifest(repo));
    write_if_changed(&dir.join("src/main.rs"), MAIN_RS);
    // The repository's lock file: the same dependency versions as the test build.
    write_if_changed(
        &dir.join("Cargo.lock"),
        &fs::read_to_string(repo.join("Cargo.lock")).unwrap(),
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let t0 = std::time::Instant::now();
    let build = Command::new(&cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "building the downstream crate failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    println!(
        "downstream crate built in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let exe = target.join("debug/topicmod_downstream");
    let run = |arg: &str| {
        let out = Command::new(&exe).arg(arg).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{} {arg}: {}\n{}",
            exe.display(),
            text,
            String::from_utf8_lossy(&out.stderr)
        );
        println!("--- {arg}\n{text}");
        text
    };
    let plain = run("plain");
    let picked = run("pick");
    let (cuda_build, gpu) = pytorch_says();
    println!("PyTorch: built with CUDA {cuda_build}, GPU available {gpu}");

    // What pick_device fixes: left alone, the program has no CUDA backend.
    assert_eq!(field(&plain, "cuda_library_loaded"), "false", "{plain}");
    assert_eq!(field(&plain, "cuda_available"), "false", "{plain}");
    // libtorch has no CUDA kernels registered: "Could not run 'aten::empty.memory_format'
    // with arguments from the 'CUDA' backend".
    const NO_CUDA_KERNELS: &str = "from the 'CUDA' backend";
    assert!(
        field(&plain, "cuda_tensor").contains(NO_CUDA_KERNELS),
        "{plain}"
    );

    // After pick_device: the library is loaded whenever this PyTorch ships it, and
    // libtorch agrees with PyTorch about the GPU.
    assert_eq!(
        field(&picked, "cuda_library_loaded"),
        cuda_build.to_string(),
        "{picked}"
    );
    assert_eq!(
        field(&picked, "cuda_available"),
        gpu.to_string(),
        "{picked}"
    );
    let backend = field(&picked, "backend");
    match (cuda_build, gpu) {
        (true, true) => {
            assert!(backend.starts_with("Cuda {"), "{picked}");
            assert_eq!(field(&picked, "cuda_tensor"), "ok", "{picked}");
        }
        (true, false) => {
            assert_eq!(backend, "CudaWithoutGpu", "{picked}");
            // libtorch now has its CUDA kernels: it fails for want of a GPU or driver.
            let err = field(&picked, "cuda_tensor");
            assert!(!err.contains(NO_CUDA_KERNELS), "{picked}");
        }
        (false, _) => assert_eq!(backend, "CpuOnly", "{picked}"),
    }
    assert!(field(&picked, "says").ends_with('.'), "{picked}");
}
