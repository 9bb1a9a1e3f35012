//! Corpora bigger than memory: documents read from disk a batch at a time, the words
//! behind hashed columns, and a progress line with documents per second and time left.
//!
//! The pieces the `topicmod stream` command puts together: a [`Source`] yields batches of
//! documents, [`crate::text::HashingVectorizer`] turns each into rows without a vocabulary,
//! [`crate::nmf::MiniBatchNmf::partial_fit`] learns from each batch, and memory holds one
//! batch, the model and one name per column, however many documents there are.
//!
//! ```
//! use topicmod::stream::Source;
//! let dir = std::env::temp_dir().join(format!("topicmod-stream-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let file = dir.join("docs.txt");
//! std::fs::write(&file, "first post\nsecond post\nthird\n").unwrap();
//! let source = Source::open(&file)?;
//! assert_eq!(source.count()?, 3);
//! let batches: Vec<Vec<String>> = source.batches(2)?.collect::<topicmod::Result<_>>()?;
//! assert_eq!(batches, vec![vec!["first post".to_string(), "second post".into()], vec!["third".into()]]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), topicmod::Error>(())
//! ```

use crate::nmf::MiniBatchNmf;
use crate::text::HashingVectorizer;
use crate::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the documents come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A text file holding one document per line.
    Lines(PathBuf),
    /// One document per file: every file under a folder, in path order.
    Files(Vec<PathBuf>),
}

