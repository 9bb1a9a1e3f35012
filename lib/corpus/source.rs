//! Where the corpus comes from: finding it on disk, or downloading it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::cache::temp_path;
use super::raw::{TEST_FOLDER, TRAIN_FOLDER};
use crate::{Error, Result};

/// File name of the corpus archive.
pub const ARCHIVE_NAME: &str = "20news-bydate.tar.gz";

/// Where to download the archive from and what its SHA-256 must be.
///
/// [`ArchiveSource::canonical`] is the published archive (the figshare mirror
/// scikit-learn uses, then the original site); tests point it at a local server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveSource {
    /// URLs tried in order until one gives a file with the right checksum.
    pub urls: Vec<String>,
    /// Expected SHA-256 of the archive, lowercase hex.
    pub sha256: String,
}

impl ArchiveSource {
    /// The canonical 20 Newsgroups "bydate" archive (14 MB).
    pub fn canonical() -> Self {
        ArchiveSource {
            urls: vec![
                "https://ndownloader.figshare.com/files/5975967".into(),
                "http://qwone.com/~jason/20Newsgroups/20news-bydate.tar.gz".into(),
            ],
            sha256: "8f1b2514ca22a5ade8fbb9cfa5727df95fa587f4c87b786e15c759fa66d95610".into(),
        }
    }

    /// A single URL with its expected checksum.
    pub fn new(url: impl Into<String>, sha256: impl Into<String>) -> Self {
        ArchiveSource {
            urls: vec![url.into()],
            sha256: sha256.into(),
        }
    }
}

impl Default for ArchiveSource {
    fn default() -> Self {
        Self::canonical()
    }
}

/// Lowercase hex SHA-256 of a byte slice.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once('@').map(|x| x.1).unwrap_or(host);
    host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")
}

enum Attempt {
    Network(String),
    Mismatch(Error),
}

fn fetch_one(url: &str, source: &ArchiveSource, dest: &Path) -> std::result::Result<(), Attempt> {
    let mut cfg = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(60)));
    if is_loopback(url) {
        cfg = cfg.proxy(None);
    }
    let agent = ureq::Agent::new_with_config(cfg.build());
    let net = |e: &dyn std::fmt::Display| Attempt::Network(format!("{url}: {e}"));
    let resp = agent.get(url).call().map_err(|e| net(&e))?;
    let total = resp.body().content_length();
    let mut reader = resp.into_body().into_reader();
    let tmp = temp_path(dest);
    let result = (|| -> std::result::Result<String, Attempt> {
        let mut file = std::fs::File::create(&tmp)
            .map_err(|e| net(&format!("cannot create {}: {e}", tmp.display())))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut done: u64 = 0;
        let mut shown: u64 = 0;
        loop {
            let n = reader.read(&mut buf).map_err(|e| net(&e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n])
                .map_err(|e| net(&format!("writing {}: {e}", tmp.display())))?;
            done += n as u64;
            if done - shown >= 1 << 20 {
                shown = done;
                match total {
                    Some(t) if t > 0 => eprint!(
                        "\rdownloading {url}: {:.1} / {:.1} MB",
                        done as f64 / 1e6,
                        t as f64 / 1e6
                    ),
                    _ => eprint!("\rdownloading {url}: {:.1} MB", done as f64 / 1e6),
                }
            }
        }
        eprintln!("\rdownloaded {url}: {:.1} MB", done as f64 / 1e6);
        file.sync_all().map_err(|e| net(&e))?;
        Ok(hex(&hasher.finalize()))
    })();
    let actual = match result {
        Ok(h) => h,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if !actual.eq_ignore_ascii_case(&source.sha256) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Attempt::Mismatch(Error::ChecksumMismatch {
            path: dest.to_path_buf(),
            expected: source.sha256.to_lowercase(),
            actual,
        }));
    }
    std::fs::rename(&tmp, dest).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        net(&format!(
            "cannot move the download to {}: {e}",
            dest.display()
        ))
    })
}

