"""Reference rows for the `nmf` group (see scripts/bench_reference.py)."""


def run(ctx, rows):
    pass
