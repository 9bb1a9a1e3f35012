//! Answer checks for the notebooks' exercises.
//!
//! Each exercise in a notebook ends in a cell that calls one of these functions on the
//! learner's answer. A check returns [`Feedback`], which the notebook shows right under the
//! cell: a line starting with `✓` when the answer is right, and otherwise one starting with
//! `✗ not yet:` that says what is wrong (a shape, the largest deviation, the first value
//! off) without giving the answer away. The tolerances are far above the rounding error of
//! a correct answer and far below the error of a wrong one. Only a bad argument to the
//! check itself (not a wrong answer) is an [`Error`].
//!
//! ```
//! use ndarray::array;
//! use topicmod::exercise::check_gram_is_identity;
//! let q = array![[0.6, -0.8], [0.8, 0.6]];
//! assert!(check_gram_is_identity("Qᵀ Q", &q.t().dot(&q), 2).passed);
//! let wrong = check_gram_is_identity("Qᵀ Q", &q.dot(&array![[1.0, 0.0], [0.0, 1.3]]), 2);
//! assert!(!wrong.passed && wrong.to_string().starts_with("✗ not yet: Qᵀ Q is not the identity"));
//! ```

use ndarray::{Array1, Array2, ArrayBase, Data, Ix2};

use crate::error::{Error, Result};
use crate::svd::identity_deviation;
use crate::DataMatrix;

/// A correct rebuild of an SVD agrees with the matrix to about `n ε ‖A‖`; a wrong one is off
/// by a sizeable fraction of `‖A‖`. Relative Frobenius error allowed.
const RECONSTRUCTION_TOL: f64 = 1e-8;
/// Largest entry of `QᵀQ − I` allowed (rounding gives about 1e-14 for the lesson's SVD).
const GRAM_TOL: f64 = 1e-8;

/// The outcome of an exercise check: whether the answer passed, and what to tell the learner.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    /// Whether the answer is right.
    pub passed: bool,
    /// What is right, or what is wrong.
    pub message: String,
}

impl std::fmt::Display for Feedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.passed {
            write!(f, "✓ {}", self.message)
        } else {
            write!(f, "✗ not yet: {}", self.message)
        }
    }
}

impl Feedback {
    /// Shows the feedback inline in evcxr (called by the kernel), green or red, right
    /// under the check cell.
    pub fn evcxr_display(&self) {
        let (border, background) = if self.passed {
            ("#2e7d32", "#e8f5e9")
        } else {
            ("#c62828", "#ffebee")
        };
        let text = self
            .to_string()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        println!(
            "EVCXR_BEGIN_CONTENT text/html\n<div class=\"topicmod-check\" style=\"border-left: 4px solid {border}; \
             background: {background}; padding: 6px 10px; font-family: monospace\">{text}</div>\nEVCXR_END_CONTENT"
        );
    }
}

fn wrong(message: impl Into<String>) -> Feedback {
    Feedback {
        passed: false,
        message: message.into(),
    }
}

fn passed(message: impl Into<String>) -> Feedback {
    Feedback {
        passed: true,
        message: message.into(),
    }
}

