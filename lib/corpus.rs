//! The 20 Newsgroups corpus, loaded exactly as scikit-learn loads it.
//!
//! [`fetch_20newsgroups`] returns the same posts, in the same order, with the same
//! text as scikit-learn 1.9's `sklearn.datasets.fetch_20newsgroups` for the same
//! arguments. The pipeline it reproduces:
//!
//! 1. each subset folder of the archive is read like [`load_files`] reads a folder:
//!    categories sorted by name, files sorted by name, bytes decoded as latin-1, and
//!    the list permuted with `RandomState(0)` (this is the order of scikit-learn's
//!    cache; `Subset::All` is train followed by test);
//! 2. headers, footers and quotes are removed as asked ([`Remove`]);
//! 3. with `categories`, only those groups are kept and relabelled `0..k` in sorted
//!    order of the group names;
//! 4. with `shuffle` (the default) the posts are permuted with
//!    `RandomState(random_state)` (default 42).
//!
//! Finding the data: `FetchOptions::data_home` when given; else the env var
//! `TOPICMOD_DATA` (the archive itself, or a folder holding it or its extracted
//! `20news-bydate-train/` and `20news-bydate-test/`); else the per-user cache folder
//! ([`default_cache_dir`]). When the chosen folder (`data_home`, a `TOPICMOD_DATA`
//! folder, or the cache folder) has no data, the archive is downloaded into it with
//! its SHA-256 verified, unless `download_if_missing(false)`; a `TOPICMOD_DATA` that
//! does not exist is an error. A local archive is used as it is, without checksum. After the first parse of the archive (about a second), each subset is
//! kept as a binary file (with a CRC-32) in the cache folder, keyed by the archive's size,
//! modification time and first/last bytes, so later loads skip the tar parsing.
//!
//! [`FetchOptions`] and [`LoadFilesOptions`] are builders: setters that store their
//! argument as it is come from the crate's `field_setters!` macro; those that convert it
//! (`categories` and `allowed_extensions` take any slice of strings, `data_home` and
//! `cache_dir` any path, each stored as `Some(owned value)`) are written by hand, one
//! statement then `self`.
//!
//! ```no_run
//! use topicmod::corpus::{lesson_corpus, FetchOptions, Remove, Subset};
//! let train = lesson_corpus(Subset::Train)?;
//! assert_eq!(train.data.len(), 2034);
//! let space = FetchOptions::new()
//!     .subset(Subset::Test)
//!     .categories(&["sci.space"])
//!     .remove(Remove::ALL)
//!     .fetch()?;
//! assert_eq!(space.target_names, ["sci.space"]);
//! # Ok::<(), topicmod::Error>(())
//! ```

mod cache;
mod raw;
mod source;
mod strip;

use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};

use raw::RawSubset;
pub use raw::{latin1_to_string, TEST_FOLDER, TRAIN_FOLDER};
use source::Data;
pub use source::{default_cache_dir, download_archive, sha256_hex, ArchiveSource, ARCHIVE_NAME};
pub use strip::{
    is_py_space, is_quote_line, py_strip, strip_newsgroup_footer, strip_newsgroup_header,
    strip_newsgroup_quoting,
};

use crate::rng::RandomState;
use crate::{Error, Result};

/// The names as owned strings (category and extension lists of the builders).
fn owned_strings<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    names.iter().map(|c| c.as_ref().to_string()).collect()
}

/// The four newsgroups of the lesson.
pub const LESSON_CATEGORIES: [&str; 4] = [
    "alt.atheism",
    "talk.religion.misc",
    "comp.graphics",
    "sci.space",
];

/// Which part of the "bydate" split to load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Subset {
    /// The 11,314 older posts.
    #[default]
    Train,
    /// The 7,532 newer posts.
    Test,
    /// Train followed by test (before the final shuffle).
    All,
}

/// Which parts of each post to remove (scikit-learn's `remove=(...)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Remove {
    /// Everything before the first blank line ([`strip_newsgroup_header`]).
    pub headers: bool,
    /// A trailing signature block ([`strip_newsgroup_footer`]).
    pub footers: bool,
    /// Quoted lines and lines that introduce a quote ([`strip_newsgroup_quoting`]).
    pub quotes: bool,
}