impl Source {
    /// A file is read as one document per line; a folder as one document per file (all
    /// files under it, recursively, sorted by path; hidden files and folders skipped).
    pub fn open(path: impl AsRef<Path>) -> Result<Source> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_file() {
            return Ok(Source::Lines(path.to_path_buf()));
        }
        let mut files = Vec::new();
        collect_files(path, &mut files)?;
        files.sort();
        if files.is_empty() {
            return Err(Error::InvalidInput(format!(
                "{} holds no files (want one document per file, or give a file with one document per line)",
                path.display()
            )));
        }
        Ok(Source::Files(files))
    }

    /// How many documents there are (a quick pass that reads no text into memory: it
    /// counts lines, or files), so that progress can show the time left.
    pub fn count(&self) -> Result<usize> {
        match self {
            Source::Files(files) => Ok(files.len()),
            Source::Lines(path) => {
                let mut reader = BufReader::with_capacity(
                    1 << 20,
                    File::open(path).map_err(|e| Error::io(path, e))?,
                );
                let (mut lines, mut last) = (0usize, b'\n');
                loop {
                    let buf = reader.fill_buf().map_err(|e| Error::io(path, e))?;
                    if buf.is_empty() {
                        break;
                    }
                    lines += buf.iter().filter(|&&b| b == b'\n').count();
                    last = buf[buf.len() - 1];
                    let n = buf.len();
                    reader.consume(n);
                }
                // A last line without its newline is a document too.
                Ok(lines + usize::from(last != b'\n'))
            }
        }
    }

    /// The documents, `batch_size` at a time (the last batch may be shorter). Text that is
    /// not valid UTF-8 is decoded with U+FFFD in place of the bad bytes.
    pub fn batches(&self, batch_size: usize) -> Result<Batches> {
        if batch_size == 0 {
            return Err(Error::param("batch_size", "must be at least 1"));
        }
        let docs = match self {
            Source::Lines(path) => Docs::Lines {
                path: path.clone(),
                reader: BufReader::with_capacity(
                    1 << 20,
                    File::open(path).map_err(|e| Error::io(path, e))?,
                ),
            },
            Source::Files(files) => Docs::Files(files.clone().into_iter()),
        };
        Ok(Batches { docs, batch_size })
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if kind.is_dir() {
            collect_files(&path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

enum Docs {
    Lines {
        path: PathBuf,
        reader: BufReader<File>,
    },
    Files(std::vec::IntoIter<PathBuf>),
}

/// Batches of documents from a [`Source`]; see [`Source::batches`].
pub struct Batches {
    docs: Docs,
    batch_size: usize,
}

impl Iterator for Batches {
    type Item = Result<Vec<String>>;

    fn next(&mut self) -> Option<Result<Vec<String>>> {
        let mut batch = Vec::with_capacity(self.batch_size);
        let mut buf = Vec::new();
        while batch.len() < self.batch_size {
            match &mut self.docs {
                Docs::Lines { path, reader } => {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => break,
                        Ok(_) => {
                            if buf.last() == Some(&b'\n') {
                                buf.pop();
                                if buf.last() == Some(&b'\r') {
                                    buf.pop();
                                }
                            }
                            batch.push(String::from_utf8_lossy(&buf).into_owned());
                        }
                        Err(e) => return Some(Err(Error::io(path.as_path(), e))),
                    }
                }
                Docs::Files(files) => match files.next() {
                    None => break,
                    Some(path) => match std::fs::read(&path) {
                        Ok(bytes) => batch.push(String::from_utf8_lossy(&bytes).into_owned()),
                        Err(e) => return Some(Err(Error::io(&path, e))),
                    },
                },
            }
        }
        (!batch.is_empty()).then_some(Ok(batch))
    }
}

/// What a streamed fit did: how many documents it read (each epoch reads them all again),
/// how long it took, and a word for each column.
#[derive(Debug, Clone)]
pub struct StreamedFit {
    /// Documents in the source (read once per epoch).
    pub n_documents: usize,
    /// Passes over the documents.
    pub epochs: usize,
    /// Mini-batches given to `partial_fit`, over all epochs.
    pub n_batches: usize,
    /// Wall-clock seconds of the whole fit (reading, hashing, fitting).
    pub seconds: f64,
    /// A word for each hashed column (see [`ColumnNames`]).
    pub column_names: Vec<String>,
}

/// Online NMF of a corpus that need not fit in memory: each epoch reads `source` in
/// batches of `batch_size` documents, hashes each batch with `hasher` (its columns must
/// be non-negative: build it with `alternate_sign(false)`) and calls
/// [`MiniBatchNmf::partial_fit`] on it. Memory holds one batch, the model's `k x n_features`
/// components and one word per column. With `progress`, a line on stderr shows documents
/// per second and the time left.
pub fn fit_minibatch_nmf(
    source: &Source,
    hasher: &HashingVectorizer,
    model: &mut MiniBatchNmf,
    batch_size: usize,
    epochs: usize,
    progress: bool,
) -> Result<StreamedFit> {
    if epochs == 0 {
        return Err(Error::param("epochs", "must be at least 1"));
    }
    let start = Instant::now();
    let total = source.count()?;
    if total == 0 {
        return Err(Error::InvalidInput("the corpus holds no documents".into()));
    }
    let mut names = ColumnNames::new(hasher.n_columns());
    let mut n_batches = 0;
    for epoch in 1..=epochs {
        let mut bar =
            progress.then(|| Progress::new(format!("epoch {epoch}/{epochs}"), Some(total)));
        for batch in source.batches(batch_size)? {
            let batch = batch?;
            let x = if epoch == 1 {
                hasher.transform_observing(&batch, |j, t| names.observe(j, t))?
            } else {
                hasher.transform(&batch)?
            };
            model.partial_fit(&x)?;
            n_batches += 1;
            if let Some(bar) = bar.as_mut() {
                bar.advance(batch.len());
            }
        }
        if let Some(bar) = bar.as_mut() {
            bar.finish();
        }
    }
    Ok(StreamedFit {
        n_documents: total,
        epochs,
        n_batches,
        seconds: start.elapsed().as_secs_f64(),
        column_names: names.to_vec(),
    })
}

/// A word for each hashed column: the first token seen in it. Hashing keeps no vocabulary,
/// so this is how a topic's top columns are shown as words; it holds one name per column,
/// so its memory does not grow with the corpus. A column that several words share shows
/// the first of them (with 2¹⁸ columns and a vocabulary of 10⁵ words, about one column in
/// six holds more than one word).
#[derive(Debug, Clone)]
pub struct ColumnNames {
    names: Vec<Option<Box<str>>>,
}

impl ColumnNames {
    /// No names yet for `n_columns` columns.
    pub fn new(n_columns: usize) -> Self {
        ColumnNames {
            names: vec![None; n_columns],
        }
    }

    /// Records that `token` went to `column` (kept if the column has no name yet).
    pub fn observe(&mut self, column: usize, token: &str) {
        if let Some(slot @ None) = self.names.get_mut(column) {
            *slot = Some(token.into());
        }
    }

    /// The names, `"?"` for a column no token reached.
    pub fn to_vec(&self) -> Vec<String> {
        self.names
            .iter()
            .map(|n| n.as_deref().unwrap_or("?").to_string())
            .collect()
    }
}

/// A progress line on stderr: `label [#####.....] 42.0%  420,000/1,000,000 docs
/// 8,512 docs/s  ETA 1 min 8 s`. On a terminal it redraws in place a few times a
/// second; otherwise (a log file, CI) it prints a new line every few seconds.
pub struct Progress {
    label: String,
    total: Option<usize>,
    done: usize,
    start: Instant,
    last_draw: Option<Instant>,
    tty: bool,
    out: Box<dyn Write + Send>,
}

impl Progress {
    /// Progress towards `total` documents (None when the count is not known).
    pub fn new(label: impl Into<String>, total: Option<usize>) -> Self {
        let tty = std::io::stderr().is_terminal();
        Self::to_writer(label, total, tty, Box::new(std::io::stderr()))
    }

    /// The same, written to `out` (`tty`: redraw in place with a carriage return).
    pub fn to_writer(
        label: impl Into<String>,
        total: Option<usize>,
        tty: bool,
        out: Box<dyn Write + Send>,
    ) -> Self {
        Progress {
            label: label.into(),
            total,
            done: 0,
            start: Instant::now(),
            last_draw: None,
            tty,
            out,
        }
    }

    /// Documents done so far.
    pub fn done(&self) -> usize {
        self.done
    }

    /// Documents per second so far.
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.start.elapsed().as_secs_f64().max(1e-9)
    }

    /// `n` more documents done; redraws when enough time has passed.
    pub fn advance(&mut self, n: usize) {
        self.done += n;
        let every = if self.tty {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        if self.last_draw.is_none_or(|t| t.elapsed() >= every) {
            self.draw(false);
        }
    }

    /// The final line (always drawn), ending with a newline.
    pub fn finish(&mut self) {
        self.draw(true);
    }

    /// The progress line as it would be drawn now.
    pub fn line(&self) -> String {
        let elapsed = self.start.elapsed().as_secs_f64();
        let rate = self.rate();
        let mut s = self.label.clone();
        if let Some(total) = self.total.filter(|&t| t > 0) {
            let frac = (self.done as f64 / total as f64).min(1.0);
            let width = 24;
            let filled = (frac * width as f64).round() as usize;
            s += &format!(
                " [{}{}] {:5.1}%  {}/{} docs",
                "#".repeat(filled),
                ".".repeat(width - filled),
                100.0 * frac,
                thousands(self.done),
                thousands(total)
            );
            s += &format!("  {} docs/s", thousands(rate.round() as usize));
            if self.done < total && rate > 0.0 {
                s += &format!("  ETA {}", duration((total - self.done) as f64 / rate));
            } else {
                s += &format!("  in {}", duration(elapsed));
            }
        } else {
            s += &format!(
                " {} docs  {} docs/s  {}",
                thousands(self.done),
                thousands(rate.round() as usize),
                duration(elapsed)
            );
        }
        s
    }

    fn draw(&mut self, last: bool) {
        let line = self.line();
        // Progress output must never fail the work: write errors are ignored.
        let _ = if self.tty {
            write!(self.out, "\r\x1b[2K{line}{}", if last { "\n" } else { "" })
        } else {
            writeln!(self.out, "{line}")
        };
        let _ = self.out.flush();
        self.last_draw = Some(Instant::now());
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds as `42 s`, `3 min 5 s` or `2 h 10 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("topicmod-stream-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn lines_are_documents_and_batches_cover_them_once() {
        let d = temp_dir("lines");
        let f = d.join("c.txt");
        // CRLF, an empty line, invalid UTF-8, no newline at the end.
        std::fs::write(&f, b"a b\r\n\nc \xff d\nlast").unwrap();
        let s = Source::open(&f).unwrap();
        assert_eq!(s.count().unwrap(), 4);
        for size in [1, 2, 3, 4, 10] {
            let all: Vec<String> = s
                .batches(size)
                .unwrap()
                .inspect(|b| assert!(b.as_ref().unwrap().len() <= size))
                .flat_map(|b| b.unwrap())
                .collect();
            assert_eq!(all, ["a b", "", "c \u{fffd} d", "last"]);
        }
        std::fs::write(&f, b"").unwrap();
        assert_eq!(Source::open(&f).unwrap().count().unwrap(), 0);
        assert!(Source::open(&f)
            .unwrap()
            .batches(3)
            .unwrap()
            .next()
            .is_none());
        assert!(matches!(s.batches(0), Err(Error::InvalidParameter { .. })));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_folder_is_one_document_per_file_in_path_order() {
        let d = temp_dir("files");
        std::fs::create_dir_all(d.join("b/inner")).unwrap();
        std::fs::create_dir_all(d.join(".hidden")).unwrap();
        std::fs::write(d.join("b/inner/2.txt"), "two").unwrap();
        std::fs::write(d.join("a.txt"), "one\nstill one").unwrap();
        std::fs::write(d.join(".hidden/x"), "skipped").unwrap();
        let s = Source::open(&d).unwrap();
        assert_eq!(s.count().unwrap(), 2);
        let docs: Vec<String> = s.batches(5).unwrap().flat_map(|b| b.unwrap()).collect();
        assert_eq!(docs, ["one\nstill one", "two"]);
        std::fs::remove_dir_all(&d).unwrap();
        let empty = temp_dir("empty");
        assert!(matches!(Source::open(&empty), Err(Error::InvalidInput(_))));
        assert!(matches!(
            Source::open(empty.join("missing")),
            Err(Error::Io { .. })
        ));
        std::fs::remove_dir_all(&empty).unwrap();
    }

    #[test]
    fn column_names_keep_the_first_word_of_each_column() {
        let hv = crate::text::HashingVectorizer::new()
            .n_features(8)
            .alternate_sign(false);
        let mut names = ColumnNames::new(8);
        let x = hv
            .transform_observing(&["apple banana", "cherry apple"], |j, t| {
                names.observe(j, t)
            })
            .unwrap();
        let names = names.to_vec();
        for (row, doc) in [["apple", "banana"], ["cherry", "apple"]]
            .iter()
            .enumerate()
        {
            for word in doc {
                let j =
                    (crate::text::murmurhash3_32(word.as_bytes(), 0).unsigned_abs() as usize) % 8;
                assert!(x.outer_view(row).unwrap().get(j).is_some());
                // The column is named by this word or one that came before it.
                assert!(["apple", "banana", "cherry"].contains(&names[j].as_str()));
            }
        }
        let apple = (crate::text::murmurhash3_32(b"apple", 0).unsigned_abs() as usize) % 8;
        assert_eq!(names[apple], "apple");
        assert_eq!(
            names.iter().filter(|n| *n == "?").count(),
            8 - names.iter().filter(|n| *n != "?").count()
        );
    }

    #[test]
    fn a_streamed_fit_reads_every_batch_of_every_epoch() {
        let d = temp_dir("fit");
        let f = d.join("c.txt");
        let words = [
            "space shuttle orbit nasa launch",
            "god religion belief church faith",
            "image graphics jpeg file format",
        ];
        let text: String = (0..60)
            .map(|i| format!("{} {}\n", words[i % 3], words[(i / 3) % 3]))
            .collect();
        std::fs::write(&f, text).unwrap();
        let source = Source::open(&f).unwrap();
        let n_features = 1 << 10;
        let hasher = HashingVectorizer::new()
            .n_features(n_features)
            .alternate_sign(false);
        let mut model = MiniBatchNmf::new(3).random_state(Some(0));
        let fit = fit_minibatch_nmf(&source, &hasher, &mut model, 16, 2, false).unwrap();
        assert_eq!((fit.n_documents, fit.epochs, fit.n_batches), (60, 2, 8));
        assert_eq!(model.components().unwrap().dim(), (3, n_features));
        // Every word of the corpus names its column.
        for w in words.iter().flat_map(|s| s.split(' ')) {
            let j =
                (crate::text::murmurhash3_32(w.as_bytes(), 0).unsigned_abs() as usize) % n_features;
            assert_ne!(fit.column_names[j], "?", "{w}");
        }
        assert!(fit_minibatch_nmf(&source, &hasher, &mut model, 16, 0, false).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn progress_shows_counts_rate_and_time_left() {
        let sink = Sink::default();
        let mut p =
            Progress::to_writer("epoch 1/1", Some(1_000_000), false, Box::new(sink.clone()));
        p.advance(250_000);
        std::thread::sleep(Duration::from_millis(20));
        let line = p.line();
        assert!(
            line.starts_with("epoch 1/1 [######..................]  25.0%  250,000/1,000,000 docs"),
            "{line}"
        );
        assert!(line.contains(" docs/s  ETA "), "{line}");
        p.advance(750_000);
        p.finish();
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let last = out.lines().last().unwrap();
        assert!(
            last.contains("100.0%  1,000,000/1,000,000 docs") && last.contains("  in "),
            "{out}"
        );
        // Not a terminal: whole lines, no carriage returns.
        assert!(!out.contains('\r'));
        let unknown = Progress::to_writer("x", None, true, Box::new(Sink::default()));
        assert!(unknown.line().starts_with("x 0 docs"));
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(185.0), "3 min 5 s");
        assert_eq!(duration(7800.0), "2 h 10 min");
    }
}
