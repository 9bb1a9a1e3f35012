//! The lesson's PyTorch section with [`tch`]: tensors, hand-written gradient descent,
//! autograd, and a sparse-aware loop (feature `torch`).
//!
//! Everything here takes a [`Device`]; the same code runs on CPU and on a CUDA GPU
//! ([`pick_device`] chooses). Tensors are float32 like the lesson's.
//!
//! The factorization is `M ≈ W H` with `M` (m x n) non-negative, `W` (m x d), `H` (d x n).
//! The manual loop minimises `½‖M − WH‖²_F` plus a penalty that pushes negative entries
//! back towards zero:
//!
//! * `penalty(A, μ) = [A < μ] · min(A − μ, 0)` (elementwise),
//! * `R = WH − M`, `∂W = R Hᵀ + λ penalty(W)`, `∂H = Wᵀ R + λ penalty(H)`,
//! * `W ← W − η ∂W`, `H ← H − η ∂H` (in place, both gradients taken at the old point).
//!
//! The sparse-aware variant computes the same gradients without the dense residual:
//! `R Hᵀ = W (H Hᵀ) − M Hᵀ`, `Wᵀ R = (Wᵀ W) H − Wᵀ M`, and
//! `‖M − WH‖² = ‖M‖² − 2 tr(Wᵀ M Hᵀ) + tr(Wᵀ W H Hᵀ)`. [`grads_t`], [`upd_t`], [`report_t`],
//! [`autograd_loss`] and [`AdamNmf::run`] take either kind of `M` ([`GdTensor`]: a dense
//! [`Tensor`] or a [`SparseT`]).
//!
//! The loops' settings ([`GdParams`]) and progress line ([`Report`]) are
//! [`gradient_descent`](crate::gradient_descent)'s, re-exported here. The lesson's
//! hand-written loop is a few lines around [`upd_t`] and [`report_t`] (notebook 06 writes it
//! out); [`AdamNmf`] runs the autograd one.
//!
//! Build with `LIBTORCH_USE_PYTORCH=1` and a `python3` on `PATH` whose `torch` matches
//! tch's pinned version; at run time `libtorch*.so` must be on `LD_LIBRARY_PATH`.

use std::fmt;

use ndarray::{Array2, ArrayBase, Data, Ix2};
pub use tch;
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

pub use crate::gradient_descent::{GdParams, Report};
use crate::linop::Csr;
use crate::{Error, Result};

mod cuda;
pub use cuda::{load_cuda_backend, loaded_library, CudaLibrary};

impl From<tch::TchError> for Error {
    fn from(e: tch::TchError) -> Self {
        Error::Torch(e.to_string())
    }
}

// ---------------------------------------------------------------------------------------
// Devices and conversions
// ---------------------------------------------------------------------------------------

/// Which of libtorch's backends this process can use, as [`pick_device`] found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// libtorch's CUDA backend is loaded and sees this many GPUs.
    Cuda {
        /// `tch::Cuda::device_count()`.
        gpus: i64,
    },
    /// The CUDA backend is loaded, but finds no usable GPU (no NVIDIA GPU, or no driver).
    CudaWithoutGpu,
    /// libtorch's CUDA library is installed but the system's loader refused it (why).
    CudaNotLoaded(String),
    /// This libtorch is a CPU-only build.
    CpuOnly,
}

/// The device [`pick_device`] chose and why; `Display` gives the reason as a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceChoice {
    /// `Device::Cuda(0)` when a CUDA GPU is usable, else `Device::Cpu`.
    pub device: Device,
    /// What was found.
    pub backend: Backend,
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.backend {
            Backend::Cuda { gpus } => write!(
                f,
                "Using CUDA GPU 0 ({gpus} found): tensors and matrix products run on the GPU."
            ),
            Backend::CudaWithoutGpu => f.write_str(
                "libtorch has CUDA support, but found no usable GPU (no NVIDIA GPU or driver): \
                 using the CPU (the same code runs unchanged on a GPU).",
            ),
            Backend::CudaNotLoaded(why) => write!(
                f,
                "libtorch's CUDA library is installed but could not be loaded ({why}): using the CPU."
            ),
            Backend::CpuOnly => f.write_str(
                "This libtorch is a CPU-only build: using the CPU (the same code runs unchanged \
                 on a GPU with a CUDA build of PyTorch).",
            ),
        }
    }
}

