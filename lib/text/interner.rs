//! A string interner tuned for vocabularies: token -> dense id, with a value per id.
//!
//! Strings live back to back in one byte arena; the open-addressing table holds, per
//! slot, 32 bits of the token's hash and its id, so a probe touches the table first and
//! reads the arena only when the hash bits match. Linear probing, load factor <= 1/2.

use super::hash::FxHasher;
use std::hash::Hasher;

const EMPTY: u64 = 0;

#[inline]
fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(b);
    h.finish()
}

/// Token -> id map with a `u32` value per id (ids count up from 0 in insertion order).
#[derive(Debug, Clone)]
pub(crate) struct Interner {
    /// `(hash >> 32) << 32 | (id + 1)`, or [`EMPTY`].
    table: Vec<u64>,
    mask: usize,
    arena: Vec<u8>,
    /// Start and length in `arena` of each id's string.
    spans: Vec<(u32, u32)>,
    values: Vec<u32>,
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
            table: vec![EMPTY; slots],
            mask: slots - 1,
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

    /// Finds `s`: `Ok(id)` if present, else `Err((slot, hash))` for [`Self::insert_at`].
    #[inline]
    fn find(&self, s: &str) -> Result<usize, (usize, u64)> {
        let bytes = s.as_bytes();
        let h = hash_bytes(bytes);
        let tag = h & 0xffff_ffff_0000_0000;
        let mut i = (h as usize) & self.mask;
        loop {
            let e = self.table[i];
            if e == EMPTY {
                return Err((i, h));
            }
            if e & 0xffff_ffff_0000_0000 == tag {
                let id = (e & 0xffff_ffff) as usize - 1;
                let (a, n) = self.spans[id];
                if n as usize == bytes.len() {
                    let stored = &self.arena[a as usize..a as usize + n as usize];
                    // Tokens are short: a plain loop beats a call to memcmp.
                    if stored.iter().zip(bytes).all(|(x, y)| x == y) {
                        return Ok(id);
                    }
                }
            }
            i = (i + 1) & self.mask;
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
            Err((slot, h)) => self.insert_at(slot, h, s, value).map(|id| (id, true)),
        }
    }

    fn insert_at(&mut self, slot: usize, h: u64, s: &str, value: u32) -> Option<usize> {
        let id = self.spans.len();
        let a = self.arena.len();
        if id >= u32::MAX as usize - 1 || a + s.len() > u32::MAX as usize {
            return None;
        }
        self.arena.extend_from_slice(s.as_bytes());
        self.spans.push((a as u32, s.len() as u32));
        self.values.push(value);
        self.table[slot] = (h & 0xffff_ffff_0000_0000) | (id as u64 + 1);
        if 2 * self.spans.len() > self.table.len() {
            self.grow();
        }
        Some(id)
    }

    fn grow(&mut self) {
        let slots = self.table.len() * 2;
        let mut table = vec![EMPTY; slots];
        let mask = slots - 1;
        for id in 0..self.spans.len() {
            let h = hash_bytes(self.get_bytes(id));
            let mut i = (h as usize) & mask;
            while table[i] != EMPTY {
                i = (i + 1) & mask;
            }
            table[i] = (h & 0xffff_ffff_0000_0000) | (id as u64 + 1);
        }
        self.table = table;
        self.mask = mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_grows() {
        let mut m = Interner::default();
        let words: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get_or_insert(w, i as u32 * 2), Some((i, true)));
        }
        assert_eq!(m.get_or_insert("w17", 0), Some((17, false)));
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get(w), Some(i));
            assert_eq!(m.value(i), i as u32 * 2);
            assert_eq!(m.get_str(i), w);
        }
        assert_eq!(m.get("w5000"), None);
        assert_eq!(m.get(""), None);
        assert_eq!(m.get_or_insert("", 7), Some((5000, true)));
        assert_eq!(m.get(""), Some(5000));
        assert_eq!(m.len(), 5001);
    }
}
