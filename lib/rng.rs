//! A random number generator that reproduces NumPy's legacy `np.random.RandomState`.
//!
//! scikit-learn draws all its randomness from `RandomState(seed)`: the shuffle in
//! `fetch_20newsgroups`, the Gaussian test matrix of `randomized_svd`, the `random`
//! and `nndsvdar` NMF initialisations. To give the same numbers from the same inputs we
//! need the same stream, so this module implements the 32-bit Mersenne Twister
//! (MT19937) with NumPy's seeding, and the exact derived draws NumPy's legacy API uses:
//!
//! * `random_sample`: a 53-bit double `(a >> 5) * 2^26 + (b >> 6)` over `2^53`;
//! * `standard_normal`: the polar Box-Muller method, which makes two normals per
//!   accepted pair and caches the second one;
//! * `shuffle` / `permutation`: Fisher-Yates from the back, each index drawn by
//!   rejection sampling under a bit mask.
//!
//! ```
//! use topicmod::rng::RandomState;
//! let mut rng = RandomState::new(42);
//! let p = rng.permutation(5);
//! let mut sorted = p.clone();
//! sorted.sort();
//! assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
//! ```

use ndarray::Array2;

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// NumPy-compatible legacy random state (MT19937).
#[derive(Clone, Debug)]
pub struct RandomState {
    key: [u32; N],
    pos: usize,
    gauss: Option<f64>,
}

impl RandomState {
    /// Seeds the generator as `np.random.RandomState(seed)` does for an integer seed.
    pub fn new(seed: u32) -> Self {
        let mut key = [0u32; N];
        let mut s = seed;
        for (i, k) in key.iter_mut().enumerate() {
            *k = s;
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(i as u32 + 1);
        }
        RandomState {
            key,
            pos: N,
            gauss: None,
        }
    }

    /// A generator seeded from the clock, for `random_state = None`.
    pub fn from_entropy() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Self::new((nanos as u32) ^ ((nanos >> 32) as u32) ^ std::process::id())
    }

    fn regenerate(&mut self) {
        let k = &mut self.key;
        for i in 0..N {
            let y = (k[i] & UPPER_MASK) | (k[(i + 1) % N] & LOWER_MASK);
            let mut v = k[(i + M) % N] ^ (y >> 1);
            if y & 1 == 1 {
                v ^= MATRIX_A;
            }
            k[i] = v;
        }
        self.pos = 0;
    }

    /// The next raw 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.regenerate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// The next 64-bit output: two 32-bit draws, the first in the high half.
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        (hi << 32) | self.next_u32() as u64
    }

    /// A uniform double in `[0, 1)` with 53 random bits (`np.random.random_sample`).
    pub fn random_sample(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A standard normal draw (`np.random.standard_normal`, legacy polar method).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `loc + scale * N(0, 1)`, as `np.random.normal(loc, scale)`.
    pub fn normal(&mut self, loc: f64, scale: f64) -> f64 {
        loc + scale * self.standard_normal()
    }

    /// A `rows x cols` matrix of standard normals filled in row-major (C) order,
    /// as `RandomState.normal(size=(rows, cols))`.
    pub fn standard_normal_matrix(&mut self, rows: usize, cols: usize) -> Array2<f64> {
        Array2::from_shape_simple_fn((rows, cols), || self.standard_normal())
    }

    /// A uniform integer in `0..=max` by masked rejection sampling (NumPy's `random_interval`).
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        if max <= 0xffff_ffff {
            loop {
                let v = (self.next_u32() as u64) & mask;
                if v <= max {
                    return v;
                }
            }
        } else {
            loop {
                let v = self.next_u64() & mask;
                if v <= max {
                    return v;
                }
            }
        }
    }

    /// Shuffles a slice in place exactly as `RandomState.shuffle` shuffles a 1-D array.
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.interval(i as u64) as usize;
            x.swap(i, j);
        }
    }

    /// A shuffled `0..n` (`RandomState.permutation(n)`).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        self.shuffle(&mut p);
        p
    }
}

/// `Some(seed)` gives a fresh [`RandomState::new`]; `None` one seeded from the clock,
/// mirroring scikit-learn's `check_random_state` for an int or `None`.
pub fn check_random_state(seed: Option<u32>) -> RandomState {
    match seed {
        Some(s) => RandomState::new(s),
        None => RandomState::from_entropy(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values printed by NumPy 2.4 (`np.random.RandomState`).
    #[test]
    fn matches_numpy_streams() {
        let mut r = RandomState::new(42);
        assert_eq!(
            [r.next_u32(), r.next_u32(), r.next_u32()],
            [1608637542, 3421126067, 4083286876]
        );
        let mut r = RandomState::new(5);
        assert_eq!(r.random_sample(), 0.22199317108973948);
        assert_eq!(r.standard_normal(), -0.2939598035905121);
        assert_eq!(r.standard_normal(), 0.3715905688783965);
        assert_eq!(r.standard_normal(), -0.023303746449855414);
        let mut r = RandomState::new(42);
        assert_eq!(r.permutation(10), vec![8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
        let mut r = RandomState::new(0);
        let p = r.permutation(100_000);
        assert_eq!(&p[..5], &[3582, 60498, 53227, 21333, 3885]);
        let mut r = RandomState::new(1);
        let m = r.standard_normal_matrix(2, 3);
        assert_eq!(m[[0, 0]], 1.6243453636632417);
        assert_eq!(m[[0, 2]], -0.5281717522634557);
        assert_eq!(m[[1, 2]], -2.3015386968802827);
    }
}