/// The first CUDA GPU if libtorch sees one, else the CPU, and which case holds.
///
/// Ask this (not `tch::Device::cuda_if_available`) for the device: it first loads
/// libtorch's CUDA library ([`load_cuda_backend`]), without which libtorch reports no GPU
/// even where there is one.
pub fn pick_device() -> DeviceChoice {
    let backend = match load_cuda_backend() {
        CudaLibrary::Absent => Backend::CpuOnly,
        CudaLibrary::LoadFailed(_, why) => Backend::CudaNotLoaded(why.clone()),
        CudaLibrary::Loaded(_) if tch::Cuda::is_available() => Backend::Cuda {
            gpus: tch::Cuda::device_count(),
        },
        CudaLibrary::Loaded(_) => Backend::CudaWithoutGpu,
    };
    let device = match backend {
        Backend::Cuda { .. } => Device::Cuda(0),
        _ => Device::Cpu,
    };
    DeviceChoice { device, backend }
}

/// A float type that can cross between ndarray and tch (`f32` or `f64`).
pub trait TorchFloat: tch::kind::Element + Copy + Default + 'static {
    /// The tensor kind holding this type.
    const TORCH_KIND: Kind;
}

impl TorchFloat for f32 {
    const TORCH_KIND: Kind = Kind::Float;
}

impl TorchFloat for f64 {
    const TORCH_KIND: Kind = Kind::Double;
}

fn dim_i64(x: usize, what: &str) -> Result<i64> {
    i64::try_from(x)
        .map_err(|_| Error::InvalidInput(format!("{what} {x} is too large for a tensor")))
}

/// A 2-D array as a tensor of the same element type on `device`.
///
/// ```
/// # use topicmod::torch::{array_to_tensor, tensor_to_array};
/// let a = ndarray::array![[1.0f32, 2.0], [3.0, 4.0]];
/// let t = array_to_tensor(&a, tch::Device::Cpu).unwrap();
/// assert_eq!(tensor_to_array::<f32>(&t).unwrap(), a);
/// ```
pub fn array_to_tensor<T: TorchFloat, S: Data<Elem = T>>(
    a: &ArrayBase<S, Ix2>,
    device: Device,
) -> Result<Tensor> {
    let (r, c) = a.dim();
    let data: Vec<T> = a.iter().copied().collect(); // logical (C) order whatever the layout
    let t = Tensor::f_from_slice(&data)?.f_view([dim_i64(r, "rows")?, dim_i64(c, "columns")?])?;
    Ok(t.f_to_device(device)?)
}

/// A float64 array as a float32 tensor on `device` (the lesson's dtype).
pub fn array_to_tensor_f32<S: Data<Elem = f64>>(
    a: &ArrayBase<S, Ix2>,
    device: Device,
) -> Result<Tensor> {
    let data: Vec<f32> = a.iter().map(|&x| x as f32).collect();
    let (r, c) = a.dim();
    let t = Tensor::f_from_slice(&data)?.f_view([dim_i64(r, "rows")?, dim_i64(c, "columns")?])?;
    Ok(t.f_to_device(device)?)
}

/// A 2-D tensor (any float kind, any device, dense or sparse) as an ndarray of `T`.
pub fn tensor_to_array<T: TorchFloat>(t: &Tensor) -> Result<Array2<T>> {
    let dense = if t.is_sparse() || is_sparse_compressed(t) {
        t.f_to_dense(None::<Kind>, false)?
    } else {
        t.shallow_clone()
    };
    if dense.dim() != 2 {
        return Err(Error::ShapeMismatch(format!(
            "expected a 2-D tensor, got {} dimensions",
            dense.dim()
        )));
    }
    let (r, c) = dense.size2()?;
    let cpu = tch::no_grad(|| -> Result<Tensor> {
        Ok(dense
            .f_to_device(Device::Cpu)?
            .f_to_kind(T::TORCH_KIND)?
            .f_contiguous()?)
    })?;
    let (r, c) = (r as usize, c as usize);
    let mut out = vec![T::default(); r * c];
    cpu.f_copy_data(&mut out, r * c)?;
    Array2::from_shape_vec((r, c), out).map_err(|e| Error::ShapeMismatch(e.to_string()))
}

