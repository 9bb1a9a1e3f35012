//! The corpus loader on small synthetic data: `load_files` against scikit-learn, the
//! error paths (missing data, corrupt archives, checksum mismatch over a loopback
//! HTTP server), and the parsed cache (atomic writes, reuse, invalidation). None of
//! these need the real corpus or the network.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;
use topicmod::corpus::{
    latin1_to_string, load_files, sha256_hex, ArchiveSource, FetchOptions, LoadFilesOptions,
    Remove, Subset, ARCHIVE_NAME,
};
use topicmod::Error;

use common::TempDir;

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

// ---------------------------------------------------------------------------
// load_files against scikit-learn

fn latin1_bytes(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(c as u32).expect("latin-1 text"))
        .collect()
}

#[test]
fn load_files_matches_sklearn() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/sklearn_load_files.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let root = TempDir::new("load-files");
    for (cat, files) in fx["tree"].as_object().unwrap() {
        std::fs::create_dir_all(root.path().join(cat)).unwrap();
        for (name, content) in files.as_object().unwrap() {
            std::fs::write(
                root.path().join(cat).join(name),
                latin1_bytes(content.as_str().unwrap()),
            )
            .unwrap();
        }
    }
    let top = fx["top_level_file"].as_array().unwrap();
    std::fs::write(
        root.path().join(top[0].as_str().unwrap()),
        latin1_bytes(top[1].as_str().unwrap()),
    )
    .unwrap();

    for case in fx["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let args = &case["args"];
        let mut o = LoadFilesOptions::new();
        if let Some(c) = args.get("categories").and_then(Value::as_array) {
            let c: Vec<&str> = c.iter().map(|v| v.as_str().unwrap()).collect();
            o = o.categories(&c);
        }
        if let Some(e) = args.get("allowed_extensions").and_then(Value::as_array) {
            let e: Vec<&str> = e.iter().map(|v| v.as_str().unwrap()).collect();
            o = o.allowed_extensions(&e);
        }
        if let Some(s) = args.get("shuffle").and_then(Value::as_bool) {
            o = o.shuffle(s);
        }
        if let Some(s) = args.get("random_state").and_then(Value::as_u64) {
            o = o.random_state(s as u32);
        }
        if let Some(s) = args.get("load_content").and_then(Value::as_bool) {
            o = o.load_content(s);
        }
        let ds = load_files(root.path(), &o).unwrap();
        let names: Vec<&str> = case["target_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(ds.target_names, names, "{name}");
        let target: Vec<usize> = case["target"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(ds.target, target, "{name}");
        let files: Vec<PathBuf> = case["filenames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| root.path().join(v.as_str().unwrap()))
            .collect();
        assert_eq!(ds.filenames, files, "{name}");
        match case["data"].as_array() {
            Some(d) => {
                let d: Vec<&str> = d.iter().map(|v| v.as_str().unwrap()).collect();
                assert_eq!(ds.data, d, "{name}");
            }
            None => assert!(ds.data.is_empty(), "{name}"),
        }
    }
}

#[test]
fn load_files_missing_folder_is_an_io_error() {
    let dir = TempDir::new("lf-missing");
    let err = load_files(dir.path().join("nope"), &LoadFilesOptions::new()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// A synthetic "bydate" archive

/// (subset folder, category, file, bytes)
fn synthetic_posts(variant: u8) -> Vec<(&'static str, &'static str, String, Vec<u8>)> {
    let mut v = Vec::new();
    let cats = ["sci.space", "alt.atheism", "comp.graphics"];
    for (fi, folder) in ["20news-bydate-train", "20news-bydate-test"]
        .into_iter()
        .enumerate()
    {
        for (ci, cat) in cats.into_iter().enumerate() {
            for k in 0..(4 + ci + fi) {
                let id = 1000 + 37 * k + 11 * ci + 500 * fi;
                let mut body = format!(
                    "From: user{k}@example.org\nSubject: post {id} v{variant}\n\n\
                     In article <{id}@x>, someone writes:\n> quoted {k}\nbody of {cat} {k} caf"
                )
                .into_bytes();
                body.extend_from_slice(b"\xe9\xa0\n\n--\nsignature \x1c\n");
                v.push((folder, cat, id.to_string(), body));
            }
        }
    }
    v
}

fn write_archive(path: &Path, variant: u8) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    {
        let mut tar = tar::Builder::new(&mut gz);
        for (folder, cat, file, bytes) in synthetic_posts(variant) {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, format!("{folder}/{cat}/{file}"), &bytes[..])
                .unwrap();
        }
        tar.finish().unwrap();
    }
    let bytes = gz.finish().unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn expected_posts(variant: u8) -> BTreeMap<String, Vec<u8>> {
    synthetic_posts(variant)
        .into_iter()
        .map(|(f, c, n, b)| (format!("{f}/{c}/{n}"), b))
        .collect()
}

/// Checks every post against the bytes written, and its label against its folder.
fn check_against_archive(ds: &topicmod::corpus::Dataset, variant: u8, remove: Remove) {
    let posts = expected_posts(variant);
    for i in 0..ds.len() {
        let key = ds.filenames[i].to_string_lossy().replace('\\', "/");
        let raw = posts
            .get(&key)
            .unwrap_or_else(|| panic!("unexpected file {key}"));
        assert_eq!(ds.data[i], remove.apply(&latin1_to_string(raw)), "{key}");
        let cat = key.split('/').nth(1).unwrap();
        assert_eq!(ds.target_names[ds.target[i]], cat, "{key}");
    }
}

fn opts(home: &Path) -> FetchOptions {
    FetchOptions::new()
        .data_home(home)
        .download_if_missing(false)
}

#[test]
fn synthetic_archive_pipeline() {
    let home = TempDir::new("synthetic");
    write_archive(&home.path().join(ARCHIVE_NAME), 0);
    let all = opts(home.path())
        .subset(Subset::All)
        .shuffle(false)
        .fetch()
        .unwrap();
    assert_eq!(all.len(), 15 + 18);
    assert_eq!(
        all.target_names,
        ["alt.atheism", "comp.graphics", "sci.space"]
    );
    // Train first, then test.
    let n_train = all
        .filenames
        .iter()
        .filter(|f| f.starts_with("20news-bydate-train"))
        .count();
    assert_eq!(n_train, 15);
    assert!(all.filenames[..15]
        .iter()
        .all(|f| f.starts_with("20news-bydate-train")));
    check_against_archive(&all, 0, Remove::NONE);

    let sel = opts(home.path())
        .subset(Subset::Test)
        .categories(&["sci.space", "alt.atheism"])
        .remove(Remove::ALL)
        .fetch()
        .unwrap();
    assert_eq!(sel.target_names, ["alt.atheism", "sci.space"]);
    assert_eq!(sel.len(), 5 + 6);
    check_against_archive(&sel, 0, Remove::ALL);
    // The removals really happened: the header, quote and signature are gone.
    for text in &sel.data {
        assert!(text.starts_with("body of "), "{text:?}");
        assert!(
            !text.contains("signature") && !text.contains("quoted"),
            "{text:?}"
        );
        assert!(
            text.contains("caf\u{e9}\u{a0}"),
            "latin-1 decoding: {text:?}"
        );
    }
    // The seed changes the order, not the content.
    let other = opts(home.path())
        .subset(Subset::Test)
        .categories(&["sci.space", "alt.atheism"])
        .remove(Remove::ALL)
        .random_state(1)
        .fetch()
        .unwrap();
    assert_ne!(other.filenames, sel.filenames);
    let mut a = other.filenames.clone();
    let mut b = sel.filenames.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn extracted_folders_give_the_same_dataset_as_the_archive() {
    let from_archive = TempDir::new("arch");
    write_archive(&from_archive.path().join(ARCHIVE_NAME), 0);
    let from_folders = TempDir::new("folders");
    for (folder, cat, file, bytes) in synthetic_posts(0) {
        let d = from_folders.path().join(folder).join(cat);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(file), bytes).unwrap();
    }
    for subset in [Subset::Train, Subset::Test, Subset::All] {
        let o = |h: &Path| {
            opts(h)
                .subset(subset)
                .categories(&["comp.graphics", "sci.space"])
                .remove(Remove::ALL)
        };
        let a = o(from_archive.path()).fetch().unwrap();
        let (b, report) = o(from_folders.path()).fetch_with_report().unwrap();
        // `All` reuses what the `Train` and `Test` rounds cached.
        assert_eq!(report.from_cache, subset == Subset::All, "{subset:?}");
        assert_eq!(a, b, "{subset:?}");
        let (c, report) = o(from_folders.path()).fetch_with_report().unwrap();
        assert!(report.from_cache);
        assert_eq!(a, c, "{subset:?}");
    }
}

#[test]
fn cache_is_written_atomically_reused_and_invalidated() {
    let home = TempDir::new("cache");
    let archive = home.path().join(ARCHIVE_NAME);
    write_archive(&archive, 0);
    let o = opts(home.path()).subset(Subset::Train);
    let (first, r1) = o.fetch_with_report().unwrap();
    assert!(!r1.from_cache && !r1.downloaded);
    assert_eq!(r1.data_path, archive);
    assert_eq!(
        listing(home.path()),
        [
            "20news-bydate-test.topicmod-cache",
            "20news-bydate-train.topicmod-cache",
            ARCHIVE_NAME
        ],
        "exactly the two cache files, no temporary leftovers"
    );
    let (second, r2) = o.fetch_with_report().unwrap();
    assert!(r2.from_cache, "the second load must come from the cache");
    assert_eq!(first, second);

    // A damaged cache file is ignored and rebuilt.
    let cache = home.path().join("20news-bydate-train.topicmod-cache");
    let bytes = std::fs::read(&cache).unwrap();
    std::fs::write(&cache, &bytes[..bytes.len() / 2]).unwrap();
    let (third, r3) = o.fetch_with_report().unwrap();
    assert!(!r3.from_cache);
    assert_eq!(first, third);
    std::fs::write(&cache, b"garbage").unwrap();
    let (fourth, r4) = o.fetch_with_report().unwrap();
    assert!(!r4.from_cache);
    assert_eq!(first, fourth);
    assert!(o.fetch_with_report().unwrap().1.from_cache);

    // A different archive invalidates the cache.
    write_archive(&archive, 1);
    let (fifth, r5) = o.fetch_with_report().unwrap();
    assert!(!r5.from_cache);
    assert!(fifth.data.iter().all(|t| t.contains(" v1\n")));
    check_against_archive(&fifth, 1, Remove::NONE);
    assert_eq!(listing(home.path()).len(), 3);
}

#[test]
fn cache_dir_that_cannot_be_written_is_not_fatal() {
    let home = TempDir::new("ro-cache");
    write_archive(&home.path().join(ARCHIVE_NAME), 0);
    // A regular file where the cache folder should be.
    let blocker = home.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let (ds, r) = opts(home.path())
        .cache_dir(blocker.join("sub"))
        .fetch_with_report()
        .unwrap();
    assert!(!r.from_cache);
    assert_eq!(ds.len(), 15);
}

// ---------------------------------------------------------------------------
// Errors

#[test]
fn unknown_and_empty_categories() {
    let home = TempDir::new("cats");
    write_archive(&home.path().join(ARCHIVE_NAME), 0);
    match opts(home.path())
        .categories(&["sci.space", "rec.autos"])
        .fetch()
    {
        Err(Error::UnknownCategory { name, valid }) => {
            assert_eq!(name, "rec.autos");
            assert_eq!(valid, ["alt.atheism", "comp.graphics", "sci.space"]);
        }
        other => panic!("expected UnknownCategory, got {other:?}"),
    }
    let empty: [&str; 0] = [];
    assert!(matches!(
        opts(home.path()).categories(&empty).fetch(),
        Err(Error::InvalidParameter {
            name: "categories",
            ..
        })
    ));
}

#[test]
fn missing_data_with_download_disabled() {
    let home = TempDir::new("missing");
    let err = opts(home.path()).fetch().unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::DataNotFound(_)), "{msg}");
    assert!(
        msg.contains("TOPICMOD_DATA") && msg.contains(ARCHIVE_NAME),
        "{msg}"
    );
    assert!(
        msg.contains(&home.path().join(ARCHIVE_NAME).display().to_string()),
        "{msg}"
    );
    assert!(listing(home.path()).is_empty());
}

#[test]
fn truncated_archive_is_corrupt_and_leaves_nothing_behind() {
    let src = TempDir::new("trunc-src");
    let full = write_archive(&src.path().join("full.tar.gz"), 0);
    for cut in [
        10,
        full.len() / 3,
        full.len() / 2,
        full.len() - 9,
        full.len() - 1,
    ] {
        let home = TempDir::new("trunc");
        std::fs::write(home.path().join(ARCHIVE_NAME), &full[..cut]).unwrap();
        let err = opts(home.path()).fetch().unwrap_err();
        assert!(
            matches!(err, Error::CorruptArchive { .. }),
            "cut at {cut}: {err}"
        );
        assert_eq!(
            listing(home.path()),
            [ARCHIVE_NAME],
            "cut at {cut}: no cache written"
        );
    }
}

#[test]
fn non_gzip_and_wrong_archives_are_corrupt() {
    let home = TempDir::new("notgz");
    std::fs::write(
        home.path().join(ARCHIVE_NAME),
        b"this is not a gzip file at all\n".repeat(100),
    )
    .unwrap();
    let err = opts(home.path()).fetch().unwrap_err();
    assert!(matches!(err, Error::CorruptArchive { .. }), "{err}");
    assert_eq!(listing(home.path()), [ARCHIVE_NAME]);

    // A valid tar.gz without the two subset folders.
    let home = TempDir::new("wrongtar");
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    {
        let mut tar = tar::Builder::new(&mut gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_cksum();
        tar.append_data(&mut h, "other/cat/1", &b"hello"[..])
            .unwrap();
        tar.finish().unwrap();
    }
    std::fs::write(home.path().join(ARCHIVE_NAME), gz.finish().unwrap()).unwrap();
    let err = opts(home.path()).fetch().unwrap_err();
    assert!(matches!(err, Error::CorruptArchive { .. }), "{err}");
    assert_eq!(listing(home.path()), [ARCHIVE_NAME]);
}

// ---------------------------------------------------------------------------
// Downloads from a loopback server

/// Serves `routes` (path -> body; other paths get 404) on 127.0.0.1 until dropped.
struct Server {
    addr: String,
    hits: std::sync::Arc<AtomicUsize>,
}

fn serve(routes: Vec<(&'static str, Vec<u8>)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            h.fetch_add(1, Ordering::SeqCst);
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req);
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let resp = match routes.iter().find(|r| r.0 == path) {
                Some((_, body)) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(body);
                    r
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = s.write_all(&resp);
        }
    });
    Server { addr, hits }
}

