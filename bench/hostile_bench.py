"""How fast the reader bounds give up on hostile inputs (the tests only check that they do).

    python bench/hostile_bench.py

In-process, median of 5: the JSON depth pre-scan over a 19 MB document whose strings
hold brackets, a billion-laughs YAML config refused before expansion, and the script
interpreter's step budget on scripts that would loop or allocate forever. Prints a
markdown table.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BILLION_LAUGHS = "\n".join(
    [f"l0: &l0 [{', '.join(['lol'] * 10)}]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    + ["model: {backbone: ResNet50, head: *l9}", ""]
)
SCRIPTS = {
    "`while True: pass`": "while True:\n    pass\n",
    "`for i in range(10**12)`": "x = 0\nfor i in range(10**12):\n    x += i\n",
    "unbounded recursion": "def f(n):\n    return f(n + 1)\nf(0)\n",
}


def median_seconds(action: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _refused(read: Callable[[], object]) -> Callable[[], None]:
    from modelcheck.errors import InputError

    def run() -> None:
        try:
            read()
        except InputError:
            return
        raise AssertionError("the hostile input was not refused")

    return run


def main() -> None:
    from modelcheck.readers.config.training_config import read_training_config
    from modelcheck.readers.model.keras_file import json_depth
    from modelcheck.readers.script.reader import read_script

    big = b"[" + b'[1, {"k": "[\\"]"}],' * 1_000_000 + b"0]"
    rows = ["| hostile input | what gives up | median |", "|---|---|---|"]
    rows.append(f"| {len(big) / 1e6:.0f} MB JSON, brackets inside strings | depth pre-scan | "
                f"{median_seconds(lambda: json_depth(big)):.3f} s |")
    laughs = BILLION_LAUGHS.encode()
    rows.append(f"| billion-laughs YAML config | alias bound (10 000 values) | "
                f"{median_seconds(_refused(lambda: read_training_config('train.yaml', laughs))):.3f} s |")
    for label, body in SCRIPTS.items():
        source = "import keras\n" + body + "model = keras.Sequential([keras.layers.Dense(3)])\n"
        rows.append(f"| script: {label} | interpreter step budget | {median_seconds(lambda s=source: read_script('hostile.py', s)):.3f} s |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
