"""The scaling series of `scripts/bench --only scale`: streamed online NMF on synthetic corpora
of 10^4, 10^5 and 10^6 documents, ours (`topicmod stream`) beside scikit-learn, with wall time
and peak memory (the largest resident set) of each run.

The corpora are generated once (build/bench-scale/, about 70 MB per 10^5 documents) from the
lesson's statistics: each synthetic document picks one of the four newsgroups with the
groups' share of posts, takes its length from the lengths of real posts, and draws its words
from that group's word frequencies (tokens as scikit-learn's default analyzer finds them).

Each run is a separate process, so its peak memory is its own (`os.wait4`):
- ours: `topicmod stream --input FILE --topics 10 --batch-size 2048 --n-features 262144
  --epochs 1` (hashing, one pass of MiniBatchNmf.partial_fit per batch);
- scikit-learn, the same work: batches of 2048 lines, `HashingVectorizer(n_features=2**18,
  alternate_sign=False, stop_words="english")`, `MiniBatchNMF(10, random_state=0)
  .partial_fit` per batch;
- scikit-learn in memory, the usual way (every document read, one hashed matrix,
  `MiniBatchNMF(10, batch_size=2048, max_iter=1).fit`): for the memory it needs, up to
  10^5 documents by default (--in-memory-max).

    bench/scale.py --ours OURS.json --ref REF.json [--sizes 10000,100000,1000000] [--binary PATH]

Writes rows {"name", "seconds", ...} for scripts/bench's table and prints its own table with
peak memory. Needs TOPICMOD_DATA and the dev requirements.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

N_FEATURES = 2**18
BATCH = 2048
TOPICS = 10

SKLEARN_STREAM = r"""
import sys, itertools
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.decomposition import MiniBatchNMF
path, n_features, batch, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
hv = HashingVectorizer(n_features=n_features, alternate_sign=False, stop_words="english")
model = MiniBatchNMF(n_components=k, random_state=0)
with open(path, encoding="utf-8") as f:
    while True:
        docs = list(itertools.islice(f, batch))
        if not docs:
            break
        model.partial_fit(hv.transform(docs))
print(model.components_.shape)
"""

SKLEARN_IN_MEMORY = r"""
import sys
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.decomposition import MiniBatchNMF
path, n_features, batch, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with open(path, encoding="utf-8") as f:
    docs = f.readlines()
x = HashingVectorizer(n_features=n_features, alternate_sign=False, stop_words="english").transform(docs)
model = MiniBatchNMF(n_components=k, batch_size=batch, max_iter=1, random_state=0).fit(x)
print(model.components_.shape)
"""


def synthetic_corpus(n_docs: int, out: Path, seed: int = 0) -> Path:
    """One document per line, `n_docs` lines, drawn from the lesson's statistics (see the
    module's doc). Written once: through a temporary file, renamed when complete."""
    if out.exists():
        return out
    import numpy as np
    import sklearn_corpus
    from sklearn.feature_extraction.text import CountVectorizer

    train = sklearn_corpus.lesson("train")
    analyze = CountVectorizer().build_analyzer()
    tokens = [analyze(d) for d in train.data]
    lengths = np.array([len(t) for t in tokens])
    rng = np.random.default_rng(seed)
    groups = []
    for g in range(len(train.target_names)):
        counts: dict[str, int] = {}
        for t, y in zip(tokens, train.target):
            if y == g:
                for w in t:
                    counts[w] = counts.get(w, 0) + 1
        words = np.array(sorted(counts))
        p = np.array([counts[w] for w in words], dtype=float)
        groups.append((words, p / p.sum()))
    share = np.bincount(train.target) / len(train.target)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    t0 = time.perf_counter()
    with open(tmp, "w", encoding="utf-8") as f:
        for start in range(0, n_docs, 10_000):
            n = min(10_000, n_docs - start)
            gs = rng.choice(len(groups), size=n, p=share)
            ls = rng.choice(lengths, size=n)
            lines = []
            for g, length in zip(gs, ls):
                words, p = groups[g]
                lines.append(" ".join(words[rng.choice(len(words), size=length, p=p)]))
            f.write("\n".join(lines) + "\n")
    tmp.replace(out)
    print(f"[bench] generated {out.name}: {n_docs} documents, {out.stat().st_size / 1e6:.0f} MB "
          f"in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return out


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory (MiB) and stdout of one process; its own peak,
    read with wait4 (getrusage would give the largest over all children so far)."""
    import tempfile

    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        out = p.stdout.read()  # to the end; stderr goes to a file, so neither pipe fills up
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            raise SystemExit(f"[bench] {' '.join(map(str, cmd[:3]))} failed ({p.returncode}):\n"
                             f"{err.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out.decode()


def label(n: int) -> str:
    e = len(str(n)) - 1
    return f"1e{e}" if n == 10**e else str(n)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "topicmod"))
    ap.add_argument("--in-memory-max", type=int, default=100_000,
                    help="largest size for the in-memory scikit-learn run")
    args = ap.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    ours_rows, ref_rows, table = [], [], []
    for n in sizes:
        corpus = synthetic_corpus(n, ROOT / "build" / "bench-scale" / f"synthetic-{label(n)}.txt")
        ours_s, ours_mb, out = measure([args.binary, "stream", "--input", str(corpus), "--topics", str(TOPICS),
                                             "--batch-size", str(BATCH), "--n-features", str(N_FEATURES),
                                             "--epochs", "1", "--json", "--no-progress"])
        rate = n / ours_s
        sk_s, sk_mb, _ = measure([sys.executable, "-c", SKLEARN_STREAM, str(corpus), str(N_FEATURES), str(BATCH), str(TOPICS)])
        mem = (float("nan"), float("nan"))
        if n <= args.in_memory_max:
            mem = measure([sys.executable, "-c", SKLEARN_IN_MEMORY, str(corpus), str(N_FEATURES), str(BATCH), str(TOPICS)])[:2]
        name = f"scale: stream {label(n)} docs (hashing + MiniBatchNMF, 1 epoch)"
        ours_rows.append({"name": name, "seconds": ours_s, "peak_mib": ours_mb})
        ref_rows.append({"name": name, "seconds": sk_s, "peak_mib": sk_mb,
                         "reference": "sklearn HashingVectorizer + MiniBatchNMF.partial_fit, 2048-line batches"})
        table.append((n, ours_s, sk_s, ours_mb, sk_mb, mem[0], mem[1], rate))
        print(f"[bench] scale {label(n)}: ours {ours_s:.1f} s / {ours_mb:.0f} MiB, scikit-learn streamed "
              f"{sk_s:.1f} s / {sk_mb:.0f} MiB, in memory {mem[0]:.1f} s / {mem[1]:.0f} MiB", file=sys.stderr)
    json.dump(ours_rows, open(args.ours, "w"))
    json.dump(ref_rows, open(args.ref, "w"))
    print("\nscaling series (synthetic corpus with the lesson's statistics; peak = largest resident set)")
    print(f"{'documents':>10}  {'ours_s':>8}  {'sklearn_s':>9}  {'ratio':>6}  {'ours_docs/s':>11}  "
          f"{'ours_peak_MiB':>13}  {'sklearn_stream_peak_MiB':>23}  {'sklearn_in_memory_s':>19}  {'sklearn_in_memory_peak_MiB':>26}")
    for n, o, s, om, sm, ms, mm, rate in table:
        print(f"{n:>10}  {o:8.1f}  {s:9.1f}  {o / s:6.3f}  {rate:11.0f}  {om:13.0f}  {sm:23.0f}  {ms:19.1f}  {mm:26.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