/// Checks that `rebuilt` (the learner's `U · diag(s) · Vᵀ`) equals `a` up to rounding:
/// `‖rebuilt − A‖_F ≤ 1e-8 ‖A‖_F`.
pub fn check_reconstruction<S1, S2>(
    a: &ArrayBase<S1, Ix2>,
    rebuilt: &ArrayBase<S2, Ix2>,
) -> Feedback
where
    S1: Data<Elem = f64>,
    S2: Data<Elem = f64>,
{
    if rebuilt.is_empty() && !a.is_empty() {
        return wrong("the product is empty: compute U · diag(s) · Vᵀ in the cell above, then run this check again");
    }
    if rebuilt.dim() != a.dim() {
        return wrong(format!(
            "the product is {} x {}, but A is {} x {}: check the order of the factors and which of them you transposed",
            rebuilt.nrows(),
            rebuilt.ncols(),
            a.nrows(),
            a.ncols()
        ));
    }
    if rebuilt.iter().any(|x| !x.is_finite()) {
        return wrong("the product has NaN or infinite entries");
    }
    let norm_a = a.sum_sq().sqrt();
    let diff = (rebuilt - a).sum_sq().sqrt();
    let relative = if norm_a > 0.0 { diff / norm_a } else { diff };
    if relative > RECONSTRUCTION_TOL {
        return wrong(format!(
            "the product differs from A: ‖product − A‖_F = {diff:.3e}, which is {relative:.2e} of ‖A‖_F \
             (rounding alone gives less than {RECONSTRUCTION_TOL:.0e}). Did every column of U get multiplied by its singular value?"
        ));
    }
    passed(format!(
        "U · diag(s) · Vᵀ equals A up to rounding: ‖product − A‖_F = {diff:.2e} ({relative:.1e} of ‖A‖_F)"
    ))
}

/// Checks that `gram` (a product such as `UᵀU` or `Vᵀ(Vᵀ)ᵀ`, named `label` in the messages) is
/// the `dim x dim` identity: `max |gram − I| ≤ 1e-8`, which holds exactly when the vectors it
/// pairs up are orthonormal.
pub fn check_gram_is_identity<S: Data<Elem = f64>>(
    label: &str,
    gram: &ArrayBase<S, Ix2>,
    dim: usize,
) -> Feedback {
    if gram.is_empty() && dim > 0 {
        return wrong(format!(
            "{label} is empty: compute it in the cell above, then run this check again"
        ));
    }
    if gram.dim() != (dim, dim) {
        return wrong(format!(
            "{label} should be {dim} x {dim} (one entry for each pair of the {dim} vectors), but it is {} x {}: \
             multiply so that the inner dimension is the vectors' length",
            gram.nrows(),
            gram.ncols()
        ));
    }
    let (deviation, (i, j)) = identity_deviation(gram.view());
    if deviation.is_nan() || deviation > GRAM_TOL {
        let what = if i == j {
            format!("vector {i} does not have length 1")
        } else {
            format!("vectors {i} and {j} are not orthogonal")
        };
        return wrong(format!(
            "{label} is not the identity, so the vectors are not orthonormal: largest deviation {deviation:.3} \
             (at row {i}, column {j}: {what})"
        ));
    }
    passed(format!(
        "{label} is the {dim} x {dim} identity up to rounding: largest deviation {deviation:.1e}"
    ))
}

/// Checks the errors `‖A − A_k‖_F` of rank-`k` randomized SVDs (one per entry of `ks`) against
/// the exact floor `sqrt(Σ_{i ≥ k} s_i²)` from the full SVD's `singular_values`
/// (Eckart-Young): each must be at or above the floor and within 5% of it.
pub fn check_truncation_errors(
    ks: &[usize],
    errors: &[f64],
    singular_values: &Array1<f64>,
) -> Result<Feedback> {
    if errors.len() != ks.len() {
        return Ok(wrong(format!(
            "there are {} values of k but {} errors: push one error for each k",
            ks.len(),
            errors.len()
        )));
    }
    for (&k, &err) in ks.iter().zip(errors) {
        if k > singular_values.len() {
            return Err(Error::param(
                "ks",
                format!(
                    "k = {k} exceeds the {} singular values",
                    singular_values.len()
                ),
            ));
        }
        let floor = singular_values
            .iter()
            .skip(k)
            .map(|x| x * x)
            .sum::<f64>()
            .sqrt();
        if !err.is_finite() {
            return Ok(wrong(format!("the error for k = {k} is {err}")));
        }
        // Rounding in ‖A‖² − ‖s‖² can put a correct estimate a hair below the floor.
        if err < floor * (1.0 - 1e-9) - 1e-9 {
            return Ok(wrong(format!(
                "the error for k = {k} is {err:.4}, below the smallest error any rank-{k} approximation can have \
                 ({floor:.4}): is it a norm (square root of a sum of squares) of A − A_k?"
            )));
        }
        if err > floor * 1.05 {
            return Ok(wrong(format!(
                "the error for k = {k} is {err:.4}, more than 5% above the best possible {floor:.4}: \
                 did you use k components (and the matching k singular values)?"
            )));
        }
    }
    Ok(passed(format!(
        "all {} errors lie between the exact truncated SVD's error and 5% above it",
        ks.len()
    )))
}

