# Shared helpers for scripts/setup, scripts/test, scripts/lesson and scripts/kernel (sourced, not run).
# Everything is relative to the repository root; no machine-specific path is stored here.

TOPICMOD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KERNEL_NAME="topicmod-rust"
KERNEL_DISPLAY="Rust (topicmod)"
EVCXR_VERSION="0.22.0"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"

# Print a timestamped step header; `step_done` prints how long the step took.
step() {
    _step_name="$1"
    _step_t0=$(date +%s%N)
    printf '==> %s\n' "$_step_name"
}
step_done() {
    local ms=$((($(date +%s%N) - _step_t0) / 1000000))
    printf '    %s: %s (%d.%01d s)\n' "$_step_name" "${1:-done}" $((ms / 1000)) $((ms % 1000 / 100))
}

# The conda/mamba front end, when one is installed and an environment is active.
conda_tool() {
    if [[ -n "${CONDA_PREFIX:-}" ]]; then
        for t in mamba micromamba conda; do
            if command -v "$t" >/dev/null 2>&1; then
                echo "$t"
                return 0
            fi
        done
    fi
    return 1
}

# Prefix of the Python environment the project uses (a venv in .venv/, or the
# conda env named in environment.yml). TOPICMOD_PYENV overrides.
py_prefix() {
    if [[ -n "${TOPICMOD_PYENV:-}" ]]; then
        echo "$TOPICMOD_PYENV"
    elif tool=$(conda_tool); then
        local name
        name=$(sed -n 's/^name: *//p' "$TOPICMOD_ROOT/environment.yml")
        "$tool" run -n "$name" python -c 'import sys; print(sys.prefix)' 2>/dev/null \
            || echo "$TOPICMOD_ROOT/.venv"
    else
        echo "$TOPICMOD_ROOT/.venv"
    fi
}

# torch's lib/ folder inside the environment (found without importing torch).
torch_lib_dir() {
    "$1/bin/python" -c 'import sysconfig, os; print(os.path.join(sysconfig.get_paths()["purelib"], "torch", "lib"))'
}

# Export what `cargo build --features torch` and the kernel need: tch links
# the libtorch shipped in the pinned PyPI wheel.
export_torch_env() {
    local prefix="$1" lib
    lib=$(torch_lib_dir "$prefix")
    export LIBTORCH_USE_PYTORCH=1
    export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export PATH="$prefix/bin:$CARGO_BIN:$PATH"
}

# True when rustc links x86_64 Linux code with its bundled rust-lld by default (Rust 1.90
# and later on x86_64-unknown-linux-gnu); then the kernel keeps that linker for the cells
# and mold is not needed. It asks cargo's rustc when there is one, as the kernel's PATH
# puts $CARGO_BIN first, so scripts/setup (run before $CARGO_BIN is on PATH) and the
# kernel decide alike.
rustc_links_with_lld() {
    local rustc=rustc vv host release major minor
    [[ -x "$CARGO_BIN/rustc" ]] && rustc="$CARGO_BIN/rustc"
    vv="$("$rustc" -vV 2>/dev/null)" || return 1
    host="$(sed -n 's/^host: //p' <<<"$vv")"
    release="$(sed -n 's/^release: //p' <<<"$vv")"
    [[ "$host" == x86_64-unknown-linux-gnu && "$release" =~ ^([0-9]+)\.([0-9]+)\. ]] || return 1
    major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
    ((major > 1 || minor >= 90))
}

# The OpenBLAS kernel set this machine picks by itself (e.g. Haswell, SkylakeX, or Prescott
# where the OpenBLAS build does not know the CPU), as OpenBLAS names it.
openblas_native_coretype() {
    env -u OPENBLAS_CORETYPE python3 - <<'PY' 2>/dev/null || echo unknown
import ctypes
lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())
PY
}

# An OpenBLAS kernel set other than $1 that this CPU can run, for a second pass of the
# numeric tests under other rounding: Haswell (AVX2) when the CPU has AVX2 and $1 is
# another set, else Prescott (SSE3, any x86-64 CPU).
openblas_other_coretype() {
    if grep -qw avx2 /proc/cpuinfo && [[ "${1,,}" != haswell ]]; then echo Haswell; else echo Prescott; fi
}