/// Downloads the archive into `dir/20news-bydate.tar.gz` and returns that path.
///
/// Each URL is tried in turn. The body streams into a temporary file in `dir` while
/// its SHA-256 is computed; only a file with the expected checksum is renamed into
/// place, so `dir` never holds a partial or wrong archive. A wrong checksum gives
/// [`Error::ChecksumMismatch`] (after the other URLs were tried); network failures
/// give [`Error::Download`] with instructions for a manual download.
pub fn download_archive(source: &ArchiveSource, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let dest = dir.join(ARCHIVE_NAME);
    let mut failures = Vec::new();
    let mut mismatch = None;
    for url in &source.urls {
        eprintln!("downloading the 20 Newsgroups corpus from {url}");
        match fetch_one(url, source, &dest) {
            Ok(()) => return Ok(dest),
            Err(Attempt::Network(m)) => failures.push(m),
            Err(Attempt::Mismatch(e)) => mismatch = Some(e),
        }
    }
    if let Some(e) = mismatch {
        return Err(e);
    }
    Err(Error::Download(format!(
        "{}. Download {ARCHIVE_NAME} yourself (from {}) and either put it at {} or set \
         TOPICMOD_DATA to the path of the file.",
        if failures.is_empty() {
            "no URL to try".to_string()
        } else {
            failures.join("; ")
        },
        source
            .urls
            .first()
            .map(String::as_str)
            .unwrap_or("the 20 Newsgroups site"),
        dest.display()
    )))
}

/// What the corpus was found as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Data {
    /// The `.tar.gz` archive.
    Archive(PathBuf),
    /// A folder holding the extracted `20news-bydate-train/` and `-test/` folders.
    Folders(PathBuf),
}

/// Looks for the archive or the extracted folders in `dir`.
pub(crate) fn find_in(dir: &Path) -> Option<Data> {
    let archive = dir.join(ARCHIVE_NAME);
    if archive.is_file() {
        return Some(Data::Archive(archive));
    }
    if dir.join(TRAIN_FOLDER).is_dir() && dir.join(TEST_FOLDER).is_dir() {
        return Some(Data::Folders(dir.to_path_buf()));
    }
    None
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The per-user cache folder: `$TOPICMOD_CACHE`, else `$XDG_CACHE_HOME/topicmod`,
/// else `~/.cache/topicmod` (`%LOCALAPPDATA%\topicmod` on Windows).
pub fn default_cache_dir() -> Result<PathBuf> {
    if let Some(p) = env_path("TOPICMOD_CACHE") {
        return Ok(p);
    }
    if let Some(p) = env_path("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Ok(p.join("topicmod"));
    }
    if cfg!(windows) {
        if let Some(p) = env_path("LOCALAPPDATA") {
            return Ok(p.join("topicmod"));
        }
    }
    if let Some(home) = env_path("HOME").or_else(|| env_path("USERPROFILE")) {
        return Ok(home.join(".cache").join("topicmod"));
    }
    Err(Error::Cache(
        "no cache folder: set TOPICMOD_CACHE (or HOME) to a writable folder".into(),
    ))
}

/// Resolves where the data is, downloading it when allowed. Returns the data and
/// whether it was just downloaded.
pub(crate) fn locate(
    data_home: Option<&Path>,
    cache_dir: &Path,
    download: bool,
    source: &ArchiveSource,
) -> Result<(Data, bool)> {
    let target_dir: PathBuf = match data_home {
        Some(h) => h.to_path_buf(),
        None => match env_path("TOPICMOD_DATA") {
            Some(p) if p.is_file() => return Ok((Data::Archive(p), false)),
            Some(p) if p.is_dir() => p,
            Some(p) => {
                return Err(Error::DataNotFound(format!(
                    "TOPICMOD_DATA is set to {}, which does not exist; point it at {ARCHIVE_NAME} \
                     or at a folder holding it (or its extracted {TRAIN_FOLDER}/ and {TEST_FOLDER}/ folders)",
                    p.display()
                )))
            }
            None => cache_dir.to_path_buf(),
        },
    };
    if let Some(d) = find_in(&target_dir) {
        return Ok((d, false));
    }
    if !download {
        return Err(Error::DataNotFound(format!(
            "{ARCHIVE_NAME} is not in {} and downloading is disabled. Put the archive at {} \
             or set TOPICMOD_DATA to its path.",
            target_dir.display(),
            target_dir.join(ARCHIVE_NAME).display()
        )));
    }
    let p = download_archive(source, &target_dir)?;
    Ok((Data::Archive(p), true))
}
