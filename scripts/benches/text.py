"""Reference rows for the `text` group (see scripts/bench_reference.py)."""


def run(ctx, rows):
    pass