/// A URL on a loopback port nothing listens on.
fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/{ARCHIVE_NAME}")
}

#[test]
fn download_with_wrong_checksum_is_removed() {
    let src = TempDir::new("dl-src");
    let bytes = write_archive(&src.path().join("a.tar.gz"), 0);
    let server = serve(vec![("/archive", bytes.clone())]);
    let home = TempDir::new("dl-bad");
    let wrong = "0".repeat(64);
    let err = FetchOptions::new()
        .data_home(home.path())
        .source(ArchiveSource::new(
            format!("{}/archive", server.addr),
            wrong.clone(),
        ))
        .fetch()
        .unwrap_err();
    match err {
        Error::ChecksumMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, sha256_hex(&bytes));
        }
        e => panic!("expected ChecksumMismatch, got {e}"),
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
    assert!(
        listing(home.path()).is_empty(),
        "left behind: {:?}",
        listing(home.path())
    );
}

#[test]
fn download_falls_back_to_the_next_url_and_is_then_used_offline() {
    let src = TempDir::new("dl-src2");
    let bytes = write_archive(&src.path().join("a.tar.gz"), 0);
    let server = serve(vec![("/good", bytes.clone())]);
    let home = TempDir::new("dl-good");
    let source = ArchiveSource {
        urls: vec![
            dead_url(),
            format!("{}/missing", server.addr),
            format!("{}/good", server.addr),
        ],
        sha256: sha256_hex(&bytes),
    };
    let o = FetchOptions::new()
        .data_home(home.path())
        .source(source)
        .remove(Remove::ALL);
    let (ds, r) = o.fetch_with_report().unwrap();
    assert!(r.downloaded && !r.from_cache);
    assert_eq!(
        std::fs::read(home.path().join(ARCHIVE_NAME)).unwrap(),
        bytes
    );
    check_against_archive(&ds, 0, Remove::ALL);
    assert_eq!(ds.len(), 15);
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
    // Now it is local: no more requests, and the parsed cache serves it.
    let (again, r) = o.download_if_missing(false).fetch_with_report().unwrap();
    assert!(!r.downloaded && r.from_cache);
    assert_eq!(ds, again);
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
}

#[test]
fn failed_download_says_where_to_put_the_file() {
    let home = TempDir::new("dl-offline");
    let err = FetchOptions::new()
        .data_home(home.path())
        .source(ArchiveSource::new(dead_url(), "0".repeat(64)))
        .fetch()
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Download(_)), "{msg}");
    assert!(msg.contains("TOPICMOD_DATA"), "{msg}");
    assert!(
        msg.contains(&home.path().join(ARCHIVE_NAME).display().to_string()),
        "{msg}"
    );
    assert!(listing(home.path()).is_empty());
}