fn is_sparse_compressed(t: &Tensor) -> bool {
    // Compressed layouts (CSR, CSC) have row or column pointers; dense tensors make
    // these calls fail (asking for strides instead would abort on a sparse tensor).
    t.f_crow_indices().is_ok() || t.f_ccol_indices().is_ok()
}

/// `(crow_indices, col_indices, values)` of a CSR matrix, as plain vectors.
fn csr_parts(m: &Csr) -> (Vec<i64>, Vec<i64>, Vec<f64>) {
    let owned;
    let m = if m.is_csr() {
        m
    } else {
        owned = m.to_csr();
        &owned
    };
    let mut crow = Vec::with_capacity(m.rows() + 1);
    let mut cols = Vec::with_capacity(m.nnz());
    let mut vals = Vec::with_capacity(m.nnz());
    crow.push(0i64);
    for row in m.outer_iterator() {
        cols.extend(row.indices().iter().map(|&j| j as i64));
        vals.extend_from_slice(row.data());
        crow.push(cols.len() as i64);
    }
    (crow, cols, vals)
}

fn values_tensor(vals: &[f64], kind: Kind) -> Result<Tensor> {
    Ok(match kind {
        Kind::Double => Tensor::f_from_slice(vals)?,
        Kind::Float => Tensor::f_from_slice(&vals.iter().map(|&x| x as f32).collect::<Vec<_>>())?,
        other => {
            return Err(Error::param(
                "kind",
                format!("only Float and Double tensors are supported, got {other:?}"),
            ))
        }
    })
}

/// A sparse matrix as a dense tensor of `kind` (`Float` or `Double`) on `device`.
pub fn csr_to_dense_tensor(m: &Csr, kind: Kind, device: Device) -> Result<Tensor> {
    let (r, c) = (m.rows(), m.cols());
    let mut dense = vec![
        0.0f64;
        r.checked_mul(c)
            .ok_or_else(|| Error::InvalidInput("matrix too large".into()))?
    ];
    for (&v, (i, j)) in m.iter() {
        dense[i * c + j] += v;
    }
    let t = values_tensor(&dense, kind)?.f_view([dim_i64(r, "rows")?, dim_i64(c, "columns")?])?;
    Ok(t.f_to_device(device)?)
}

/// A sparse matrix as a torch sparse CSR tensor of `kind` on `device`.
pub fn csr_to_sparse_tensor(m: &Csr, kind: Kind, device: Device) -> Result<Tensor> {
    let (crow, cols, vals) = csr_parts(m);
    let crow = Tensor::f_from_slice(&crow)?;
    let cols = Tensor::f_from_slice(&cols)?;
    let vals = values_tensor(&vals, kind)?;
    let t = Tensor::f_sparse_csr_tensor_crow_col_value_size(
        &crow,
        &cols,
        &vals,
        [dim_i64(m.rows(), "rows")?, dim_i64(m.cols(), "columns")?],
        (kind, Device::Cpu),
    )?;
    Ok(t.f_to_device(device)?)
}

// ---------------------------------------------------------------------------------------
// The manual-gradient loop
// ---------------------------------------------------------------------------------------

fn size2(t: &Tensor, name: &str) -> Result<(i64, i64)> {
    t.size2().map_err(|_| {
        Error::ShapeMismatch(format!("{name} must be a matrix, got shape {:?}", t.size()))
    })
}

