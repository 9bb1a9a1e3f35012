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
    use topicmod::torch::tch::Kind;
    use topicmod::torch::{
        csr_to_dense_tensor, pick_device, positive_random_init_t, AdamNmf, ManualGd, SparseT,
    };

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
    let manual = ManualGd::new().n_steps(100);
    let t = median_time(1, || {
        let (mut w, mut h) = (w0.copy(), h0.copy());
        if let Err(e) = manual.run(&m, &mut w, &mut h, |_, _| {}) {
            err.get_or_insert(e);
        }
    });
    rows.push(Row::new(
        format!("100 manual GD steps (tch, dense, {dev})"),
        t,
    ));

    let adam = AdamNmf::new().n_steps(100);
    let t = median_time(1, || {
        if let Err(e) = adam.run(&m, &w0, &h0, |_, _| {}) {
            err.get_or_insert(e);
        }
    });
    rows.push(Row::new(format!("100 Adam steps (tch, {dev})"), t));

    let sparse = ManualGd::new().n_steps(1000);
    let t = median_time(3, || {
        let (mut w, mut h) = (w0.copy(), h0.copy());
        if let Err(e) = sparse.run_sparse(&sp, &mut w, &mut h, |_, _| {}) {
            err.get_or_insert(e);
        }
    });
    rows.push(Row::new(format!("1000 sparse-aware steps (tch, {dev})"), t));

    let adam_sparse = AdamNmf::new().n_steps(1000);
    let t = median_time(3, || {
        if let Err(e) = adam_sparse.run_sparse(&sp, &w0, &h0, |_, _| {}) {
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
