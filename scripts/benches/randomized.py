"""Reference rows for the `randomized` group (see scripts/bench_reference.py)."""


def run(ctx, rows):
    pass