/// Checks that `M` (m x n), `W` (m x d) and `H` (d x n) fit together; returns (m, n, d).
fn check_shapes(m: (i64, i64), w: &Tensor, h: &Tensor) -> Result<(i64, i64, i64)> {
    let (wr, wc) = size2(w, "W")?;
    let (hr, hc) = size2(h, "H")?;
    if wr != m.0 || hc != m.1 || wc != hr {
        return Err(Error::ShapeMismatch(format!(
            "M is {} x {}, W is {wr} x {wc}, H is {hr} x {hc}; need W m x d and H d x n",
            m.0, m.1
        )));
    }
    Ok((m.0, m.1, wc))
}

fn check_finite_param(name: &'static str, x: f64) -> Result<()> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(Error::param(name, format!("must be finite, got {x}")))
    }
}

/// `[A < μ] · min(A − μ, 0)` elementwise: negative where `A` is below `μ`, zero elsewhere.
pub fn penalty_t(a: &Tensor, mu: f64) -> Result<Tensor> {
    check_finite_param("mu", mu)?;
    let mask = a.f_lt(mu)?.f_to_kind(a.f_kind()?)?;
    Ok(mask.f_mul(&a.f_sub_scalar(mu)?.f_clamp_max(0.0)?)?)
}

/// A data matrix `M` the tensor loops can fit: a dense [`Tensor`] or a [`SparseT`]. It
/// supplies what [`grads_t`], [`upd_t`], [`report_t`] and [`AdamNmf::run`] need of `M`.
pub trait GdTensor {
    /// `(m, n)`.
    fn gd_dims(&self) -> Result<(i64, i64)>;
    /// `(R Hᵀ, Wᵀ R)` with `R = WH − M`.
    fn residual_products(&self, w: &Tensor, h: &Tensor) -> Result<(Tensor, Tensor)>;
    /// `‖M − WH‖_F`, outside autograd.
    fn residual_norm(&self, w: &Tensor, h: &Tensor) -> Result<f64>;
    /// The Adam loop's loss for this `M` ([`autograd_loss`]).
    fn adam_loss(&self, w: &Tensor, h: &Tensor, lam: f64) -> Result<Tensor>;
    /// Where `M` lives.
    fn device(&self) -> Device;
}

/// Dense `M`: the residual `R = WH − M` is formed (one `m x n` temporary).
impl GdTensor for Tensor {
    fn gd_dims(&self) -> Result<(i64, i64)> {
        size2(self, "M")
    }
    fn residual_products(&self, w: &Tensor, h: &Tensor) -> Result<(Tensor, Tensor)> {
        // R = WH − M, subtracting in place: one m x n temporary instead of two.
        let mut r = w.f_mm(h)?;
        let _ = r.f_sub_(self)?;
        Ok((r.f_mm(&h.f_tr()?)?, w.f_tr()?.f_mm(&r)?))
    }
    fn residual_norm(&self, w: &Tensor, h: &Tensor) -> Result<f64> {
        tch::no_grad(|| Ok(self.f_sub(&w.f_mm(h)?)?.f_norm()?.f_double_value(&[])?))
    }
    fn adam_loss(&self, w: &Tensor, h: &Tensor, lam: f64) -> Result<Tensor> {
        // ‖WH − M‖ (= ‖M − WH‖), subtracting in place into the product: one m x n temporary.
        let mut r = w.f_mm(h)?;
        let _ = r.f_sub_(self)?;
        with_adam_penalty(r.f_norm()?, w, h, lam)
    }
    fn device(&self) -> Device {
        Tensor::device(self)
    }
}

/// The gradients `(∂W, ∂H) = (R Hᵀ + λ penalty(W, μ), Wᵀ R + λ penalty(H, μ))`, `R = WH − M`,
/// for dense or sparse `M`.
pub fn grads_t<M: GdTensor + ?Sized>(
    m: &M,
    w: &Tensor,
    h: &Tensor,
    lam: f64,
    mu: f64,
) -> Result<(Tensor, Tensor)> {
    check_shapes(m.gd_dims()?, w, h)?;
    check_finite_param("lam", lam)?;
    let (rht, wtr) = m.residual_products(w, h)?;
    let dw = rht.f_add(&penalty_t(w, mu)?.f_mul_scalar(lam)?)?;
    let dh = wtr.f_add(&penalty_t(h, mu)?.f_mul_scalar(lam)?)?;
    Ok((dw, dh))
}

