//! `topicmod`: try topic modeling on a corpus from the command line.
//!
//! `topicmod topics` vectorizes a corpus (a `load_files`-style folder or a selection of
//! 20 Newsgroups), factorizes the document-term matrix with full SVD, randomized SVD or
//! NMF, and prints the top words of each topic. `topicmod stream` does the same for a
//! corpus too big for memory: hashed batches read from disk, online (mini-batch) NMF, memory
//! bounded by the batch. Run `topicmod --help` for the options.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ndarray::{s, Array2};
use serde_json::{json, Value};
use topicmod::corpus::{self, Dataset, FetchOptions, LoadFilesOptions, Remove, Subset};
use topicmod::metrics;
use topicmod::nmf::{Init, MiniBatchNmf, Nmf};
use topicmod::randomized::randomized_svd;
use topicmod::stream::{self, Source};
use topicmod::text::{CountVectorizer, Df, HashingVectorizer, StopWords, TfidfTransformer};
use topicmod::topics::show_topics;
use topicmod::{svd, Csr, Error, LinearOperator, Result};

const HELP: &str = "\
topicmod: topic modeling with SVD and NMF, as in the lesson

USAGE:
    topicmod topics [OPTIONS]
    topicmod stream --input PATH [OPTIONS]
    topicmod --help | --version

Reads a corpus, builds its document-term matrix, factorizes it and prints the top
words of each topic, one numbered line per topic (a summary goes to stderr).

CORPUS (20 Newsgroups unless --dir is given):
    --dir PATH               a load_files-style folder: one sub-folder per category,
                             one text file per document
    --subset train|test|all  20 Newsgroups part [default: train]
    --categories A,B,...     categories to keep; `all` keeps every one
                             [default: the lesson's alt.atheism, talk.religion.misc,
                             comp.graphics, sci.space; with --dir: all]
    --remove LIST            parts of each post to strip: any of headers,footers,quotes,
                             or `none` [default: headers,footers,quotes]
    The 20 Newsgroups archive is found through $TOPICMOD_DATA (the archive, or a folder
    holding it) or the per-user cache.

MATRIX:
    --weighting count|tfidf  raw term counts or TF-IDF [default: count]
    --stop-words english|none  [default: english]
    --min-df N|F             ignore terms in fewer documents (N) or a smaller fraction (F)
    --max-df N|F             ignore terms in more documents (N) or a larger fraction (F)
    --max-features N         keep only the N most frequent terms

FACTORIZATION:
    --method svd|randomized-svd|nmf  [default: svd]
                             svd: full thin SVD of the dense matrix (LAPACK gesdd);
                             randomized-svd: scikit-learn's randomized_svd on the sparse
                             matrix; nmf: scikit-learn-style NMF (coordinate descent)
    --topics N               number of topics to print (and to fit) [default: 10]
    --words N                top words per topic [default: 8]
    --seed N                 random seed for randomized-svd and nmf [default: 0]
    --init auto|random|nndsvd|nndsvda|nndsvdar
                             NMF's starting point (scikit-learn's `init`) [default: auto]

