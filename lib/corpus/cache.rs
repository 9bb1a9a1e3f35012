//! The parsed-corpus cache: one binary file per subset.
//!
//! Layout (integers little-endian `u32`, strings as a length followed by bytes):
//! the magic `TOPICMOD-20NEWS`, the format version, the key of the data it came
//! from, the category names, then for every post its label, its relative file name
//! and its raw bytes, in cache order; last, the CRC-32 of everything before it. The
//! file is not compressed: reading 23 MB and checking its CRC takes a few hundredths
//! of a second, where inflating a gzip'd copy takes about half a second. Any problem
//! at all (missing, stale key, bad CRC, truncated) makes [`read`] return `None` so
//! the caller re-parses and rewrites the file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::Crc;

use super::raw::RawSubset;
use crate::{Error, Result};

const MAGIC: &[u8] = b"TOPICMOD-20NEWS";
const VERSION: u32 = 2;

fn put_u32(out: &mut Vec<u8>, v: usize) -> Result<()> {
    let v = u32::try_from(v)
        .map_err(|_| Error::Cache("value too large for the cache format".into()))?;
    out.extend_from_slice(&v.to_le_bytes());
    Ok(())
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) -> Result<()> {
    put_u32(out, b.len())?;
    out.extend_from_slice(b);
    Ok(())
}

/// A unique temporary name next to `path` (same directory, so `rename` is atomic).
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.{nanos}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so readers see
/// either the old file or the complete new one; the temporary is removed on failure.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let mut w = BufWriter::new(File::create(&tmp)?);
        write(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// Serializes a subset (uncompressed payload).
fn encode(key: &str, s: &RawSubset) -> Result<Vec<u8>> {
    let total: usize = s.data.iter().map(|d| d.len() + 64).sum();
    let mut out = Vec::with_capacity(total + 1024);
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION as usize)?;
    put_bytes(&mut out, key.as_bytes())?;
    put_u32(&mut out, s.target_names.len())?;
    for n in &s.target_names {
        put_bytes(&mut out, n.as_bytes())?;
    }
    put_u32(&mut out, s.len())?;
    for i in 0..s.len() {
        put_u32(&mut out, s.target[i])?;
        put_bytes(&mut out, s.filenames[i].as_bytes())?;
        put_bytes(&mut out, &s.data[i])?;
    }
    let mut crc = Crc::new();
    crc.update(&out);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    Ok(out)
}

/// Writes the cache file for one subset atomically.
pub(crate) fn write(path: &Path, key: &str, s: &RawSubset) -> Result<()> {
    let payload = encode(key, s)?;
    write_atomic(path, |w| w.write_all(&payload))
        .map_err(|e| Error::Cache(format!("could not write {}: {e}", path.display())))
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    fn u32(&mut self) -> Option<usize> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
}

fn decode(buf: &[u8], key: &str) -> Option<RawSubset> {
    let (buf, sum) = buf.split_at(buf.len().checked_sub(4)?);
    let mut crc = Crc::new();
    crc.update(buf);
    if crc.sum().to_le_bytes() != sum {
        return None;
    }
    let mut c = Cursor { buf, pos: 0 };
    if c.take(MAGIC.len())? != MAGIC || c.u32()? != VERSION as usize || c.bytes()? != key.as_bytes()
    {
        return None;
    }
    let n_names = c.u32()?;
    let mut s = RawSubset::default();
    for _ in 0..n_names {
        s.target_names.push(c.string()?);
    }
    let n = c.u32()?;
    // Each post takes at least 12 bytes: refuse absurd counts before allocating.
    if n > buf.len() / 12 {
        return None;
    }
    s.target.reserve(n);
    s.filenames.reserve(n);
    s.data.reserve(n);
    for _ in 0..n {
        let t = c.u32()?;
        if t >= n_names {
            return None;
        }
        s.target.push(t);
        s.filenames.push(c.string()?);
        s.data.push(c.bytes()?.to_vec());
    }
    (c.pos == buf.len()).then_some(s)
}

/// Reads a cache file; `None` when it is missing, stale (other key), or damaged.
pub(crate) fn read(path: &Path, key: &str) -> Option<RawSubset> {
    let buf = std::fs::read(path).ok()?;
    decode(&buf, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RawSubset {
        RawSubset {
            target_names: vec!["a".into(), "b".into()],
            target: vec![1, 0, 1],
            filenames: vec!["t/b/1".into(), "t/a/2".into(), "t/b/3".into()],
            data: vec![b"x\xe9y".to_vec(), vec![], b"hello\n\nworld".to_vec()],
        }
    }

    #[test]
    fn roundtrip_and_rejections() {
        let s = sample();
        let buf = encode("k1", &s).unwrap();
        assert_eq!(decode(&buf, "k1"), Some(s.clone()));
        assert_eq!(decode(&buf, "k2"), None, "another key is stale");
        for cut in [0, 5, buf.len() / 2, buf.len() - 1] {
            assert_eq!(decode(&buf[..cut], "k1"), None, "truncated at {cut}");
        }
        let mut longer = buf.clone();
        longer.push(0);
        assert_eq!(decode(&longer, "k1"), None, "trailing garbage");
        for i in [0, 20, buf.len() / 2, buf.len() - 1] {
            let mut flipped = buf.clone();
            flipped[i] ^= 0x10;
            assert_eq!(decode(&flipped, "k1"), None, "bit flip at {i}");
        }
    }
}
