//! Our side of `scripts/bench`: times every benchmark row in one process and prints
//! the rows as JSON (`[{"name": .., "seconds": ..}, ..]`) on stdout or into `--json FILE`.
//!
//! Each group of rows lives in `bench/groups/GROUP.rs` next to its Python twin
//! `bench/groups/GROUP.py`; rows with the same name are joined by `scripts/bench`. The
//! `kernels` group has no twin: its rows carry their library time themselves
//! (`"library"`, `"library_seconds"`), measured here.

use std::time::Instant;

use topicmod::corpus::{lesson_corpus, Dataset, Subset};
use topicmod::text::{CountVectorizer, StopWords, TfidfVectorizer};
use topicmod::{Csr, Result};

#[path = "groups/corpus.rs"]
mod corpus;
#[path = "groups/gradient_descent.rs"]
mod gradient_descent;
#[path = "groups/kernels.rs"]
mod kernels;
#[path = "groups/nmf.rs"]
mod nmf;
#[path = "groups/randomized.rs"]
mod randomized;
#[path = "groups/svd.rs"]
mod svd;
#[path = "groups/text.rs"]
mod text;
#[cfg(feature = "torch")]
#[path = "groups/torch.rs"]
mod torch;

/// One timed measurement; a kernel row also carries the library routine it is set
/// against (its label and time), measured in this process. `target` is the largest
/// ratio (ours / reference) the row may show; `scripts/bench` prints whether it held.
pub struct Row {
    pub name: String,
    pub seconds: f64,
    pub library: Option<(String, f64)>,
    pub target: Option<f64>,
}

/// A hand-written kernel earns its place by beating the library routine by 1.2x.
pub const KERNEL_TARGET: f64 = 1.0 / 1.2;

impl Row {
    pub fn new(name: impl Into<String>, seconds: f64) -> Self {
        Row {
            name: name.into(),
            seconds,
            library: None,
            target: None,
        }
    }

    /// A kernel's time beside the library routine's (`label`, `seconds`), with the
    /// kernels' target ([`KERNEL_TARGET`]) unless [`Row::target`] sets another.
    pub fn against(
        name: impl Into<String>,
        seconds: f64,
        label: impl Into<String>,
        library_seconds: f64,
    ) -> Self {
        Row {
            library: Some((label.into(), library_seconds)),
            target: Some(KERNEL_TARGET),
            ..Row::new(name, seconds)
        }
    }

    /// The largest ratio ours / reference this row may show.
    pub fn target(mut self, max_ratio: f64) -> Self {
        self.target = Some(max_ratio);
        self
    }
}

/// The lesson's data, built once and shared by every group.
#[derive(Default)]
pub struct Ctx {
    train: Option<Dataset>,
    counts: Option<Csr>,
    tfidf: Option<Csr>,
    vocab: Option<Vec<String>>,
}

impl Ctx {
    /// The lesson's training posts (four groups, headers/footers/quotes removed).
    pub fn train(&mut self) -> Result<&Dataset> {
        if self.train.is_none() {
            self.train = Some(lesson_corpus(Subset::Train)?);
        }
        Ok(self.train.as_ref().expect("just set"))
    }

    /// Bag of words of the training posts (`stop_words = english`), 2034 x 26576.
    pub fn counts(&mut self) -> Result<&Csr> {
        if self.counts.is_none() {
            let mut cv = CountVectorizer::new().stop_words(StopWords::English);
            let x = cv.fit_transform(&self.train()?.data.clone())?;
            self.vocab = Some(cv.get_feature_names_out()?.to_vec());
            self.counts = Some(x);
        }
        Ok(self.counts.as_ref().expect("just set"))
    }

    /// TF-IDF of the training posts (`stop_words = english`).
    pub fn tfidf(&mut self) -> Result<&Csr> {
        if self.tfidf.is_none() {
            let mut tv = TfidfVectorizer::new().stop_words(StopWords::English);
            let x = tv.fit_transform(&self.train()?.data.clone())?;
            self.tfidf = Some(x);
        }
        Ok(self.tfidf.as_ref().expect("just set"))
    }

    /// The vocabulary of [`Ctx::counts`] (the same for TF-IDF).
    pub fn vocab(&mut self) -> Result<&[String]> {
        self.counts()?;
        Ok(self.vocab.as_deref().expect("set with counts"))
    }
}

/// Median wall time in seconds of `reps` runs of `f` (after no warm-up: callers warm up when it matters).
pub fn median_time<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    let mut times: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

type Group = (&'static str, fn(&mut Ctx, &mut Vec<Row>) -> Result<()>);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut json_out = None;
    let mut only: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json_out = it.next().cloned(),
            "--only" => only = it.next().map(|s| s.split(',').map(String::from).collect()),
            other => {
                eprintln!(
                    "bench: unknown argument {other:?} (use --json FILE, --only GROUP[,GROUP])"
                );
                std::process::exit(2);
            }
        }
    }
    #[allow(unused_mut)]
    let mut groups: Vec<Group> = vec![
        ("corpus", corpus::run),
        ("text", text::run),
        ("svd", svd::run),
        ("randomized", randomized::run),
        ("nmf", nmf::run),
        ("gradient_descent", gradient_descent::run),
        ("kernels", kernels::run),
    ];
    #[cfg(feature = "torch")]
    groups.push(("torch", torch::run));

    let mut ctx = Ctx::default();
    let mut rows = Vec::new();
    for (name, run) in groups {
        if only.as_ref().is_some_and(|o| !o.iter().any(|g| g == name)) {
            continue;
        }
        eprintln!("[bench] ours: {name}...");
        let before = rows.len();
        if let Err(e) = run(&mut ctx, &mut rows) {
            eprintln!("bench group {name} failed: {e}");
            std::process::exit(1);
        }
        for r in &rows[before..] {
            match &r.library {
                None => eprintln!("[bench]   {:<45} {:>10.4} s", r.name, r.seconds),
                Some((label, s)) => eprintln!(
                    "[bench]   {:<45} {:>10.6} s  ({label}: {s:.6} s)",
                    r.name, r.seconds
                ),
            }
        }
    }
    let json = serde_json::Value::Array(
        rows.iter()
            .map(|r| {
                let mut row = serde_json::json!({"name": r.name, "seconds": r.seconds});
                if let Some((label, s)) = &r.library {
                    row["library"] = label.clone().into();
                    row["library_seconds"] = (*s).into();
                }
                if let Some(t) = r.target {
                    row["target"] = t.into();
                }
                row
            })
            .collect(),
    );
    let text = serde_json::to_string_pretty(&json).expect("rows serialize");
    match json_out {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("bench: cannot write {path}: {e}");
                std::process::exit(1);
            }
        }
        None => println!("{text}"),
    }
}
