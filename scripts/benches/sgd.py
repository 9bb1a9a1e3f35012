"""Reference rows for the `sgd` group (see scripts/bench_reference.py)."""


def run(ctx, rows):
    pass
