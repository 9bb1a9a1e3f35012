//! # topicmod
//!
//! The helper crate behind a Rust re-creation of the classic lesson "Topic modeling
//! with NMF and SVD". It loads the 20 Newsgroups corpus, turns documents into
//! bag-of-words and TF-IDF matrices exactly as scikit-learn does, and factorizes them
//! with full and randomized SVD, scikit-learn-style NMF, and the lesson's hand-written
//! gradient descent (dense, sparse-aware, and with `tch` on CPU or GPU).
//!
//! One module per concept:
//!
//! | module | what it holds |
//! |---|---|
//! | [`corpus`] | `load_files`, `fetch_20newsgroups`, data location, download and cache |
//! | [`text`] | `CountVectorizer`, `TfidfVectorizer`, `HashingVectorizer` |
//! | [`topics`] | `show_topics` |
//! | [`metrics`] | scores against true labels (purity, NMI, ARI) and topic coherence (NPMI) |
//! | [`svd`] | thin SVD (and the full one) and the lesson's checks (reconstruction, orthonormality, `allclose`) |
//! | [`randomized`] | randomized range finder and randomized SVD |
//! | [`nmf`] | the scikit-learn-style `Nmf` and `MiniBatchNmf` estimators |
//! | [`gradient_descent`] | the lesson's gradient-descent NMF (full batch and mini-batch), dense and sparse-aware |
//! | [`stream`] | corpora bigger than memory: documents in batches from disk, words of hashed columns, progress |
//! | [`linop`] | the dense/sparse matrix abstraction the algorithms share |
//! | [`threads`] | the one thread policy: thread count, when work is split, scoped runners |
//! | [`rng`] | NumPy-compatible `RandomState` |
//! | [`plot`] | inline SVG charts for the notebooks |
//! | [`exercise`] | answer checks for the notebooks' exercises |
//! | `torch` | tensors, manual-gradient and autograd NMF with `tch` (feature `torch`) |

/// The crate's one way to write builder setters: inside an `impl` block, each entry
/// `name: Type` (with its doc comment before it) becomes `pub fn name(mut self, name: Type)
/// -> Self`, which stores its argument in the field of the same name. An entry
/// `name: impl Into<Type>` takes anything convertible and stores `name.into()` in the field
/// (of type `Type`). (Defined before the modules so that every module can use it.)
macro_rules! field_setters {
    () => {};
    ($(#[$doc:meta])* $field:ident: impl Into<$ty:ty> $(, $($rest:tt)*)?) => {
        $(#[$doc])*
        pub fn $field(mut self, $field: impl Into<$ty>) -> Self {
            self.$field = $field.into();
            self
        }
        field_setters! { $($($rest)*)? }
    };
    ($(#[$doc:meta])* $field:ident: $ty:ty $(, $($rest:tt)*)?) => {
        $(#[$doc])*
        pub fn $field(mut self, $field: $ty) -> Self {
            self.$field = $field;
            self
        }
        field_setters! { $($($rest)*)? }
    };
}

pub mod corpus;
pub mod error;
pub mod exercise;
pub mod gradient_descent;
pub mod linop;
pub mod metrics;
pub mod nmf;
pub mod plot;
pub mod randomized;
pub mod rng;
pub mod stream;
pub mod svd;
pub mod text;
pub mod threads;
pub mod topics;
#[cfg(feature = "torch")]
pub mod torch;

pub use error::{Error, Result};
pub use linop::{Csr, DataMatrix, LinearOperator};