impl Remove {
    /// Keep posts as they are.
    pub const NONE: Remove = Remove {
        headers: false,
        footers: false,
        quotes: false,
    };
    /// Remove headers, footers and quotes (what the lesson uses).
    pub const ALL: Remove = Remove {
        headers: true,
        footers: true,
        quotes: true,
    };

    /// Applies the selected removals in scikit-learn's order: headers, footers, quotes.
    pub fn apply(&self, text: &str) -> String {
        let mut t: std::borrow::Cow<str> = text.into();
        if self.headers {
            t = strip_newsgroup_header(&t).to_string().into();
        }
        if self.footers {
            t = strip_newsgroup_footer(&t).into();
        }
        if self.quotes {
            t = strip_newsgroup_quoting(&t).into();
        }
        t.into_owned()
    }
}

/// Documents with integer labels, as scikit-learn's `Bunch` from the loaders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dataset {
    /// The text of each document (empty when `load_content` was off).
    pub data: Vec<String>,
    /// Label of each document: an index into `target_names`.
    pub target: Vec<usize>,
    /// The category names.
    pub target_names: Vec<String>,
    /// Where each document came from. For [`fetch_20newsgroups`] these are relative to
    /// the archive root, e.g. `20news-bydate-train/sci.space/60154`; for
    /// [`load_files`] they are the paths of the files read.
    pub filenames: Vec<PathBuf>,
}

impl Dataset {
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// `true` when there is no document.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }
}

// ---------------------------------------------------------------------------
// load_files

/// Options of [`load_files`] (scikit-learn's defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadFilesOptions {
    /// Keep only these category folders (names not present are ignored). `None`: all.
    pub categories: Option<Vec<String>>,
    /// Read the files (`true`); otherwise only names and labels are returned.
    pub load_content: bool,
    /// Permute the documents (`true`).
    pub shuffle: bool,
    /// Seed of the permutation (`0`).
    pub random_state: u32,
    /// Keep only files whose extension (with the dot, as `".txt"`) is listed. `None`: all.
    pub allowed_extensions: Option<Vec<String>>,
}

impl Default for LoadFilesOptions {
    fn default() -> Self {
        LoadFilesOptions {
            categories: None,
            load_content: true,
            shuffle: true,
            random_state: 0,
            allowed_extensions: None,
        }
    }
}

impl LoadFilesOptions {
    /// The defaults: all categories, content loaded, shuffled with seed 0.
    pub fn new() -> Self {
        Self::default()
    }
    field_setters! {
        /// Read the files' text or not.
        load_content: bool,
        /// Permute the documents or keep them sorted.
        shuffle: bool,
        /// Seed of the permutation.
        random_state: u32,
    }
    /// Keep only these category folders.
    pub fn categories<S: AsRef<str>>(mut self, cats: &[S]) -> Self {
        self.categories = Some(owned_strings(cats));
        self
    }
    /// Keep only files with these extensions (`".txt"`, with the dot).
    pub fn allowed_extensions<S: AsRef<str>>(mut self, exts: &[S]) -> Self {
        self.allowed_extensions = Some(owned_strings(exts));
        self
    }
}

/// The extension as Python's `os.path.splitext` sees it: from the last dot, unless
/// the name before it is only dots (".profile" has no extension).
fn py_extension(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if name[..i].chars().any(|c| c != '.') => &name[i..],
        _ => "",
    }
}

/// Loads a folder of text files whose subfolders are the categories.
///
/// Like scikit-learn's `load_files(dir, encoding="latin1")`: subfolders are sorted by
/// name and numbered `0..k`, the files of each are sorted by name (one document per
/// file), each byte is decoded as the character with that code point (latin-1), and
/// with `shuffle` the documents are permuted by `RandomState(random_state)`. Plain
/// files directly inside `dir` are ignored.
pub fn load_files(dir: impl AsRef<Path>, options: &LoadFilesOptions) -> Result<Dataset> {
    let dir = dir.as_ref();
    let mut target_names = Vec::new();
    let mut target = Vec::new();
    let mut filenames = Vec::new();
    for name in raw::sorted_names(dir)? {
        let path = dir.join(&name);
        if !path.is_dir() {
            continue;
        }
        if let Some(cats) = &options.categories {
            if !cats.contains(&name) {
                continue;
            }
        }
        let label = target_names.len();
        for file in raw::sorted_names(&path)? {
            if let Some(exts) = &options.allowed_extensions {
                if !exts.iter().any(|e| e == py_extension(&file)) {
                    continue;
                }
            }
            filenames.push(path.join(&file));
            target.push(label);
        }
        target_names.push(name);
    }
    if options.shuffle {
        let perm = RandomState::new(options.random_state).permutation(target.len());
        filenames = perm.iter().map(|&i| filenames[i].clone()).collect();
        target = perm.iter().map(|&i| target[i]).collect();
    }
    let mut data = Vec::new();
    if options.load_content {
        data.reserve(filenames.len());
        for f in &filenames {
            let bytes = std::fs::read(f).map_err(|e| Error::io(f, e))?;
            data.push(latin1_to_string(&bytes));
        }
    }
    Ok(Dataset {
        data,
        target,
        target_names,
        filenames,
    })
}

