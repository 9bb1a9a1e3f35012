//! The crate's single error type.
//!
//! Every fallible function in `topicmod` returns [`Result<T>`]; user input never
//! causes a panic. Each variant's message says what went wrong and, where it can,
//! what to do about it.

use std::path::PathBuf;

/// Everything that can go wrong in `topicmod`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The corpus is not where we looked, and could not be downloaded.
    #[error("corpus not found: {0}")]
    DataNotFound(String),

    /// A category name that the corpus does not have.
    #[error("unknown category {name:?}; valid categories are: {}", valid.join(", "))]
    UnknownCategory { name: String, valid: Vec<String> },

    /// An archive that cannot be decompressed or unpacked (truncated, not gzip, bad tar).
    #[error("corrupt archive {path}: {reason}")]
    CorruptArchive { path: PathBuf, reason: String },

    /// A downloaded file whose SHA-256 is not the published one (the file was removed).
    #[error(
        "checksum mismatch for {path}: expected {expected}, got {actual} (the file was removed)"
    )]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    /// A network download failed.
    #[error("download failed: {0}")]
    Download(String),

    /// Vectorizing left no terms (for example: every token was a stop word).
    #[error("empty vocabulary: {0}")]
    EmptyVocabulary(String),

    /// A parameter outside its valid range (for example `min_df > max_df`, `n_components = 0`).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },

    /// Input data that the algorithm cannot accept (negative or NaN entries for NMF, empty matrix...).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// Two arrays whose shapes do not fit together.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),

    /// A rank the matrix cannot have (more components than rows or columns allow).
    #[error("impossible rank {requested} for a {rows} x {cols} matrix: {reason}")]
    InvalidRank {
        requested: usize,
        rows: usize,
        cols: usize,
        reason: String,
    },

    /// LAPACK (or another numerical kernel) reported a failure.
    #[error("linear algebra failure: {0}")]
    Linalg(String),

    /// A method that needs a fitted estimator was called before `fit`.
    #[error("this {0} is not fitted yet: call `fit` or `fit_transform` first")]
    NotFitted(&'static str),

    /// The parsed-corpus cache could not be written or read.
    #[error("cache error: {0}")]
    Cache(String),

    /// libtorch reported an error (feature `torch`).
    #[error("torch error: {0}")]
    Torch(String),

    /// Rendering a chart failed.
    #[error("plot error: {0}")]
    Plot(String),

    /// A notebook exercise's answer did not pass its check (see [`crate::exercise`]); the
    /// message says what is wrong.
    #[error("not yet: {0}")]
    WrongAnswer(String),
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an [`std::io::Error`] with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

impl From<ndarray_linalg::error::LinalgError> for Error {
    fn from(e: ndarray_linalg::error::LinalgError) -> Self {
        Error::Linalg(e.to_string())
    }
}
