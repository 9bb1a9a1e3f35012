//! The LU normalizer's kernel: `P·L` of a partial-pivot LU through LAPACK's `dgetrf`.
//!
//! `dgetrf` factors a column-major copy in place (`L` strictly below the diagonal, its
//! unit diagonal implied) and reports the row interchanges as `ipiv`; `P·L` is `L` with its
//! rows put back where the interchanges took them from. Matrices too large for LAPACK's
//! 32-bit sizes take the textbook elimination in [`lu_serial`] instead.

use ndarray::{Array2, ArrayView2, ShapeBuilder};

/// `P·L` of `a` (`m x n`): `m x min(m, n)`, row `perm[i]` holding row `i` of `L`.
pub(super) fn permuted_l(a: ArrayView2<f64>) -> Array2<f64> {
    let (m, n) = a.dim();
    if m == 0 || n == 0 {
        return Array2::zeros((m, m.min(n)));
    }
    match (i32::try_from(m), i32::try_from(n)) {
        (Ok(mi), Ok(ni)) => lu_lapack(a, mi, ni),
        _ => lu_serial(a),
    }
}

/// `dgetrf` on a column-major copy of the non-empty `a` (`mi`, `ni` its sizes).
fn lu_lapack(a: ArrayView2<f64>, mi: i32, ni: i32) -> Array2<f64> {
    let (m, n) = a.dim();
    let kmin = m.min(n);
    let mut f = Array2::<f64>::zeros((m, n).f());
    f.assign(&a);
    let mut ipiv = vec![0i32; kmin];
    let mut info = 0;
    let lu = f
        .as_slice_memory_order_mut()
        .expect("a fresh array is contiguous");
    // SAFETY: `lu` holds the m x n column-major matrix with leading dimension m (all three
    // sizes fit the i32 that LAPACK takes), and `ipiv` has room for its min(m, n) pivots.
    unsafe { lapack_sys::dgetrf_(&mi, &ni, lu.as_mut_ptr(), &mi, ipiv.as_mut_ptr(), &mut info) };
    // A negative `info` names a bad argument, which the sizes above rule out; a positive
    // one reports an exactly zero pivot, after which the factorization still completes.
    debug_assert!(info >= 0, "dgetrf rejected argument {}", -info);
    let mut perm: Vec<usize> = (0..m).collect();
    for (j, &p) in ipiv.iter().enumerate() {
        // LAPACK's pivots are 1-based rows j..m.
        perm.swap(j, (p as usize).clamp(j + 1, m) - 1);
    }
    let mut out = vec![0.0; m * kmin];
    for (pos, &orig) in perm.iter().enumerate() {
        let row = &mut out[orig * kmin..(orig + 1) * kmin];
        for (c, x) in row.iter_mut().enumerate().take(pos.min(kmin)) {
            *x = lu[c * m + pos];
        }
        if pos < kmin {
            row[pos] = 1.0;
        }
    }
    Array2::from_shape_vec((m, kmin), out).expect("m x min(m, n)")
}