// ---------------------------------------------------------------------------
// fetch_20newsgroups

/// Options of [`fetch_20newsgroups`], with scikit-learn's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOptions {
    /// Train, test or all (default train).
    pub subset: Subset,
    /// Groups to keep, `None` for all twenty.
    pub categories: Option<Vec<String>>,
    /// Parts of the posts to remove (default none).
    pub remove: Remove,
    /// Permute the result (default `true`).
    pub shuffle: bool,
    /// Seed of that permutation (default 42).
    pub random_state: u32,
    /// Folder to look for (and download) the archive and to keep the parsed cache in;
    /// overrides `TOPICMOD_DATA` and the default cache folder.
    pub data_home: Option<PathBuf>,
    /// Folder for the parsed cache only (default: `data_home`, else [`default_cache_dir`]).
    pub cache_dir: Option<PathBuf>,
    /// Download the archive when it is nowhere to be found (default `true`).
    pub download_if_missing: bool,
    /// Where to download from.
    pub source: ArchiveSource,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            subset: Subset::Train,
            categories: None,
            remove: Remove::NONE,
            shuffle: true,
            random_state: 42,
            data_home: None,
            cache_dir: None,
            download_if_missing: true,
            source: ArchiveSource::canonical(),
        }
    }
}

/// How a [`FetchOptions::fetch_with_report`] call got its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchReport {
    /// The archive file, or the folder holding the extracted subsets.
    pub data_path: PathBuf,
    /// `true` when the archive was downloaded by this call.
    pub downloaded: bool,
    /// `true` when every subset needed came from the parsed cache (no parsing).
    pub from_cache: bool,
    /// The cache files for the subsets needed.
    pub cache_files: Vec<PathBuf>,
}

impl FetchOptions {
    /// scikit-learn's defaults: train subset, all groups, nothing removed, shuffled with seed 42.
    pub fn new() -> Self {
        Self::default()
    }
    field_setters! {
        /// Train, test or all.
        subset: Subset,
        /// Parts of the posts to remove.
        remove: Remove,
        /// Permute the result or not.
        shuffle: bool,
        /// Seed of the final permutation.
        random_state: u32,
        /// Allow or forbid downloading the archive.
        download_if_missing: bool,
        /// Download from somewhere else (a mirror, or a test server).
        source: ArchiveSource,
    }
    /// Keep only these groups (their labels follow the sorted order of the names).
    pub fn categories<S: AsRef<str>>(mut self, cats: &[S]) -> Self {
        self.categories = Some(owned_strings(cats));
        self
    }
    /// Folder for the archive and the parsed cache.
    pub fn data_home(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_home = Some(dir.into());
        self
    }
    /// Folder for the parsed cache only.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Loads the corpus; see [`fetch_20newsgroups`].
    pub fn fetch(&self) -> Result<Dataset> {
        self.fetch_with_report().map(|(d, _)| d)
    }

    /// Loads the corpus and tells where it came from.
    pub fn fetch_with_report(&self) -> Result<(Dataset, FetchReport)> {
        if let Some(c) = &self.categories {
            if c.is_empty() {
                return Err(Error::param(
                    "categories",
                    "the list of categories is empty",
                ));
            }
        }
        let cache_dir = match (&self.cache_dir, &self.data_home) {
            (Some(c), _) => c.clone(),
            (None, Some(h)) => h.clone(),
            (None, None) => default_cache_dir()?,
        };
        let (data, downloaded) = source::locate(
            self.data_home.as_deref(),
            &cache_dir,
            self.download_if_missing,
            &self.source,
        )?;
        let (subsets, from_cache, cache_files) = load_subsets(&data, &cache_dir, self.subset)?;
        let ds = select(subsets, self)?;
        let data_path = match data {
            Data::Archive(p) | Data::Folders(p) => p,
        };
        Ok((
            ds,
            FetchReport {
                data_path,
                downloaded,
                from_cache,
                cache_files,
            },
        ))
    }
}

