//! The corpus as `load_files` sees it: raw bytes in the order scikit-learn caches them.
//!
//! Both the archive reader and the extracted-folder reader produce a [`RawSubset`]:
//! categories sorted by name, files sorted by name inside each category, and then
//! the whole list permuted with `RandomState(0)`, which is what scikit-learn's
//! `load_files(..., shuffle=True, random_state=0)` does when it builds its cache.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path};

use flate2::read::GzDecoder;

use crate::rng::RandomState;
use crate::{Error, Result};

/// Folder of the training posts inside the archive.
pub const TRAIN_FOLDER: &str = "20news-bydate-train";
/// Folder of the test posts inside the archive.
pub const TEST_FOLDER: &str = "20news-bydate-test";

/// One subset (train or test) before any selection, in cache order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawSubset {
    /// Category names, sorted.
    pub target_names: Vec<String>,
    /// Index into `target_names` of each post.
    pub target: Vec<usize>,
    /// `subset-folder/category/file`, relative to the archive root.
    pub filenames: Vec<String>,
    /// The post's bytes (latin-1 text).
    pub data: Vec<Vec<u8>>,
}

impl RawSubset {
    pub fn len(&self) -> usize {
        self.target.len()
    }
}

/// A post found while scanning: category, file name, bytes.
pub(crate) type Entry = (String, String, Vec<u8>);

/// Puts posts in `load_files` order: sort by (category, file), then permute with the seed.
pub(crate) fn order_like_load_files(folder: &str, mut entries: Vec<Entry>, seed: u32) -> RawSubset {
    entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut target_names: Vec<String> = entries.iter().map(|e| e.0.clone()).collect();
    target_names.dedup();
    let mut sorted_target = Vec::with_capacity(entries.len());
    let mut label = 0;
    for e in &entries {
        while target_names[label] != e.0 {
            label += 1;
        }
        sorted_target.push(label);
    }
    let perm = RandomState::new(seed).permutation(entries.len());
    let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    let mut out = RawSubset {
        target_names,
        target: Vec::with_capacity(perm.len()),
        filenames: Vec::with_capacity(perm.len()),
        data: Vec::with_capacity(perm.len()),
    };
    for &i in &perm {
        let (cat, file, bytes) = slots[i]
            .take()
            .expect("a permutation visits each index once");
        out.target.push(sorted_target[i]);
        out.filenames.push(format!("{folder}/{cat}/{file}"));
        out.data.push(bytes);
    }
    out
}

fn corrupt(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::CorruptArchive {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Reads both subsets from `20news-bydate.tar.gz` in one streaming pass.
///
/// Every regular file at depth `subset-folder/category/file` becomes a post; other
/// entries are ignored. Any gzip or tar error (truncation, bad CRC, not gzip at all)
/// gives [`Error::CorruptArchive`]; nothing is written.
pub(crate) fn read_archive(path: &Path) -> Result<(RawSubset, RawSubset)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let gz = GzDecoder::new(BufReader::with_capacity(1 << 16, file));
    let mut archive = tar::Archive::new(gz);
    let mut train = Vec::new();
    let mut test = Vec::new();
    let entries = archive.entries().map_err(|e| corrupt(path, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| corrupt(path, e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().map_err(|e| corrupt(path, e))?;
        let parts: Vec<String> = name
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let [folder, cat, file] = match <[String; 3]>::try_from(parts) {
            Ok(p) => p,
            Err(_) => continue,
        };
        let dest = match folder.as_str() {
            TRAIN_FOLDER => &mut train,
            TEST_FOLDER => &mut test,
            _ => continue,
        };
        let mut bytes = Vec::with_capacity(entry.size().min(1 << 24) as usize);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| corrupt(path, format!("reading {folder}/{cat}/{file}: {e}")))?;
        dest.push((cat, file, bytes));
    }
    // Read what follows the end-of-archive marker so the gzip trailer (CRC and
    // length) is checked too: a truncated archive must not pass as complete.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| corrupt(path, e))?;
    if train.is_empty() || test.is_empty() {
        return Err(corrupt(
            path,
            format!("no posts under {TRAIN_FOLDER}/ or {TEST_FOLDER}/; is this the 20 Newsgroups bydate archive?"),
        ));
    }
    Ok((
        order_like_load_files(TRAIN_FOLDER, train, 0),
        order_like_load_files(TEST_FOLDER, test, 0),
    ))
}

/// Sorted names of the entries of a directory (as Python's `sorted(os.listdir(..))`).
pub(crate) fn sorted_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Reads an extracted subset folder (`.../20news-bydate-train`).
pub(crate) fn read_folder(dir: &Path, folder: &str) -> Result<RawSubset> {
    let mut entries = Vec::new();
    for cat in sorted_names(dir)? {
        let cat_dir = dir.join(&cat);
        if !cat_dir.is_dir() {
            continue;
        }
        for file in sorted_names(&cat_dir)? {
            let p = cat_dir.join(&file);
            let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
            entries.push((cat.clone(), file, bytes));
        }
    }
    if entries.is_empty() {
        return Err(Error::DataNotFound(format!(
            "no posts found under {}",
            dir.display()
        )));
    }
    Ok(order_like_load_files(folder, entries, 0))
}

/// Latin-1 decoding: each byte becomes the character with that code point.
pub fn latin1_to_string(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8 with the same meaning.
        return String::from_utf8(bytes.to_vec()).unwrap_or_default();
    }
    bytes.iter().map(|&b| b as char).collect()
}