/// One step `W −= η ∂W`, `H −= η ∂H` in place (both gradients at the old `W`, `H`), for
/// dense or sparse `M`.
pub fn upd_t<M: GdTensor + ?Sized>(
    m: &M,
    w: &mut Tensor,
    h: &mut Tensor,
    lr: f64,
    lam: f64,
    mu: f64,
) -> Result<()> {
    check_finite_param("lr", lr)?;
    let (dw, dh) = grads_t(m, w, h, lam, mu)?;
    tch::no_grad(|| -> Result<()> {
        let _ = w.f_sub_(&dw.f_mul_scalar(lr)?)?;
        let _ = h.f_sub_(&dh.f_mul_scalar(lr)?)?;
        Ok(())
    })
}

fn min_and_negatives(a: &Tensor) -> Result<(f64, usize)> {
    let min = a.f_min()?.f_double_value(&[])?;
    let neg = a.f_lt(0.0)?.f_sum(Kind::Int64)?.f_int64_value(&[])?;
    Ok((min, neg as usize))
}

/// The lesson's progress line ([`Report`]) for dense or sparse `M`: for a [`SparseT`] the
/// residual comes from `‖M‖² − 2 tr(Wᵀ M Hᵀ) + tr(Wᵀ W H Hᵀ)`, summed in float64.
pub fn report_t<M: GdTensor + ?Sized>(m: &M, w: &Tensor, h: &Tensor) -> Result<Report> {
    check_shapes(m.gd_dims()?, w, h)?;
    let residual = m.residual_norm(w, h)?;
    let (w_min, w_negatives) = min_and_negatives(w)?;
    let (h_min, h_negatives) = min_and_negatives(h)?;
    Ok(Report {
        residual,
        w_min,
        h_min,
        w_negatives,
        h_negatives,
    })
}

/// The lesson's starting point: `W = |N(0, 0.01)|` (m x d) then `H = |N(0, 0.01)|` (d x n),
/// float32 on `device`.
///
/// The numbers are [`positive_random_init`](crate::gradient_descent::positive_random_init)'s:
/// our NumPy-compatible `RandomState(seed)`, drawn in C order, `W` first, exactly
/// `np.abs(rs.normal(0, 0.01, (m, d)))` then the same for `(d, n)`, cast to float32. So PyTorch can start from the very same matrices (the test fixture
/// does); `tch::manual_seed` + `randn` would not match PyTorch's CPU generator bit for
/// bit across versions and devices.
pub fn positive_random_init_t(
    m: usize,
    n: usize,
    d: usize,
    seed: u32,
    device: Device,
) -> Result<(Tensor, Tensor)> {
    let (w, h) = crate::gradient_descent::positive_random_init(m, n, d, seed)?;
    Ok((
        array_to_tensor_f32(&w, device)?,
        array_to_tensor_f32(&h, device)?,
    ))
}

/// Like [`positive_random_init_t`] but with libtorch's own generator:
/// `tch::manual_seed(seed)`, then `|0.01 randn|` for `W` and for `H`, float32 on `device`.
pub fn randn_init_t(
    m: usize,
    n: usize,
    d: usize,
    seed: i64,
    device: Device,
) -> Result<(Tensor, Tensor)> {
    crate::gradient_descent::check_init_dims(m, n, d)?;
    tch::manual_seed(seed);
    let (m, n, d) = (dim_i64(m, "m")?, dim_i64(n, "n")?, dim_i64(d, "d")?);
    let w = Tensor::f_randn([m, d], (Kind::Float, device))?
        .f_mul_scalar(0.01)?
        .f_abs()?;
    let h = Tensor::f_randn([d, n], (Kind::Float, device))?
        .f_mul_scalar(0.01)?
        .f_abs()?;
    Ok((w, h))
}

// ---------------------------------------------------------------------------------------
// Sparse-aware loop
// ---------------------------------------------------------------------------------------