EVALUATION (the documents' true labels: their newsgroup, or their --dir folder):
    --evaluate               also score the topics: each document gets its dominant
                             topic (NMF: largest entry of its row of W; SVD methods:
                             the component with the largest absolute coordinate), and
                             the assignment is compared with the true labels (NMI, ARI,
                             purity); each topic's --words top words get their NPMI
                             coherence on the same documents
    --test-subset train|test with --evaluate on 20 Newsgroups: fit on --subset, then
                             score held-out documents of this part instead

OUTPUT:
    --json                   print one JSON object instead of text: n_documents,
                             vocabulary_size, nnz, method, weighting, categories, topics,
                             and singular_values (svd methods) or reconstruction_err
                             and n_iter (nmf), and with --evaluate `evaluation`
    -h, --help               this text
    -V, --version            the version

STREAMING (`topicmod stream`: a corpus that does not fit in memory):
    Reads the documents a batch at a time, hashes each batch into a fixed number of
    columns (scikit-learn's HashingVectorizer, no vocabulary), and fits scikit-learn's
    MiniBatchNMF with partial_fit, batch by batch; memory holds one batch and the model,
    however many documents there are. Progress (documents per second, time left) goes to
    stderr. A column is shown by the first word seen in it.
    --input PATH             a text file with one document per line, or a folder: every
                             file under it is one document
    --topics N               [default: 10]       --words N   [default: 8]
    --batch-size N           documents per mini-batch [default: 2048]
    --epochs N               passes over the documents [default: 1]
    --n-features N           hashed columns [default: 262144 = 2^18]
    --stop-words english|none  [default: english]
    --seed N                 [default: 0]
    --json                   one JSON object: n_documents, n_features, epochs, batches,
                             seconds, documents_per_second, topics
    --no-progress            no progress line

EXIT STATUS: 0 on success, 1 when the work fails (message on stderr), 2 for bad usage.

EXAMPLES:
    topicmod topics --categories comp.graphics,sci.space --method nmf --topics 5
    topicmod topics --method nmf --weighting tfidf --topics 4 --evaluate --test-subset test
    topicmod stream --input posts.txt --topics 20 --epochs 2
";

/// Dense matrices above this many entries (2 GiB of f64) are refused by `--method svd`:
/// the full SVD holds several matrices of that size at once.
const MAX_DENSE_ENTRIES: usize = 1 << 28;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Method {
    Svd,
    RandomizedSvd,
    Nmf,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Svd => "svd",
            Method::RandomizedSvd => "randomized-svd",
            Method::Nmf => "nmf",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Weighting {
    Count,
    Tfidf,
}

#[derive(Clone, Debug)]
struct Config {
    dir: Option<PathBuf>,
    subset: Subset,
    /// `None`: the default for the source; `Some(empty)`: every category.
    categories: Option<Vec<String>>,
    remove: Remove,
    weighting: Weighting,
    stop_words: bool,
    min_df: Option<Df>,
    max_df: Option<Df>,
    max_features: Option<usize>,
    method: Method,
    topics: usize,
    words: usize,
    seed: u32,
    init: Init,
    evaluate: bool,
    /// With `evaluate`: score held-out documents of this 20 Newsgroups part.
    test_subset: Option<Subset>,
    json: bool,
}

/// `topicmod stream`'s settings.
#[derive(Clone, Debug)]
struct StreamConfig {
    input: PathBuf,
    topics: usize,
    words: usize,
    batch_size: usize,
    epochs: usize,
    n_features: usize,
    stop_words: bool,
    seed: u32,
    json: bool,
    progress: bool,
}

/// What the command line asked for.
enum Command {
    Help,
    Version,
    Topics(Box<Config>),
    Stream(StreamConfig),
}

/// A usage error: message for stderr, exit status 2.
struct Usage(String);

fn usage(msg: impl Into<String>) -> Usage {
    Usage(msg.into())
}

/// What parsing a piece of the command line gives: its value, or a usage error.
type Parsed<T> = std::result::Result<T, Usage>;

// The defaults that `--help` states.

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: None,
            subset: Subset::Train,
            categories: None,
            remove: Remove::ALL,
            weighting: Weighting::Count,
            stop_words: true,
            min_df: None,
            max_df: None,
            max_features: None,
            method: Method::Svd,
            topics: 10,
            words: 8,
            seed: 0,
            init: Init::Auto,
            evaluate: false,
            test_subset: None,
            json: false,
        }
    }
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            input: PathBuf::new(),
            topics: 10,
            words: 8,
            batch_size: 2048,
            epochs: 1,
            n_features: 1 << 18,
            stop_words: true,
            seed: 0,
            json: false,
            progress: true,
        }
    }
}

