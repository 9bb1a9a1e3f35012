//! `scripts/cell-build/cargo`, the notebook kernel's shortcut past cargo for cell builds,
//! driven the way evcxr drives it: a cell crate named `ctx` (a cdylib) with a local path
//! dependency, rebuilt after each change. A build took the shortcut when the script wrote
//! the library's path to `EVCXR_EXECUTION_SO_PATH` (cargo itself never does, in the
//! kernel's configuration); each check also reads the library it built.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use common::TempDir;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/cell-build")
        .join(name)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// A cell crate as evcxr writes it, depending on the crate in `dep`.
fn write_slot(slot: &Path, dep: &Path) {
    fs::create_dir_all(slot.join("src")).unwrap();
    fs::write(
        slot.join("Cargo.toml"),
        format!(
            "\n[package]\nname = \"ctx\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n[lib]\n\
             crate-type = [\"cdylib\"]\npath = \"src/lib.rs\"\n\n[dependencies]\n\
             celldep = {{ path = \"{}\" }}\n",
            dep.display()
        ),
    )
    .unwrap();
}

fn write_dep(dep: &Path, version: u32) {
    fs::create_dir_all(dep).unwrap();
    fs::write(
        dep.join("Cargo.toml"),
        "[package]\nname = \"celldep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\npath = \"lib.rs\"\n",
    )
    .unwrap();
    let lib = dep.join("lib.rs");
    fs::write(
        &lib,
        format!("pub const NAME: &str = \"celldep_version_{version}\";\n"),
    )
    .unwrap();
    if version == 1 {
        // Written well before the first build, even on a file system with a coarse clock.
        let earlier = SystemTime::now() - Duration::from_secs(10);
        for f in [dep.join("Cargo.toml"), lib] {
            fs::File::options()
                .write(true)
                .open(f)
                .unwrap()
                .set_modified(earlier)
                .unwrap();
        }
    } else {
        // A change; the builds that follow start at a later second.
        std::thread::sleep(Duration::from_millis(1100));
    }
}

/// The `n`th cell: its library exports `topicmod_cell_<n>`, which holds the dependency's NAME.
fn write_cell(slot: &Path, n: u32) {
    fs::write(
        slot.join("src/lib.rs"),
        format!("#[no_mangle]\npub static topicmod_cell_{n}: &str = celldep::NAME;\n"),
    )
    .unwrap();
}

struct Build {
    out: Output,
    /// The library's path, as the script reported it (`Some` only for the shortcut).
    reported: Option<PathBuf>,
}

impl Build {
    fn ok(&self) -> bool {
        self.out.status.success()
    }

    fn text(&self) -> String {
        format!(
            "exit {:?}\nstdout: {}\nstderr: {}",
            self.out.status,
            String::from_utf8_lossy(&self.out.stdout),
            String::from_utf8_lossy(&self.out.stderr)
        )
    }

    /// The bytes of the library this build made: where the script said, or cargo's copy.
    fn library(&self, slot: &Path) -> Vec<u8> {
        let path = self
            .reported
            .clone()
            .unwrap_or_else(|| slot.join("target/debug/libctx.so"));
        fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }
}

