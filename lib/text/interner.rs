//! A string interner tuned for vocabularies: token -> dense id, with a value per id.
//!
//! Strings live back to back in one byte arena. Each slot of the open-addressing table
//! (linear probing, load factor <= 1/2) holds the first 8 bytes of its string, 24 bits
//! of hash, the length and the id, so a lookup of a token of at most 8 bytes (most
//! words) is settled by the table alone, without touching the arena.

const EMPTY: u64 = 0;
const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Little-endian `u64` of `b[at..at + 8]` (which must be in bounds).
#[inline]
fn word_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Little-endian `u32` of `b[at..at + 4]` (which must be in bounds).
#[inline]
fn half_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w) as u64
}

/// The first 8 bytes of `b` (zero-padded, little-endian) and a 64-bit hash of all of `b`.
#[inline]
fn prefix_and_hash(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    // Short strings are read with (possibly overlapping) fixed-size loads: a byte read
    // twice lands on the same position both times.
    let prefix = match n {
        0 => 0,
        1..=3 => {
            b[0] as u64 | (b[n / 2] as u64) << (8 * (n / 2)) | (b[n - 1] as u64) << (8 * (n - 1))
        }
        4..=7 => half_at(b, 0) | half_at(b, n - 4) << (8 * (n - 4)),
        _ => word_at(b, 0),
    };
    let mut h = (prefix ^ (n as u64).rotate_right(8)).wrapping_mul(K);
    if n > 8 {
        let mut at = 8;
        while at + 8 <= n {
            h = (h.rotate_left(5) ^ word_at(b, at)).wrapping_mul(K);
            at += 8;
        }
        if at < n {
            // The last 8 bytes, overlapping what came before.
            h = (h.rotate_left(5) ^ word_at(b, n - 8)).wrapping_mul(K);
        }
    }
    // Fold the well-mixed high bits down before the final multiply.
    (prefix, (h ^ (h >> 29)).wrapping_mul(K))
}

/// One table slot: `meta` is `tag << 40 | min(len, 255) << 32 | (id + 1)`, or [`EMPTY`].
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    prefix: u64,
    meta: u64,
}

/// Token -> id map with a `u32` value per id (ids count up from 0 in insertion order).
#[derive(Debug, Clone)]
pub(crate) struct Interner {
    table: Vec<Slot>,
    /// `64 - log2(table.len())`: the slot index is the top bits of the hash.
    shift: u32,
    arena: Vec<u8>,
    /// Start and length in `arena` of each id's string.
    spans: Vec<(u32, u32)>,
    values: Vec<u32>,
}

#[inline]
fn meta_key(h: u64, len: usize) -> u64 {
    ((h & 0xff_ffff) << 40) | ((len.min(255) as u64) << 32)
}

impl Default for Interner {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl Interner {
    pub(crate) fn with_capacity(n: usize) -> Self {
        let slots = (2 * n.max(512)).next_power_of_two();
        Interner {
            table: vec![Slot::default(); slots],
            shift: 64 - slots.trailing_zeros(),
            arena: Vec::new(),
            spans: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
        }
    }

    /// Number of strings.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// The string of `id`.
    #[inline]
    pub(crate) fn get_str(&self, id: usize) -> &str {
        // Only whole `&str`s are ever copied into the arena.
        std::str::from_utf8(self.get_bytes(id)).expect("arena holds whole UTF-8 strings")
    }

    /// The UTF-8 bytes of `id`'s string.
    #[inline]
    pub(crate) fn get_bytes(&self, id: usize) -> &[u8] {
        let (a, n) = self.spans[id];
        &self.arena[a as usize..a as usize + n as usize]
    }

    /// The value of `id`.
    #[inline]
    pub(crate) fn value(&self, id: usize) -> u32 {
        self.values[id]
    }

    /// Sets the value of `id`.
    #[inline]
    pub(crate) fn set_value(&mut self, id: usize, v: u32) {
        self.values[id] = v;
    }

    /// Values in id order.
    pub(crate) fn values_mut(&mut self) -> &mut [u32] {
        &mut self.values
    }

