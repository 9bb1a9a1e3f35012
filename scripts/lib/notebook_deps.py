"""Print the `:dep` and `:opt` lines of a notebook's first code cell (nothing if none).

Used by `scripts/kernel` to load a notebook's dependencies, at the optimization level its
cells will use, while the kernel starts.
"""
import json
import sys


def first_cell_commands(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        text = "".join(src) if isinstance(src, list) else src
        lines = [line.strip() for line in text.splitlines()]
        return [line for line in lines if line.startswith((":dep ", ":opt "))]
    return []


if __name__ == "__main__":
    try:
        lines = first_cell_commands(sys.argv[1])
    except (OSError, ValueError, IndexError):
        sys.exit(0)
    if lines:
        print("\n".join(lines))