/// Loads the 20 Newsgroups posts as scikit-learn's `fetch_20newsgroups` does.
///
/// Same posts, order, labels and text as scikit-learn 1.9 for the same options
/// (see the [module documentation](self) for the steps). Errors: an unknown group
/// name gives [`Error::UnknownCategory`] with the valid names; missing data with
/// downloads off gives [`Error::DataNotFound`]; a damaged archive gives
/// [`Error::CorruptArchive`].
pub fn fetch_20newsgroups(options: &FetchOptions) -> Result<Dataset> {
    options.fetch()
}

/// The lesson's corpus: [`LESSON_CATEGORIES`], headers, footers and quotes removed,
/// shuffled with seed 42 (2,034 train and 1,353 test posts).
pub fn lesson_corpus(subset: Subset) -> Result<Dataset> {
    FetchOptions::new()
        .subset(subset)
        .categories(&LESSON_CATEGORIES)
        .remove(Remove::ALL)
        .fetch()
}

/// Modification time in nanoseconds since the Unix epoch; 0 where the platform or the
/// file system does not tell.
fn mtime_nanos(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The cache key of the data: what identifies this archive (or these folders).
fn data_key(data: &Data, folder: &str) -> Result<String> {
    match data {
        Data::Archive(p) => {
            use std::io::{Read, Seek, SeekFrom};
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
            let mtime = mtime_nanos(&meta);
            // The first and last 64 KiB catch a different archive with the same size and time.
            let mut f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 16];
            let n = f.read(&mut buf).map_err(|e| Error::io(p, e))?;
            h.update(&buf[..n]);
            let len = meta.len();
            if len > buf.len() as u64 {
                f.seek(SeekFrom::Start(len - buf.len() as u64))
                    .map_err(|e| Error::io(p, e))?;
                f.read_exact(&mut buf).map_err(|e| Error::io(p, e))?;
                h.update(&buf);
            }
            let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            Ok(format!("archive size={len} mtime={mtime} ends={digest}"))
        }
        Data::Folders(dir) => {
            let sub = dir.join(folder);
            let canon = sub.canonicalize().map_err(|e| Error::io(&sub, e))?;
            let mut key = format!("folder {}", canon.display());
            for name in std::iter::once(String::new()).chain(raw::sorted_names(&sub)?) {
                let p = sub.join(&name);
                let meta = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?;
                let mtime = mtime_nanos(&meta);
                key.push_str(&format!(" {name}:{mtime}"));
            }
            Ok(key)
        }
    }
}

fn cache_file(cache_dir: &Path, folder: &str) -> PathBuf {
    cache_dir.join(format!("{folder}.topicmod-cache"))
}