/// The command word, then that command's options.
fn parse_args(args: &[String]) -> Parsed<Command> {
    let (first, rest) = match args.split_first() {
        Some((first, rest)) => (first.as_str(), rest),
        None => return Err(usage("missing command (try `topicmod topics`)")),
    };
    match first {
        "-h" | "--help" | "help" => Ok(Command::Help),
        "-V" | "--version" => Ok(Command::Version),
        "topics" => parse_topics_args(rest),
        "stream" => parse_stream_args(rest),
        other => Err(usage(format!(
            "unknown command {other:?}; the commands are `topics` and `stream`"
        ))),
    }
}

/// A command's options, each written `--opt value` or `--opt=value`.
struct Options<'a> {
    args: std::slice::Iter<'a, String>,
    /// The value written after `=` in the option just read.
    inline: Option<&'a str>,
}

impl<'a> Options<'a> {
    fn new(args: &'a [String]) -> Self {
        Options {
            args: args.iter(),
            inline: None,
        }
    }

    /// The next option's name.
    fn next_key(&mut self) -> Option<&'a str> {
        let arg = self.args.next()?.as_str();
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k, Some(v)),
            _ => (arg, None),
        };
        self.inline = inline;
        Some(key)
    }

    /// The value of option `key`: after its `=`, else the next argument.
    fn value(&mut self, key: &str) -> Parsed<&'a str> {
        self.inline
            .take()
            .or_else(|| self.args.next().map(String::as_str))
            .ok_or_else(|| usage(format!("{key} needs a value")))
    }
}

/// The values an option can name, and what to say when it names none of them.
struct Choices<T: 'static> {
    names: &'static [(&'static str, T)],
    valid: &'static str,
}

const METHODS: Choices<Method> = Choices {
    names: &[
        ("svd", Method::Svd),
        ("randomized-svd", Method::RandomizedSvd),
        ("randomized_svd", Method::RandomizedSvd),
        ("rsvd", Method::RandomizedSvd),
        ("nmf", Method::Nmf),
    ],
    valid: "valid methods are: svd, randomized-svd, nmf",
};

const WEIGHTINGS: Choices<Weighting> = Choices {
    names: &[
        ("count", Weighting::Count),
        ("counts", Weighting::Count),
        ("tfidf", Weighting::Tfidf),
        ("tf-idf", Weighting::Tfidf),
    ],
    valid: "use count or tfidf",
};

const INITS: Choices<Init> = Choices {
    names: &[
        ("auto", Init::Auto),
        ("random", Init::Random),
        ("nndsvd", Init::Nndsvd),
        ("nndsvda", Init::Nndsvda),
        ("nndsvdar", Init::Nndsvdar),
    ],
    valid: "use auto, random, nndsvd, nndsvda or nndsvdar",
};

const STOP_WORDS: Choices<bool> = Choices {
    names: &[("english", true), ("none", false)],
    valid: "use english or none",
};

/// The value that `v` names in `choices`, or a usage error `unknown {what} {v:?}; ...`.
fn choose<T: Clone>(what: &str, v: &str, choices: Choices<T>) -> Parsed<T> {
    choices
        .names
        .iter()
        .find(|(name, _)| *name == v)
        .map(|(_, t)| t.clone())
        .ok_or_else(|| usage(format!("unknown {what} {v:?}; {}", choices.valid)))
}