    /// Finds `s`: `Ok(id)` if present, else `Err((slot, prefix, hash))` for
    /// [`Self::insert_at`].
    #[inline]
    fn find(&self, s: &str) -> Result<usize, (usize, u64, u64)> {
        let bytes = s.as_bytes();
        let (prefix, h) = prefix_and_hash(bytes);
        let key = meta_key(h, bytes.len());
        let mask = self.table.len() - 1;
        let mut i = (h >> self.shift) as usize;
        loop {
            let slot = self.table[i];
            if slot.meta == EMPTY {
                return Err((i, prefix, h));
            }
            if slot.meta & !0xffff_ffff == key && slot.prefix == prefix {
                let id = (slot.meta & 0xffff_ffff) as usize - 1;
                // Equal prefix and length settle strings of up to 8 bytes.
                if bytes.len() <= 8 {
                    return Ok(id);
                }
                let (a, n) = self.spans[id];
                if n as usize == bytes.len() {
                    let stored = &self.arena[a as usize + 8..a as usize + n as usize];
                    if stored.iter().zip(&bytes[8..]).all(|(x, y)| x == y) {
                        return Ok(id);
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The id of `s`, if interned.
    #[inline]
    pub(crate) fn get(&self, s: &str) -> Option<usize> {
        self.find(s).ok()
    }

    /// The id of `s`, interning it with `value` if new; `None` if the interner is full
    /// (2^32 - 2 strings or 4 GiB of text).
    #[inline]
    pub(crate) fn get_or_insert(&mut self, s: &str, value: u32) -> Option<(usize, bool)> {
        match self.find(s) {
            Ok(id) => Some((id, false)),
            Err((slot, prefix, h)) => self
                .insert_at(slot, prefix, h, s, value)
                .map(|id| (id, true)),
        }
    }

    fn insert_at(
        &mut self,
        slot: usize,
        prefix: u64,
        h: u64,
        s: &str,
        value: u32,
    ) -> Option<usize> {
        let id = self.spans.len();
        let a = self.arena.len();
        if id >= u32::MAX as usize - 1 || a + s.len() > u32::MAX as usize {
            return None;
        }
        self.arena.extend_from_slice(s.as_bytes());
        self.spans.push((a as u32, s.len() as u32));
        self.values.push(value);
        self.table[slot] = Slot {
            prefix,
            meta: meta_key(h, s.len()) | (id as u64 + 1),
        };
        if 2 * self.spans.len() > self.table.len() {
            self.grow();
        }
        Some(id)
    }

    fn grow(&mut self) {
        let slots = self.table.len() * 2;
        let mut table = vec![Slot::default(); slots];
        let shift = 64 - slots.trailing_zeros();
        let mask = slots - 1;
        for id in 0..self.spans.len() {
            let bytes = self.get_bytes(id);
            let (prefix, h) = prefix_and_hash(bytes);
            let mut i = (h >> shift) as usize;
            while table[i].meta != EMPTY {
                i = (i + 1) & mask;
            }
            table[i] = Slot {
                prefix,
                meta: meta_key(h, bytes.len()) | (id as u64 + 1),
            };
        }
        self.table = table;
        self.shift = shift;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_grows() {
        let mut m = Interner::default();
        // Short and long words, and long ones sharing their first 8 bytes.
        let words: Vec<String> = (0..5000)
            .map(|i| match i % 3 {
                0 => format!("w{i}"),
                1 => format!("prefixed{i}"),
                _ => format!("{}{i}", "long".repeat(i % 70)),
            })
            .collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get_or_insert(w, i as u32 * 2), Some((i, true)));
        }
        assert_eq!(m.get_or_insert(&words[17], 0), Some((17, false)));
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get(w), Some(i));
            assert_eq!(m.value(i), i as u32 * 2);
            assert_eq!(m.get_str(i), w);
        }
        assert_eq!(m.get("w5001"), None);
        assert_eq!(m.get("prefixed"), None);
        assert_eq!(m.get("prefixed1\0"), None);
        assert_eq!(m.get(""), None);
        assert_eq!(m.get_or_insert("", 7), Some((5000, true)));
        assert_eq!(m.get(""), Some(5000));
        assert_eq!(m.len(), 5001);
    }
}
