//! A small, fast, non-cryptographic hasher for the vocabulary maps.
//!
//! The vectorizers hash every token of every document, mostly short ASCII words, so
//! the default SipHash (built to resist hash flooding) costs more than the rest of
//! tokenizing. This is the multiply-rotate scheme popularised by Firefox and rustc
//! ("FxHash"): each 8-byte word `w` updates the state as `h = (rotl(h, 5) ^ w) * K`.
//! It is deterministic, so the maps do not depend on a random seed.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Multiply-rotate hasher (see the module docs). Not for untrusted adversarial keys.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            // Mix in the length so that "ab" and "ab\0" differ.
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // One last multiply spreads the low bits into the high ones, which hashbrown
        // uses for its control bytes.
        (self.hash ^ (self.hash >> 29)).wrapping_mul(K)
    }
}

/// `BuildHasher` for [`FxHasher`].
pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// A `HashMap` using [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, FxBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn distinct_short_keys_hash_apart() {
        let b = FxBuildHasher::default();
        let words = ["", "a", "ab", "ab\0", "ba", "abcdefgh", "abcdefghi", "the"];
        let hashes: Vec<u64> = words.iter().map(|w| b.hash_one(w)).collect();
        for i in 0..hashes.len() {
            for j in 0..i {
                assert_ne!(hashes[i], hashes[j], "{:?} vs {:?}", words[i], words[j]);
            }
        }
        assert_eq!(b.hash_one("space"), b.hash_one(String::from("space")));
    }
}