/// `cargo build --message-format=json` in the slot through the script, as evcxr runs it;
/// `cell` false leaves out EVCXR_EXECUTION_SO_PATH, so that it is not a cell build.
fn build(slot: &Path, cell: bool) -> Build {
    let so_path_file = slot.join(".evcxr-execution-so");
    let _ = fs::remove_file(&so_path_file);
    let mut cmd = Command::new(script("cargo"));
    cmd.args(["build", "--message-format=json"])
        .current_dir(slot)
        .env("TOPICMOD_CARGO", cargo())
        .env("CARGO_TARGET_DIR", "target")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("TOPICMOD_CELL_RECORD");
    if cell {
        cmd.env("EVCXR_EXECUTION_SO_PATH", &so_path_file);
    } else {
        cmd.env_remove("EVCXR_EXECUTION_SO_PATH");
    }
    let out = cmd.output().expect("run scripts/cell-build/cargo");
    let reported = fs::read_to_string(&so_path_file).ok().map(PathBuf::from);
    Build { out, reported }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Writes and builds cell `n`, which must build, by the shortcut or through cargo as
/// `shortcut` says; returns its library's bytes.
fn cell(slot: &Path, n: u32, shortcut: bool) -> Vec<u8> {
    write_cell(slot, n);
    let b = build(slot, true);
    let how = if shortcut {
        "the shortcut"
    } else {
        "a build through cargo"
    };
    assert!(
        b.ok() && b.reported.is_some() == shortcut,
        "cell {n}, expected {how}:\n{}",
        b.text()
    );
    if let Some(so) = &b.reported {
        assert!(so.ends_with("deps/libctx.so"), "reported {}", so.display());
    }
    let lib = b.library(slot);
    assert!(
        contains(&lib, &format!("topicmod_cell_{n}")),
        "cell {n}'s library is not cell {n}'s"
    );
    lib
}

#[test]
fn cell_builds_skip_cargo_only_while_nothing_but_the_cell_changes() {
    let tmp = TempDir::new("cell-build");
    let (slot, dep) = (tmp.path().join("slot"), tmp.path().join("dep"));
    write_dep(&dep, 1);
    write_slot(&slot, &dep);

    // 1. The first build goes through cargo and records the cell's rustc command.
    cell(&slot, 1, false);
    assert!(
        slot.join(".topicmod-cell-build/argv").is_file(),
        "no record after the first build"
    );

    // 2. Only the cell changed: the recorded rustc command builds it, without cargo.
    assert!(contains(&cell(&slot, 2, true), "celldep_version_1"));

    // 3. A cell that does not compile: rustc's errors reach evcxr as cargo would report them
    //    (JSON messages on stdout, exit status 101), and the record stays.
    fs::write(
        slot.join("src/lib.rs"),
        "pub fn broken() -> i32 { \"not a number\" }\n",
    )
    .unwrap();
    let b = build(&slot, true);
    assert!(
        b.out.status.code() == Some(101) && b.reported.is_none(),
        "a broken cell:\n{}",
        b.text()
    );
    let stdout = String::from_utf8_lossy(&b.out.stdout);
    let error = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|m| m["reason"] == "compiler-message" && m["message"]["level"] == "error")
        .unwrap_or_else(|| panic!("no compiler error message:\n{}", b.text()));
    assert_eq!(error["message"]["code"]["code"], "E0308", "{error}");
    cell(&slot, 4, true);

    // 4. A dependency's library removed behind the script's back: through cargo, which builds
    //    it again.
    for entry in fs::read_dir(slot.join("target/debug/deps")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("libcelldep-")
        {
            fs::remove_file(path).unwrap();
        }
    }
    cell(&slot, 5, false);

    // 5. A changed source of the path dependency: through cargo, which rebuilds it.
    write_dep(&dep, 2);
    assert!(contains(&cell(&slot, 6, false), "celldep_version_2"));
    assert!(contains(&cell(&slot, 7, true), "celldep_version_2"));

    // 6. A changed manifest (evcxr rewrites it for a new `:dep`): through cargo.
    let manifest = fs::read_to_string(slot.join("Cargo.toml")).unwrap();
    fs::write(slot.join("Cargo.toml"), manifest + "# a new :dep line\n").unwrap();
    cell(&slot, 8, false);
    cell(&slot, 9, true);

    // 7. `cargo metadata`, which evcxr runs for a `:dep` line, keeps the record (the manifest
    //    and lock file it reads are part of the key); any other cargo command in the slot goes
    //    to cargo and forgets the record.
    let out = Command::new(script("cargo"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(&slot)
        .env("TOPICMOD_CARGO", cargo())
        .env("EVCXR_EXECUTION_SO_PATH", slot.join(".evcxr-execution-so"))
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.starts_with(b"{"),
        "cargo metadata failed"
    );
    cell(&slot, 10, true);
    write_cell(&slot, 11);
    let b = build(&slot, false);
    assert!(b.ok() && b.reported.is_none(), "{}", b.text());
    assert!(
        !slot.join(".topicmod-cell-build").exists(),
        "the record outlived another cargo command"
    );
}

#[test]
fn rustup_stand_in_names_the_cell_cargo_and_passes_the_rest_on() {
    let out = Command::new(script("rustup"))
        .args(["which", "cargo"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let named = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(
        fs::canonicalize(named).unwrap(),
        fs::canonicalize(script("cargo")).unwrap()
    );

    let out = Command::new(script("rustup"))
        .args(["which", "rustc"])
        .env("TOPICMOD_RUSTUP", "echo")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "which rustc");

    let out = Command::new(script("rustup"))
        .arg("--version")
        .env_remove("TOPICMOD_RUSTUP")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(127),
        "without a real rustup it must fail as a missing one"
    );
}
