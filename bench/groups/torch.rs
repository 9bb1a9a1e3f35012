//! Bench rows for the PyTorch section (`torch` feature): the lesson's hand-written
//! gradient loop and Adam with tch, on the device `pick_device` chooses, against the
//! same loops in PyTorch (`torch.py`). Without the feature this group adds no rows.
#[allow(unused_imports)]
use crate::{median_time, Ctx, Row};

#[cfg(not(feature = "torch"))]
pub fn run(_ctx: &mut Ctx, _rows: &mut Vec<Row>) -> topicmod::Result<()> {
    Ok(())
}

#[cfg(feature = "torch")]
pub fn run(ctx: &mut Ctx, rows: &mut Vec<Row>) -> topicmod::Result<()> {
    use topicmod::torch::tch::{Kind, Tensor};
    use topicmod::torch::{
        csr_to_dense_tensor, pick_device, positive_random_init_t, report_t, upd_t, AdamNmf,
        GdParams, GdTensor, SparseT,
    };

    /// The lesson's hand-written loop, as `_manual` in torch.py: `n_steps` updates, a
    /// report and the learning rate times `anneal` every `report_every` steps.
    fn manual<M: GdTensor + ?Sized>(
        m: &M,
        w: &mut Tensor,
        h: &mut Tensor,
        p: &GdParams,
    ) -> topicmod::Result<()> {
        let mut lr = p.lr;
        for i in 0..p.n_steps {
            upd_t(m, w, h, lr, p.lam, p.mu)?;
            if i % p.report_every == 0 {
                report_t(m, w, h)?;
                lr *= p.anneal;
            }
        }
        Ok(())
    }

    let choice = pick_device();
    let device = choice.device;
    let dev = if device.is_cuda() { "cuda" } else { "cpu" };
    let csr: topicmod::Csr = ctx.tfidf()?.clone();
    let (m_rows, n_cols) = (csr.rows(), csr.cols());
    let m = csr_to_dense_tensor(&csr, Kind::Float, device)?;
    let sp = SparseT::from_csr(&csr, device)?;
    let (w0, h0) = positive_random_init_t(m_rows, n_cols, 6, 0, device)?;

    // The timed closures cannot return errors: keep the first one and report it after.
    let mut err = None;
    let dense_params = GdParams::lesson_torch().n_steps(100);
    let t = median_time(1, || {
        let (mut w, mut h) = (w0.copy(), h0.copy());
        if let Err(e) = manual(&m, &mut w, &mut h, &dense_params) {
            err.get_or_insert(e);
        }
    });
    // The same libtorch kernels on both sides: at most PyTorch's time.
    rows.push(Row::new(format!("100 manual GD steps (tch, dense, {dev})"), t).target(1.0));

    let adam = AdamNmf::new(GdParams::lesson_adam().n_steps(100));
    let t = median_time(1, || {
        if let Err(e) = adam.run(&m, &w0, &h0, |_, _| {}) {
            err.get_or_insert(e);
        }
    });
    rows.push(Row::new(format!("100 Adam steps (tch, {dev})"), t).target(1.0));

    let sparse_params = GdParams::lesson_torch();
    let t = median_time(3, || {
        let (mut w, mut h) = (w0.copy(), h0.copy());
        if let Err(e) = manual(&sp, &mut w, &mut h, &sparse_params) {
            err.get_or_insert(e);
        }
    });
    rows.push(Row::new(format!("1000 sparse-aware steps (tch, {dev})"), t).target(1.0));

    let adam_sparse = AdamNmf::default();
    let t = median_time(3, || {
        if let Err(e) = adam_sparse.run(&sp, &w0, &h0, |_, _| {}) {
            err.get_or_insert(e);
        }
    });
    rows.push(Row::new(
        format!("1000 sparse-aware Adam steps (tch, {dev})"),
        t,
    ));
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
