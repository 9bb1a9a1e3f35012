"""Reference rows for the `corpus` group (see scripts/bench_reference.py)."""


def run(ctx, rows):
    pass
