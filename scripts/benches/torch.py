"""Reference rows for the `torch` group (see scripts/bench_reference.py)."""


def run(ctx, rows):
    pass