/// `M` kept sparse on a device for the sparse-aware loop: `M` and `Mᵀ` as torch sparse
/// CSR tensors (so both `M X` and `Mᵀ X` are sparse-times-dense products) and `‖M‖²_F`.
#[derive(Debug)]
pub struct SparseT {
    m: Tensor,
    mt: Tensor,
    norm_sq: f64,
    rows: i64,
    cols: i64,
}

impl SparseT {
    /// Copies `m` to `device` as float32 sparse CSR tensors.
    pub fn from_csr(m: &Csr, device: Device) -> Result<Self> {
        Self::from_csr_kind(m, Kind::Float, device)
    }

    /// As [`SparseT::from_csr`] with a chosen float kind (`Float` or `Double`).
    pub fn from_csr_kind(m: &Csr, kind: Kind, device: Device) -> Result<Self> {
        let t = m.transpose_view().to_csr();
        let norm_sq = m.data().iter().map(|x| x * x).sum();
        Ok(SparseT {
            m: csr_to_sparse_tensor(m, kind, device)?,
            mt: csr_to_sparse_tensor(&t, kind, device)?,
            norm_sq,
            rows: dim_i64(m.rows(), "rows")?,
            cols: dim_i64(m.cols(), "columns")?,
        })
    }

    /// `(rows, cols)` of `M`.
    pub fn dims(&self) -> (usize, usize) {
        (self.rows as usize, self.cols as usize)
    }

    /// `‖M‖²_F`.
    pub fn norm_sq(&self) -> f64 {
        self.norm_sq
    }

    /// The sparse CSR tensor `M`.
    pub fn tensor(&self) -> &Tensor {
        &self.m
    }

    /// `M X` (sparse times dense).
    pub fn mm(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.m.f_mm(x)?)
    }

    /// `Mᵀ X` (sparse times dense).
    pub fn t_mm(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.mt.f_mm(x)?)
    }
}

/// Sparse `M`, without the dense residual: `R Hᵀ = W (H Hᵀ) − M Hᵀ`,
/// `Wᵀ R = (Wᵀ W) H − (Mᵀ W)ᵀ`, and `‖M − WH‖² = ‖M‖² − 2 tr(Wᵀ M Hᵀ) + tr(Wᵀ W H Hᵀ)`
/// (summed in float64, clamped at 0).
impl GdTensor for SparseT {
    fn gd_dims(&self) -> Result<(i64, i64)> {
        Ok((self.rows, self.cols))
    }
    fn residual_products(&self, w: &Tensor, h: &Tensor) -> Result<(Tensor, Tensor)> {
        let ht = h.f_tr()?.f_contiguous()?;
        let hht = h.f_mm(&ht)?;
        let wtw = w.f_tr()?.f_mm(w)?;
        let mht = self.mm(&ht)?;
        let wtm = self.t_mm(w)?.f_tr()?;
        Ok((w.f_mm(&hht)?.f_sub(&mht)?, wtw.f_mm(h)?.f_sub(&wtm)?))
    }
    fn residual_norm(&self, w: &Tensor, h: &Tensor) -> Result<f64> {
        tch::no_grad(|| {
            let ht = h.f_tr()?.f_contiguous()?;
            let mht = self.mm(&ht)?.f_to_kind(Kind::Double)?;
            let wd = w.f_to_kind(Kind::Double)?;
            let hd = h.f_to_kind(Kind::Double)?;
            let cross = wd.f_mul(&mht)?.f_sum(Kind::Double)?.f_double_value(&[])?;
            let wtw = wd.f_tr()?.f_mm(&wd)?;
            let hht = hd.f_mm(&hd.f_tr()?)?;
            let quad = wtw.f_mul(&hht)?.f_sum(Kind::Double)?.f_double_value(&[])?;
            Ok((self.norm_sq - 2.0 * cross + quad).max(0.0).sqrt())
        })
    }
    /// The fit term is `sqrt(‖M‖² − 2 c + Σ (WᵀW) ⊙ (HHᵀ))` with `c = Σ W ⊙ (M Hᵀ)`, the
    /// same number as `‖M − WH‖_F` (up to float32 rounding), with the same gradients.
    ///
    /// `c` is linear in `W` and in `H` (`∂c/∂W = M Hᵀ`, `∂c/∂H = Wᵀ M`), so it enters the
    /// graph as `Σ W ⊙ sg(M Hᵀ) + Σ H ⊙ sg(Wᵀ M) − sg(c)` (`sg` = detached): the value is `c`
    /// and the gradients are exact, while both sparse products stay outside autograd (two
    /// sparse-times-dense products per step, no sparse backward).
    fn adam_loss(&self, w: &Tensor, h: &Tensor, lam: f64) -> Result<Tensor> {
        let (mht, wtm) = tch::no_grad(|| -> Result<(Tensor, Tensor)> {
            let ht = h.f_tr()?.f_contiguous()?;
            Ok((self.mm(&ht)?, self.t_mm(w)?.f_tr()?))
        })?;
        let cross_w = w.f_mul(&mht)?.f_sum(Kind::Float)?;
        let cross_h = h.f_mul(&wtm)?.f_sum(Kind::Float)?;
        let cross = cross_w.f_add(&cross_h)?.f_sub(&cross_w.f_detach()?)?;
        let quad = w
            .f_tr()?
            .f_mm(w)?
            .f_mul(&h.f_mm(&h.f_tr()?)?)?
            .f_sum(Kind::Float)?;
        let fit = quad
            .f_sub(&cross.f_mul_scalar(2.0)?)?
            .f_add_scalar(self.norm_sq)?
            .f_clamp_min(0.0)?
            .f_sqrt()?;
        with_adam_penalty(fit, w, h, lam)
    }
    fn device(&self) -> Device {
        self.m.device()
    }
}