/// Textbook column-by-column elimination (what `getf2` does): the pivot of column `j` is
/// the first row from `j` down with the largest `|a_ij|`, the multipliers are the column
/// times the pivot's reciprocal, and a zero pivot leaves its column as it is.
pub(super) fn lu_serial(a: ArrayView2<f64>) -> Array2<f64> {
    let (m, n) = a.dim();
    let kmin = m.min(n);
    let mut w = a.to_owned();
    let mut perm: Vec<usize> = (0..m).collect();
    for j in 0..kmin {
        let mut p = j;
        for i in j + 1..m {
            if w[[i, j]].abs() > w[[p, j]].abs() {
                p = i;
            }
        }
        for c in 0..n {
            w.swap([j, c], [p, c]);
        }
        perm.swap(j, p);
        let piv = w[[j, j]];
        if piv == 0.0 {
            continue;
        }
        for i in j + 1..m {
            w[[i, j]] *= 1.0 / piv;
            for c in j + 1..n {
                let d = w[[i, j]] * w[[j, c]];
                w[[i, c]] -= d;
            }
        }
    }
    let mut out = Array2::zeros((m, kmin));
    for (pos, &orig) in perm.iter().enumerate() {
        for c in 0..kmin.min(pos + 1) {
            out[[orig, c]] = if c == pos { 1.0 } else { w[[pos, c]] };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::lu_normalize;
    use super::*;
    use crate::rng::RandomState;
    use ndarray::array;

    #[test]
    fn lu_permute_l_small() {
        // scipy.linalg.lu(a, permute_l=True)[0] for this a:
        // pivot row 1 (|3| > |1|) then row 2 (|-4/3 ...|)
        let a = array![[1.0, 2.0], [3.0, 4.0], [-2.0, 7.0]];
        let pl = lu_normalize(&a);
        // P L U must reproduce a, with U = first rows after elimination
        // Check: column 0 of PL is a[:,0] / 3, pivot row has 1, L below-diag bounded by 1.
        assert_eq!(pl[[1, 0]], 1.0);
        assert!((pl[[0, 0]] - 1.0 / 3.0).abs() < 1e-15);
        assert!((pl[[2, 0]] + 2.0 / 3.0).abs() < 1e-15);
        // second pivot: rows 0 and 2 after elimination: 2 - 4/3 = 2/3 ; 7 + 8/3 = 29/3 -> row 2
        assert_eq!(pl[[2, 1]], 1.0);
        assert_eq!(pl[[1, 1]], 0.0);
        assert!((pl[[0, 1]] - (2.0 / 3.0) / (29.0 / 3.0)).abs() < 1e-15);
    }

    /// `dgetrf` against the textbook elimination: every entry equal to rounding (a different
    /// pivot anywhere would change whole columns by O(1)), and every column of `P·L`
    /// holding its pivot's exact 1 with no entry above 1 in magnitude.
    fn assert_same_lu(got: &Array2<f64>, want: &Array2<f64>, what: &str) {
        assert_eq!(got.dim(), want.dim(), "{what}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 1e-13, "{what}: {g} vs {w}");
        }
        for c in got.columns() {
            assert!(c.iter().any(|&v| v == 1.0), "{what}");
            assert!(c.iter().all(|&v| v.abs() <= 1.0), "{what}");
        }
    }

    #[test]
    fn lu_matches_textbook_elimination() {
        let mut rng = RandomState::new(3);
        for &(m, n) in &[(50, 7), (7, 50), (30, 30), (1, 4), (4, 1), (200, 15)] {
            let mut a = rng.standard_normal_matrix(m, n);
            if n > 2 {
                a.column_mut(1).fill(0.0); // a zero pivot column
            }
            if m > 3 {
                // A tie for the first pivot (the first row must win). Rows 0 and 3 differ
                // elsewhere: a repeated row would leave a last pivot made of rounding
                // alone, which differs between LAPACK builds.
                a[[0, 0]] = 10.0;
                a[[3, 0]] = -10.0;
            }
            let want = lu_serial(a.view());
            assert_same_lu(&lu_normalize(&a), &want, &format!("{m} x {n}"));
            if m > 3 {
                assert_eq!(lu_normalize(&a)[[0, 0]], 1.0, "{m} x {n}");
            }
        }
        // The randomized block's shape.
        let mut a = rng.standard_normal_matrix(3000, 15);
        a.column_mut(4).fill(0.0);
        a[[2500, 0]] = 9.0; // the first pivot far down
        a[[2900, 0]] = -9.0; // a tie: the first row must win
        let want = lu_serial(a.view());
        assert_same_lu(&lu_normalize(&a), &want, "3000 x 15");
        assert_eq!(want[[2500, 0]], 1.0);
        assert_eq!(lu_normalize(&Array2::zeros((0, 3))).dim(), (0, 0));
    }
}