fn parse_topics_args(args: &[String]) -> Parsed<Command> {
    let mut c = Config::default();
    let mut opts = Options::new(args);
    let mut given = Vec::new();
    while let Some(key) = opts.next_key() {
        given.push(key);
        match key {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--json" => c.json = true,
            "--evaluate" => c.evaluate = true,
            "--dir" => c.dir = Some(PathBuf::from(opts.value(key)?)),
            "--subset" => c.subset = parse_subset(key, opts.value(key)?)?,
            "--test-subset" => c.test_subset = Some(parse_subset(key, opts.value(key)?)?),
            "--categories" => c.categories = Some(parse_categories(opts.value(key)?)?),
            "--remove" => c.remove = parse_remove(opts.value(key)?)?,
            "--stop-words" => c.stop_words = parse_stop_words(opts.value(key)?)?,
            "--min-df" => c.min_df = Some(parse_df(key, opts.value(key)?)?),
            "--max-df" => c.max_df = Some(parse_df(key, opts.value(key)?)?),
            "--max-features" => c.max_features = Some(parse_positive(key, opts.value(key)?)?),
            "--topics" => c.topics = parse_positive(key, opts.value(key)?)?,
            "--words" => c.words = parse_positive(key, opts.value(key)?)?,
            "--seed" => c.seed = parse_seed(opts.value(key)?)?,
            "--weighting" => c.weighting = choose("weighting", opts.value(key)?, WEIGHTINGS)?,
            "--method" => c.method = choose("method", opts.value(key)?, METHODS)?,
            "--init" => c.init = choose("init", opts.value(key)?, INITS)?,
            other => {
                return Err(usage(format!(
                    "unknown option {other:?} (see `topicmod --help`)"
                )))
            }
        }
    }
    check_topics_config(&c, |key| given.contains(&key))?;
    Ok(Command::Topics(Box::new(c)))
}

/// The rules between `topicmod topics` options; `given(key)` says whether an option was
/// on the command line.
fn check_topics_config(c: &Config, given: impl Fn(&str) -> bool) -> Parsed<()> {
    if c.dir.is_some() && (given("--subset") || given("--remove") || c.test_subset.is_some()) {
        return Err(usage(
            "--subset, --test-subset and --remove apply to 20 Newsgroups, not to --dir",
        ));
    }
    if given("--init") && c.method != Method::Nmf {
        return Err(usage("--init applies to --method nmf only"));
    }
    if let Some(test) = c.test_subset {
        if !c.evaluate {
            return Err(usage("--test-subset goes with --evaluate"));
        }
        if test == c.subset || test == Subset::All || c.subset == Subset::All {
            return Err(usage(
                "--test-subset must be the other part than --subset (train or test), \
                 so that the scored documents were not seen in fitting",
            ));
        }
    }
    Ok(())
}

fn parse_stream_args(args: &[String]) -> Parsed<Command> {
    let mut c = StreamConfig::default();
    let mut input = None;
    let mut opts = Options::new(args);
    while let Some(key) = opts.next_key() {
        match key {
            "-h" | "--help" => return Ok(Command::Help),
            "--json" => c.json = true,
            "--no-progress" => c.progress = false,
            "--input" => input = Some(PathBuf::from(opts.value(key)?)),
            "--topics" => c.topics = parse_positive(key, opts.value(key)?)?,
            "--words" => c.words = parse_positive(key, opts.value(key)?)?,
            "--batch-size" => c.batch_size = parse_positive(key, opts.value(key)?)?,
            "--epochs" => c.epochs = parse_positive(key, opts.value(key)?)?,
            "--n-features" => {
                c.n_features = parse_positive(key, opts.value(key)?)?;
                if c.n_features > i32::MAX as usize {
                    return Err(usage("--n-features can be at most 2^31 - 1"));
                }
            }
            "--stop-words" => c.stop_words = parse_stop_words(opts.value(key)?)?,
            "--seed" => c.seed = parse_seed(opts.value(key)?)?,
            other => {
                return Err(usage(format!(
                    "unknown option {other:?} for `topicmod stream` (see `topicmod --help`)"
                )))
            }
        }
    }
    c.input = input.ok_or_else(|| usage("`topicmod stream` needs --input PATH"))?;
    Ok(Command::Stream(c))
}

fn parse_stop_words(v: &str) -> Parsed<bool> {
    choose("stop-word list", v, STOP_WORDS)
}