// ---------------------------------------------------------------------------------------
// Autograd
// ---------------------------------------------------------------------------------------

/// The autograd warm-up: `x = ones(2, 2)` tracked, `y = x + 2`, `z = 3 y²`,
/// `out = Σ z`; after `out.backward()`, `x.grad = 6 (x + 2) = 18` everywhere.
pub fn autograd_intro(device: Device) -> Result<Tensor> {
    let x = Tensor::f_ones([2, 2], (Kind::Float, device))?.f_set_requires_grad(true)?;
    let y = x.f_add_scalar(2.0)?;
    let z = y.f_mul(&y)?.f_mul_scalar(3.0)?;
    let out = z.f_sum(Kind::Float)?;
    out.f_backward()?;
    Ok(x.f_grad()?)
}

/// The autograd NMF objective `‖M − WH‖_F + λ (mean(min(W, 0)²) + mean(min(H, 0)²))`, for
/// dense `M` (through the residual) or a [`SparseT`] (without it; see its [`GdTensor`]
/// implementation).
pub fn autograd_loss<M: GdTensor + ?Sized>(
    m: &M,
    w: &Tensor,
    h: &Tensor,
    lam: f64,
) -> Result<Tensor> {
    check_shapes(m.gd_dims()?, w, h)?;
    m.adam_loss(w, h, lam)
}

/// `fit + λ (mean(min(W, 0)²) + mean(min(H, 0)²))`.
fn with_adam_penalty(fit: Tensor, w: &Tensor, h: &Tensor, lam: f64) -> Result<Tensor> {
    let pw = w.f_clamp_max(0.0)?.f_square()?.f_mean(None::<Kind>)?;
    let ph = h.f_clamp_max(0.0)?.f_square()?.f_mean(None::<Kind>)?;
    Ok(fit.f_add(&pw.f_add(&ph)?.f_mul_scalar(lam)?)?)
}