/// Thousands separators for progress lines.
fn grouped(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn store(path: &Path, key: &str, s: &RawSubset) {
    if let Err(e) = cache::write(path, key, s) {
        eprintln!("warning: the parsed corpus was not cached ({e})");
    }
}

/// The raw subsets needed (train, test, or both in that order), from the cache
/// when it is valid, else parsed (and then cached).
fn load_subsets(
    data: &Data,
    cache_dir: &Path,
    subset: Subset,
) -> Result<(Vec<RawSubset>, bool, Vec<PathBuf>)> {
    let folders: &[&str] = match subset {
        Subset::Train => &[TRAIN_FOLDER],
        Subset::Test => &[TEST_FOLDER],
        Subset::All => &[TRAIN_FOLDER, TEST_FOLDER],
    };
    let files: Vec<PathBuf> = folders.iter().map(|f| cache_file(cache_dir, f)).collect();
    let mut out = Vec::new();
    let mut from_cache = true;
    match data {
        Data::Archive(path) => {
            let key = data_key(data, "")?;
            for f in &files {
                match cache::read(f, &key) {
                    Some(s) => out.push(s),
                    None => {
                        from_cache = false;
                        break;
                    }
                }
            }
            if !from_cache {
                let start = Instant::now();
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                eprint!("parsing {name}...");
                let (train, test) = match raw::read_archive(path) {
                    Ok(x) => x,
                    Err(e) => {
                        eprintln!(" failed");
                        return Err(e);
                    }
                };
                eprintln!(
                    " {} posts in {:.1} s",
                    grouped(train.len() + test.len()),
                    start.elapsed().as_secs_f64()
                );
                store(&cache_file(cache_dir, TRAIN_FOLDER), &key, &train);
                store(&cache_file(cache_dir, TEST_FOLDER), &key, &test);
                out = match subset {
                    Subset::Train => vec![train],
                    Subset::Test => vec![test],
                    Subset::All => vec![train, test],
                };
            }
        }
        Data::Folders(dir) => {
            for (folder, f) in folders.iter().zip(&files) {
                let key = data_key(data, folder)?;
                match cache::read(f, &key) {
                    Some(s) => out.push(s),
                    None => {
                        from_cache = false;
                        let s = raw::read_folder(&dir.join(folder), folder)?;
                        store(f, &key, &s);
                        out.push(s);
                    }
                }
            }
        }
    }
    Ok((out, from_cache, files))
}

/// Steps 2-4 of the pipeline: join subsets, keep the chosen groups, permute, decode
/// and strip.
fn select(subsets: Vec<RawSubset>, o: &FetchOptions) -> Result<Dataset> {
    let mut target_names = Vec::new();
    let mut target = Vec::new();
    let mut filenames = Vec::new();
    let mut data = Vec::new();
    for s in subsets {
        // With both subsets scikit-learn keeps the names of the last one (test).
        target_names = s.target_names;
        target.extend(s.target);
        filenames.extend(s.filenames);
        data.extend(s.data);
    }
    let mut keep: Vec<usize> = (0..target.len()).collect();
    if let Some(cats) = &o.categories {
        let mut labels = Vec::with_capacity(cats.len());
        for c in cats {
            match target_names.iter().position(|n| n == c) {
                Some(i) => labels.push((i, c.clone())),
                None => {
                    return Err(Error::UnknownCategory {
                        name: c.clone(),
                        valid: target_names,
                    })
                }
            }
        }
        labels.sort();
        let ids: Vec<usize> = labels.iter().map(|l| l.0).collect();
        keep.retain(|&i| ids.contains(&target[i]));
        for &i in &keep {
            // The first position of the label among the sorted ones (NumPy searchsorted).
            target[i] = ids.partition_point(|&x| x < target[i]);
        }
        target_names = labels.into_iter().map(|l| l.1).collect();
    }
    if o.shuffle {
        let perm = RandomState::new(o.random_state).permutation(keep.len());
        keep = perm.iter().map(|&p| keep[p]).collect();
    }
    let mut out = Dataset {
        data: Vec::with_capacity(keep.len()),
        target: Vec::with_capacity(keep.len()),
        target_names,
        filenames: Vec::with_capacity(keep.len()),
    };
    for &i in &keep {
        let text = latin1_to_string(&std::mem::take(&mut data[i]));
        out.data.push(if o.remove == Remove::NONE {
            text
        } else {
            o.remove.apply(&text)
        });
        out.target.push(target[i]);
        out.filenames
            .push(PathBuf::from(std::mem::take(&mut filenames[i])));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_splitext() {
        assert_eq!(py_extension("a.txt"), ".txt");
        assert_eq!(py_extension("a.b.c"), ".c");
        assert_eq!(py_extension(".profile"), "");
        assert_eq!(py_extension("..x"), "");
        assert_eq!(py_extension(".a.b"), ".b");
        assert_eq!(py_extension("noext"), "");
        assert_eq!(py_extension("trail."), ".");
    }

    #[test]
    fn grouping() {
        assert_eq!(grouped(5), "5");
        assert_eq!(grouped(18846), "18,846");
        assert_eq!(grouped(1234567), "1,234,567");
    }

    #[test]
    fn remove_order_is_headers_footers_quotes() {
        let post = "Subject: x\n\nIn article <a>, b writes:\n> q\nbody\n\n--\nsig";
        assert_eq!(Remove::ALL.apply(post), "body\n");
        assert_eq!(Remove::NONE.apply(post), post);
    }
}