/// `--categories`: a comma-separated list; `all` (given as an empty list) keeps every one.
fn parse_categories(v: &str) -> Parsed<Vec<String>> {
    let list: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if list.is_empty() {
        return Err(usage("--categories needs at least one name (or `all`)"));
    }
    Ok(if list == ["all"] { Vec::new() } else { list })
}

fn parse_seed(v: &str) -> Parsed<u32> {
    v.parse().map_err(|_| {
        usage(format!(
            "--seed must be an integer from 0 to {}, got {v:?}",
            u32::MAX
        ))
    })
}

fn parse_subset(name: &str, v: &str) -> Parsed<Subset> {
    match v {
        "train" => Ok(Subset::Train),
        "test" => Ok(Subset::Test),
        "all" => Ok(Subset::All),
        other => Err(usage(format!(
            "unknown {name} {other:?}; use train, test or all"
        ))),
    }
}

fn parse_remove(v: &str) -> Parsed<Remove> {
    let mut r = Remove::NONE;
    if v == "none" {
        return Ok(r);
    }
    for part in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match part {
            "headers" => r.headers = true,
            "footers" => r.footers = true,
            "quotes" => r.quotes = true,
            other => {
                return Err(usage(format!(
                    "unknown part {other:?} for --remove; use headers, footers, quotes or none"
                )))
            }
        }
    }
    Ok(r)
}

fn parse_positive(name: &str, v: &str) -> Parsed<usize> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(usage(format!(
            "{name} must be a positive integer, got {v:?}"
        ))),
    }
}

/// scikit-learn's convention: an integer is a document count, a number with a point a fraction.
fn parse_df(name: &str, v: &str) -> Parsed<Df> {
    if v.contains('.') || v.contains('e') {
        match v.parse::<f64>() {
            Ok(f) if (0.0..=1.0).contains(&f) => Ok(Df::Fraction(f)),
            _ => Err(usage(format!(
                "{name} as a fraction must lie in [0, 1], got {v:?}"
            ))),
        }
    } else {
        v.parse::<usize>().map(Df::Count).map_err(|_| {
            usage(format!(
                "{name} must be a document count or a fraction, got {v:?}"
            ))
        })
    }
}

fn load(c: &Config) -> Result<Dataset> {
    if let Some(dir) = &c.dir {
        let mut opts = LoadFilesOptions::new();
        if let Some(cats) = c.categories.as_ref().filter(|v| !v.is_empty()) {
            // load_files (like scikit-learn's) skips names it does not find; we report them
            let valid = category_folders(dir)?;
            if let Some(bad) = cats.iter().find(|name| !valid.contains(name)) {
                return Err(Error::UnknownCategory {
                    name: bad.clone(),
                    valid,
                });
            }
            opts = opts.categories(cats);
        }
        return corpus::load_files(dir, &opts);
    }
    let default_cats: Vec<String> = corpus::LESSON_CATEGORIES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cats = c.categories.clone().unwrap_or(default_cats);
    let mut opts = FetchOptions::new().subset(c.subset).remove(c.remove);
    if !cats.is_empty() {
        opts = opts.categories(&cats);
    }
    corpus::fetch_20newsgroups(&opts)
}

