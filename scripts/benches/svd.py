"""Reference rows for the `svd` group (see scripts/bench_reference.py)."""


def run(ctx, rows):
    pass