/// NMF by autograd with `tch`'s Adam over `W` and `H` (held in a [`nn::VarStore`]).
///
/// Each step: zero the gradients, evaluate [`autograd_loss`], back-propagate, take an
/// Adam step. At `i % report_every == report_every - 1` a [`Report`] goes to the callback
/// and the learning rate is multiplied by `anneal`. The loop's settings are a [`GdParams`]
/// (`lr`, `lam`, `n_steps`, `report_every`, `anneal`; the loss has its own penalty, so `mu`
/// and `penalty` play no part); [`GdParams::lesson_adam`] with betas `(0.9, 0.9)`
/// (`AdamNmf::default()`) is the lesson's.
///
/// ```no_run
/// # use topicmod::torch::{AdamNmf, GdParams};
/// let adam = AdamNmf::new(GdParams::lesson_adam().n_steps(500)).betas((0.9, 0.999));
/// ```
#[derive(Debug, Clone)]
pub struct AdamNmf {
    params: GdParams,
    betas: (f64, f64),
}

impl Default for AdamNmf {
    /// The lesson's settings.
    fn default() -> Self {
        Self::new(GdParams::lesson_adam())
    }
}

/// What [`AdamNmf::run`] returns: the trained factors (plain tensors, no gradient
/// tracking) and every `(step, report)`.
#[derive(Debug)]
pub struct AdamFit {
    /// Trained `W` (m x d).
    pub w: Tensor,
    /// Trained `H` (d x n).
    pub h: Tensor,
    /// The reports, with their step index.
    pub reports: Vec<(usize, Report)>,
}

impl AdamNmf {
    /// Adam with these loop settings and the lesson's betas `(0.9, 0.9)`.
    pub fn new(params: GdParams) -> Self {
        AdamNmf {
            params,
            betas: (0.9, 0.9),
        }
    }

    field_setters! {
        /// Adam's `(beta1, beta2)`.
        betas: (f64, f64),
    }

    /// The loop settings.
    pub fn params(&self) -> &GdParams {
        &self.params
    }

    fn validate(&self) -> Result<()> {
        self.params.validate()?;
        for (name, b) in [("beta1", self.betas.0), ("beta2", self.betas.1)] {
            if !(0.0..1.0).contains(&b) {
                return Err(Error::param(name, format!("must be in [0, 1), got {b}")));
            }
        }
        Ok(())
    }

    /// Trains copies of `w0`, `h0` (on `m`'s device) against dense or sparse `M`. With a
    /// [`SparseT`] the dense `m x n` residual is never formed, so the lesson's 1000 steps
    /// take seconds on a CPU.
    pub fn run<M: GdTensor + ?Sized>(
        &self,
        m: &M,
        w0: &Tensor,
        h0: &Tensor,
        mut callback: impl FnMut(usize, &Report),
    ) -> Result<AdamFit> {
        check_shapes(m.gd_dims()?, w0, h0)?;
        self.validate()?;
        let p = &self.params;
        let device = m.device();
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let w = root.f_var_copy("w", &w0.f_to_kind(Kind::Float)?.f_to_device(device)?)?;
        let h = root.f_var_copy("h", &h0.f_to_kind(Kind::Float)?.f_to_device(device)?)?;
        let mut lr = p.lr;
        let mut opt = nn::adam(self.betas.0, self.betas.1, 0.0).build(&vs, lr)?;
        let mut reports = Vec::new();
        for i in 0..p.n_steps {
            opt.zero_grad();
            let loss = m.adam_loss(&w, &h, p.lam)?;
            loss.f_backward()?;
            opt.step();
            if i % p.report_every == p.report_every - 1 {
                let r = report_t(m, &w, &h)?;
                callback(i, &r);
                reports.push((i, r));
                if p.anneal != 1.0 {
                    lr *= p.anneal;
                    opt.set_lr(lr);
                }
            }
        }
        let (w, h) = tch::no_grad(|| -> Result<(Tensor, Tensor)> {
            Ok((w.f_detach_copy()?, h.f_detach_copy()?))
        })?;
        Ok(AdamFit { w, h, reports })
    }

    /// [`AdamNmf::run`] printing each report.
    pub fn run_printing<M: GdTensor + ?Sized>(
        &self,
        m: &M,
        w0: &Tensor,
        h0: &Tensor,
    ) -> Result<AdamFit> {
        self.run(m, w0, h0, |_, r| println!("{r}"))
    }
}
