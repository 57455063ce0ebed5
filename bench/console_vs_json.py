"""Console report against JSON on the seed-style corpus: whole process, same input.

    python bench/console_vs_json.py [--copies 17] [--runs 6]

Copies the ``*.py`` files of ``examples/seed*/`` ``--copies`` times into a temporary
folder (17 copies: 272 scripts), then runs ``modelcheck --output-format json`` and
``modelcheck`` (full console) alternately; prints the best wall and CPU (user+sys) time
of each. CPU time is the steadier number on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _corpus(target: Path, copies: int) -> int:
    count = 0
    for copy in range(copies):
        for seed in sorted((ROOT / "examples").glob("seed*")):
            for script in seed.rglob("*.py"):
                destination = target / f"c{copy:02d}" / seed.name / script.relative_to(seed)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(script, destination)
                count += 1
    return count


def _run(folder: Path, fmt: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "modelcheck", "--output-format", fmt, "."], cwd=folder, env=env,
                   stdout=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=17)
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = _corpus(Path(folder), args.copies)
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.runs):
            for fmt in ("json", "full"):
                wall, cpu = _run(Path(folder), fmt)
                old = best.get(fmt, (float("inf"), float("inf")))
                best[fmt] = (min(old[0], wall), min(old[1], cpu))
    print(f"{files} scripts")
    for fmt, (wall, cpu) in best.items():
        print(f"{fmt:>5}: wall {wall:.2f} s ({files / wall:.0f} files/s), cpu {cpu:.2f} s")
    print(f"console / json: wall {best['full'][0] / best['json'][0]:.2f}, cpu {best['full'][1] / best['json'][1]:.2f}")


if __name__ == "__main__":
    main()