/// Checks a penalty-derivative function `p'(x) = min(x − μ, 0)`, applied entrywise, against
/// the crate's [`crate::gradient_descent::penalty`] on a small matrix with entries on both
/// sides of `μ`.
pub fn check_penalty(penalty: impl Fn(&Array2<f64>, f64) -> Array2<f64>) -> Feedback {
    let mu = 1e-6;
    let a = Array2::from_shape_vec((2, 3), vec![-0.5, 0.0, 1e-6, 2e-6, 0.3, -1e-7]).expect("2 x 3");
    let got = penalty(&a, mu);
    if got.dim() != a.dim() {
        return wrong(format!(
            "the result is {} x {}, but the input was {} x {}: the penalty works entry by entry, \
             so it keeps the shape (a reduction such as a minimum along an axis does not)",
            got.nrows(),
            got.ncols(),
            a.nrows(),
            a.ncols()
        ));
    }
    let expected = crate::gradient_descent::penalty(&a, mu);
    for ((idx, &g), &e) in got.indexed_iter().zip(expected.iter()) {
        if g.is_nan() || (g - e).abs() > 1e-15 {
            return wrong(format!(
                "for the entry x = {:e} (μ = {mu:e}) your function gives {g:e}; p'(x) should be x − μ \
                 where x is below μ and 0 elsewhere",
                a[idx]
            ));
        }
    }
    passed("your penalty agrees with p'(x) = min(x − μ, 0) on entries below, at and above μ")
}