/// Names of the sub-folders of `dir` (the categories of a `load_files` folder), sorted.
fn category_folders(dir: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.path().is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn stop_words(c: &Config) -> StopWords {
    if c.stop_words {
        StopWords::English
    } else {
        StopWords::None
    }
}

/// The fitted vectorizer: counts, then (for tf-idf) the same `TfidfTransformer` step that
/// `TfidfVectorizer` applies.
struct Vectorizer {
    counts: CountVectorizer,
    tfidf: Option<TfidfTransformer>,
}

impl Vectorizer {
    /// Fits on `docs`; returns the vectorizer and their document-term matrix.
    fn fit_transform(c: &Config, docs: &[String]) -> Result<(Self, Csr)> {
        let mut counts = CountVectorizer::new().stop_words(stop_words(c));
        if let Some(df) = c.min_df {
            counts = counts.min_df(df);
        }
        if let Some(df) = c.max_df {
            counts = counts.max_df(df);
        }
        counts = counts.max_features(c.max_features);
        let x = counts.fit_transform(docs)?;
        let (tfidf, x) = match c.weighting {
            Weighting::Count => (None, x),
            Weighting::Tfidf => {
                let mut t = TfidfTransformer::new();
                let x = t.fit_transform(&x)?;
                (Some(t), x)
            }
        };
        Ok((Vectorizer { counts, tfidf }, x))
    }

    /// Documents the vectorizer was not fitted on, with its vocabulary and weights.
    fn transform(&self, docs: &[String]) -> Result<Csr> {
        let x = self.counts.transform(docs)?;
        match &self.tfidf {
            None => Ok(x),
            Some(t) => t.transform(&x),
        }
    }
}

/// Topics and the method's own figures, ready to print.
struct Outcome {
    n_documents: usize,
    vocabulary_size: usize,
    nnz: usize,
    categories: Vec<String>,
    topics: Vec<String>,
    extra: Vec<(&'static str, Value)>,
    evaluation: Option<Evaluation>,
}

/// The scores of `--evaluate`.
struct Evaluation {
    /// Which documents were scored: "the fitted documents" or "held-out documents".
    scored: &'static str,
    n_documents: usize,
    nmi: f64,
    ari: f64,
    purity: f64,
    /// NPMI coherence of each topic's top words, on the scored documents.
    coherence: Vec<f64>,
}

fn run(c: &Config) -> Result<Outcome> {
    let data = load(c)?;
    if data.data.is_empty() {
        return Err(Error::InvalidInput("the corpus holds no documents".into()));
    }
    let (vectorizer, x) = Vectorizer::fit_transform(c, &data.data)?;
    let vocab = vectorizer.counts.get_feature_names_out()?.to_vec();
    let (m, n) = x.shape();
    let k = c.topics;
    let max_k = m.min(n);
    if k > max_k {
        return Err(Error::InvalidRank {
            requested: k,
            rows: m,
            cols: n,
            reason: format!("--topics can be at most {max_k} for this matrix"),
        });
    }
    let fitted = match c.method {
        Method::Svd => {
            if m.saturating_mul(n) > MAX_DENSE_ENTRIES {
                return Err(Error::param(
                    "method",
                    format!(
                        "a full SVD needs the dense {m} x {n} matrix ({:.1} GB); \
                         use --method randomized-svd, or shrink the vocabulary with --max-features",
                        (m * n * 8) as f64 / 1e9
                    ),
                ));
            }
            let f = svd::svd(&x.to_dense())?;
            let s = f.s.slice(s![..k]).to_vec();
            Fitted {
                components: f.vt.slice(s![..k, ..]).to_owned(),
                nmf: None,
                extra: vec![("singular_values", json!(s))],
            }
        }
        Method::RandomizedSvd => fit_randomized_svd(&x, k, c.seed)?,
        Method::Nmf => fit_nmf(&x, k, c.seed, &c.init)?,
    };
    let topics = show_topics(&fitted.components, &vocab, c.words)?;
    let evaluation = if c.evaluate {
        Some(evaluate(c, &vectorizer, &x, &data, &fitted)?)
    } else {
        None
    };
    Ok(Outcome {
        n_documents: m,
        vocabulary_size: n,
        nnz: x.nnz(),
        categories: data.target_names.clone(),
        topics,
        extra: fitted.extra,
        evaluation,
    })
}

/// The fitted model: topics as rows (`k x n`), the NMF estimator when the method is NMF,
/// and the method's figures for `--json`.
struct Fitted {
    components: Array2<f64>,
    nmf: Option<Nmf>,
    extra: Vec<(&'static str, Value)>,
}

/// Randomized SVD with scikit-learn's defaults (10 oversamples, automatic power iterations).
fn fit_randomized_svd(x: &Csr, k: usize, seed: u32) -> Result<Fitted> {
    let f = randomized_svd(x, k, Some(seed))?;
    Ok(Fitted {
        components: f.vt,
        nmf: None,
        extra: vec![("singular_values", json!(f.s.to_vec()))],
    })
}

/// scikit-learn-style NMF (coordinate descent) on the sparse matrix.
fn fit_nmf(x: &Csr, k: usize, seed: u32, init: &Init) -> Result<Fitted> {
    let mut model = Nmf::new(k).init(init.clone()).random_state(Some(seed));
    model.fit(x)?;
    let extra = vec![
        ("reconstruction_err", json!(model.reconstruction_err()?)),
        ("n_iter", json!(model.n_iter()?)),
        ("converged", json!(model.converged()?)),
    ];
    Ok(Fitted {
        components: model.components()?.clone(),
        nmf: Some(model),
        extra,
    })
}

/// `--evaluate`: dominant topics of the fitted documents, or of the held-out part named by
/// `--test-subset`, against their true labels, and the topics' coherence on them.
fn evaluate(
    c: &Config,
    vectorizer: &Vectorizer,
    x_fit: &Csr,
    fit_data: &Dataset,
    fitted: &Fitted,
) -> Result<Evaluation> {
    let (x, targets, scored) = match c.test_subset {
        Some(subset) => {
            let held_out = load(&Config {
                subset,
                categories: Some(fit_data.target_names.clone()),
                ..c.clone()
            })?;
            if held_out.target_names != fit_data.target_names {
                return Err(Error::InvalidInput(format!(
                    "the held-out part has the categories {:?}, the fitted one {:?}",
                    held_out.target_names, fit_data.target_names
                )));
            }
            let x = vectorizer.transform(&held_out.data)?;
            (
                Cow::Owned(x),
                Cow::Owned(held_out.target),
                "held-out documents",
            )
        }
        None => (
            Cow::Borrowed(x_fit),
            Cow::Borrowed(&fit_data.target[..]),
            "the fitted documents",
        ),
    };
    let doc_topic = match &fitted.nmf {
        Some(model) => model.transform(x.as_ref())?,
        // A document's coordinates along the singular vectors; their signs are arbitrary.
        None => x.matmul(&fitted.components.t()).mapv(f64::abs),
    };
    let assigned = metrics::dominant_topic(&doc_topic)?;
    let top = metrics::top_word_indices(&fitted.components, c.words.min(x.cols()))?;
    Ok(Evaluation {
        scored,
        n_documents: targets.len(),
        nmi: metrics::normalized_mutual_info_score(&targets, &assigned)?,
        ari: metrics::adjusted_rand_score(&targets, &assigned)?,
        purity: metrics::purity(&targets, &assigned)?,
        coherence: if c.words >= 2 {
            metrics::npmi_coherence(&top, &x)?
        } else {
            Vec::new()
        },
    })
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

fn weighting_name(w: Weighting) -> &'static str {
    match w {
        Weighting::Count => "count",
        Weighting::Tfidf => "tfidf",
    }
}

fn print(c: &Config, out: &Outcome) {
    if c.json {
        let mut obj = serde_json::Map::new();
        obj.insert("n_documents".into(), json!(out.n_documents));
        obj.insert("vocabulary_size".into(), json!(out.vocabulary_size));
        obj.insert("nnz".into(), json!(out.nnz));
        obj.insert("method".into(), json!(c.method.name()));
        obj.insert("weighting".into(), json!(weighting_name(c.weighting)));
        obj.insert("categories".into(), json!(out.categories));
        for (k, v) in &out.extra {
            obj.insert((*k).into(), v.clone());
        }
        obj.insert("topics".into(), json!(out.topics));
        if let Some(e) = &out.evaluation {
            obj.insert(
                "evaluation".into(),
                json!({
                    "scored": e.scored,
                    "n_documents": e.n_documents,
                    "nmi": e.nmi,
                    "ari": e.ari,
                    "purity": e.purity,
                    "coherence": e.coherence,
                    "mean_coherence": mean(&e.coherence),
                }),
            );
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&Value::Object(obj)).expect("JSON of plain values")
        );
    } else {
        eprintln!(
            "{} documents x {} terms ({} non-zeros), {} weighting, method {}",
            out.n_documents,
            out.vocabulary_size,
            out.nnz,
            weighting_name(c.weighting),
            c.method.name()
        );
        let width = out.topics.len().to_string().len();
        for (i, t) in out.topics.iter().enumerate() {
            println!("{:>width$}. {t}", i + 1);
        }
        if let Some(e) = &out.evaluation {
            println!(
                "evaluation on {} {}: NMI {:.4}, ARI {:.4}, purity {:.4}",
                e.n_documents, e.scored, e.nmi, e.ari, e.purity
            );
            if !e.coherence.is_empty() {
                let each: Vec<String> = e.coherence.iter().map(|x| format!("{x:.3}")).collect();
                println!(
                    "NPMI coherence of each topic's top words: {} (mean {:.4})",
                    each.join(" "),
                    mean(&e.coherence).unwrap_or(f64::NAN)
                );
            }
        }
    }
}

/// `topicmod stream`: online NMF of hashed batches read from disk; prints the topics.
fn run_stream(c: &StreamConfig) -> Result<()> {
    let source = Source::open(&c.input)?;
    let hasher = HashingVectorizer::new()
        .n_features(c.n_features)
        .alternate_sign(false)
        .stop_words(if c.stop_words {
            StopWords::English
        } else {
            StopWords::None
        });
    let mut model = MiniBatchNmf::new(c.topics).random_state(Some(c.seed));
    let fit = stream::fit_minibatch_nmf(
        &source,
        &hasher,
        &mut model,
        c.batch_size,
        c.epochs,
        c.progress,
    )?;
    let topics = show_topics(model.components()?, &fit.column_names, c.words)?;
    let rate = (fit.n_documents * fit.epochs) as f64 / fit.seconds.max(1e-9);
    if c.json {
        let obj = json!({
            "n_documents": fit.n_documents,
            "n_features": c.n_features,
            "epochs": fit.epochs,
            "batches": fit.n_batches,
            "batch_size": c.batch_size,
            "seconds": fit.seconds,
            "documents_per_second": rate,
            "topics": topics,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&obj).expect("JSON of plain values")
        );
    } else {
        eprintln!(
            "{} documents, {} epoch(s) of {}-document batches, {} hashed columns: {} ({} documents/s)",
            stream::thousands(fit.n_documents),
            fit.epochs,
            c.batch_size,
            c.n_features,
            stream::duration(fit.seconds),
            stream::thousands(rate.round() as usize)
        );
        let width = topics.len().to_string().len();
        for (i, t) in topics.iter().enumerate() {
            println!("{:>width$}. {t}", i + 1);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&args) {
        Ok(Command::Help) => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("topicmod {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Command::Topics(c)) => match run(&c) {
            Ok(out) => {
                print(&c, &out);
                ExitCode::SUCCESS
            }
            Err(e) => failed(e),
        },
        Ok(Command::Stream(c)) => match run_stream(&c) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => failed(e),
        },
        Err(Usage(msg)) => {
            eprintln!("topicmod: {msg}\nRun `topicmod --help` for usage.");
            ExitCode::from(2)
        }
    }
}

fn failed(e: Error) -> ExitCode {
    eprintln!("topicmod: error: {e}");
    ExitCode::from(1)
}
