"""Reference rows for the PyTorch section: the lesson's loops in PyTorch itself, on the
same matrix, start and device as bench/groups/torch.rs."""
import numpy as np

try:
    import torch
except ImportError:  # no torch: the group adds no rows
    torch = None


def _penalty(a, mu):
    return (a < mu).to(a.dtype) * torch.clamp(a - mu, max=0.0)


def _manual(m, w, h, steps, lr=0.05, lam=100.0, mu=1e-5):
    for i in range(steps):
        r = w.mm(h) - m
        dw = r.mm(h.t()) + lam * _penalty(w, mu)
        dh = w.t().mm(r) + lam * _penalty(h, mu)
        w.sub_(lr * dw)
        h.sub_(lr * dh)
        if i % 100 == 0:
            float((m - w.mm(h)).norm(2))
            lr *= 0.9


def _adam(m, w0, h0, steps, lam=1e6):
    pw = w0.clone().requires_grad_(True)
    ph = h0.clone().requires_grad_(True)
    opt = torch.optim.Adam([pw, ph], lr=1e-3, betas=(0.9, 0.9))
    for _ in range(steps):
        opt.zero_grad()
        pen = torch.clamp(pw, max=0.0).pow(2).mean() + torch.clamp(ph, max=0.0).pow(2).mean()
        loss = (m - pw.mm(ph)).norm(2) + lam * pen
        loss.backward()
        opt.step()


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run(ctx, rows):
    if torch is None:
        return
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = device.type
    x = ctx.tfidf
    x = x.toarray() if hasattr(x, "toarray") else np.asarray(x)
    m = torch.from_numpy(x.astype(np.float32)).to(device)
    rs = np.random.RandomState(0)
    rows_, cols = m.shape
    w0 = torch.from_numpy(np.abs(rs.normal(0.0, 0.01, (rows_, 6))).astype(np.float32)).to(device)
    h0 = torch.from_numpy(np.abs(rs.normal(0.0, 0.01, (6, cols))).astype(np.float32)).to(device)

    def manual():
        _manual(m, w0.clone(), h0.clone(), 100)
        _sync(device)

    t = ctx.median_time(1, manual)
    rows.append((f"100 manual GD steps (tch, dense, {dev})", t, f"PyTorch {torch.__version__}"))
    rows.append((
        f"1000 sparse-aware steps (tch, {dev})",
        10.0 * t,
        "PyTorch dense, EXTRAPOLATED: 10 x its 100-step time",
    ))

    def adam():
        _adam(m, w0, h0, 100)
        _sync(device)

    t = ctx.median_time(1, adam)
    rows.append((f"100 Adam steps (tch, {dev})", t, f"PyTorch {torch.__version__}"))