/// Checks a target dimension for a Johnson-Lindenstrauss projection of `n_samples` points
/// with distortion `eps` against [`crate::randomized::johnson_lindenstrauss_min_dim`].
pub fn check_jl_min_dim(n_samples: usize, eps: f64, answer: usize) -> Result<Feedback> {
    let expected = crate::randomized::johnson_lindenstrauss_min_dim(n_samples, eps)?;
    // Rounding up instead of down is fine.
    if answer != expected && answer != expected + 1 {
        let hint = if answer < expected {
            "too small"
        } else {
            "too large"
        };
        return Ok(wrong(format!(
            "{answer} is {hint} for {n_samples} points at eps = {eps}: the bound is 4 ln(N) / (eps²/2 − eps³/3); \
             check the logarithm (natural) and the denominator"
        )));
    }
    Ok(passed(format!("{answer} dimensions keep every squared distance among {n_samples} points within a factor 1 ± {eps}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn message(f: Feedback) -> String {
        assert!(!f.passed, "expected a wrong answer, got {f}");
        f.message
    }

    fn ok(f: Feedback) {
        assert!(f.passed, "expected a right answer, got {f}");
    }

    #[test]
    fn reconstruction_right_and_wrong() {
        let a = array![[3.0, 1.0], [1.0, 3.0], [0.0, 2.0]];
        let f = crate::svd::svd(&a).unwrap();
        let rebuilt = (&f.u * &f.s).dot(&f.vt);
        ok(check_reconstruction(&a, &rebuilt));
        let m = message(check_reconstruction(&a, &Array2::<f64>::zeros((0, 0))));
        assert!(m.contains("the product is empty"), "{m}");
        // Forgetting the singular values.
        let m = message(check_reconstruction(&a, &f.u.dot(&f.vt)));
        assert!(m.contains("differs from A"), "{m}");
        // A transposed product.
        let m = message(check_reconstruction(&a, &rebuilt.t()));
        assert!(m.contains("2 x 3, but A is 3 x 2"), "{m}");
        let m = message(check_reconstruction(&a, &rebuilt.mapv(|_| f64::NAN)));
        assert!(m.contains("NaN"), "{m}");
        let shown = check_reconstruction(&a, &f.u.dot(&f.vt)).to_string();
        assert!(
            shown.starts_with("✗ not yet: the product differs from A"),
            "{shown}"
        );
    }

    #[test]
    fn gram_names_the_worst_pair() {
        let q = array![[1.0, 0.3], [0.0, 1.0]];
        let m = message(check_gram_is_identity("Uᵀ U", &q.t().dot(&q), 2));
        assert!(
            m.contains(
                "largest deviation 0.300 (at row 0, column 1: vectors 0 and 1 are not orthogonal)"
            ),
            "{m}"
        );
        let m = message(check_gram_is_identity(
            "Uᵀ U",
            &(2.0 * &Array2::<f64>::eye(3)),
            3,
        ));
        assert!(m.contains("vector 0 does not have length 1"), "{m}");
        let m = message(check_gram_is_identity(
            "Vᵀ (Vᵀ)ᵀ",
            &Array2::<f64>::eye(4),
            2,
        ));
        assert!(m.contains("should be 2 x 2"), "{m}");
        let m = message(check_gram_is_identity(
            "Uᵀ U",
            &array![[1.0, f64::NAN], [0.0, 1.0]],
            2,
        ));
        assert!(m.contains("deviation NaN"), "{m}");
        ok(check_gram_is_identity("I", &Array2::<f64>::eye(3), 3));
        let m = message(check_gram_is_identity(
            "Uᵀ U",
            &Array2::<f64>::zeros((0, 0)),
            3,
        ));
        assert!(m.contains("Uᵀ U is empty"), "{m}");
    }

    #[test]
    fn truncation_errors_against_the_floor() {
        let s = array![5.0, 3.0, 2.0, 1.0];
        let floor = |k: usize| s.iter().skip(k).map(|x| x * x).sum::<f64>().sqrt();
        ok(check_truncation_errors(&[1, 2], &[floor(1), floor(2) * 1.01], &s).unwrap());
        assert!(
            message(check_truncation_errors(&[1, 2], &[floor(1)], &s).unwrap())
                .contains("2 values of k but 1 errors")
        );
        assert!(
            message(check_truncation_errors(&[1], &[floor(1) * floor(1)], &s).unwrap())
                .contains("more than 5% above")
        );
        assert!(
            message(check_truncation_errors(&[2], &[floor(2) * 0.9], &s).unwrap())
                .contains("below the smallest error")
        );
        assert!(matches!(
            check_truncation_errors(&[5], &[0.0], &s),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn penalty_check_catches_the_reduction_and_the_sign() {
        ok(check_penalty(|a, mu| a.mapv(|x| (x - mu).min(0.0))));
        let m = message(check_penalty(|a, mu| {
            a.map_axis(ndarray::Axis(0), |c| c.fold(0.0_f64, |m, &x| m.min(x - mu)))
                .insert_axis(ndarray::Axis(0))
                .to_owned()
        }));
        assert!(m.contains("keeps the shape"), "{m}");
        let m = message(check_penalty(|a, mu| a.mapv(|x| (mu - x).min(0.0))));
        assert!(m.contains("your function gives"), "{m}");
    }

    #[test]
    fn jl_dimension_check() {
        let k = crate::randomized::johnson_lindenstrauss_min_dim(2034, 0.1).unwrap();
        ok(check_jl_min_dim(2034, 0.1, k).unwrap());
        ok(check_jl_min_dim(2034, 0.1, k + 1).unwrap());
        assert!(message(check_jl_min_dim(2034, 0.1, k / 2).unwrap()).contains("too small"));
        assert!(message(check_jl_min_dim(2034, 0.1, 2 * k).unwrap()).contains("too large"));
    }
}
