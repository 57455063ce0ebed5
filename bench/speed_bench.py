"""Whole-process speed on script corpora: console vs JSON, --jobs 1 vs --jobs 2, and start-up.

    python bench/speed_bench.py [--runs 5] [--jobs 2]

Builds the seed-style corpus and the realistic corpus (bench/corpus.py) in a temp dir,
runs `modelcheck DIR` in a fresh process per measurement, and prints Markdown tables:
median wall time, files/s, CPU seconds of the process and its workers, and whether the
output of every --jobs N is byte-for-byte the --jobs 1 output. The load average is printed
with the numbers: on a shared machine other work takes cores from --jobs 2 first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ROOT, real_corpus, seed_corpus  # noqa: E402

PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its .pyc files
NEUTRAL = tempfile.mkdtemp(prefix="modelcheck-bench-cwd-")


def run(args: list[str], env: dict[str, str] = ENV) -> tuple[float, float, bytes]:
    """Wall seconds, CPU seconds (the process and the workers it waited for) and stdout of one run."""
    start = time.perf_counter()
    # From an empty folder: `python -m` puts the working directory first on sys.path.
    process = subprocess.Popen([PY, "-m", "modelcheck", *args], env=env, cwd=NEUTRAL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = process.stdout.read() if process.stdout else b""
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, output


STAT = statistics.median  # --stat min: on a shared machine the fastest run is the closest to an idle one


def measure(args: list[str], runs: int, env: dict[str, str] = ENV) -> tuple[float, float, bytes]:
    """Wall and CPU seconds over ``runs`` runs (median, or --stat min), and the output (the same every run)."""
    walls, cpus, outputs = [], [], set()
    for _ in range(runs):
        wall, cpu, output = run(args, env)
        walls.append(wall)
        cpus.append(cpu)
        outputs.add(output)
    assert len(outputs) == 1, "output differs between runs"
    return STAT(walls), STAT(cpus), outputs.pop()


def corpus_rows(name: str, folder: Path, count: int, runs: int, jobs: int) -> list[str]:
    rows = []
    for fmt in ("json", "console"):
        wall1, cpu1, out1 = measure([str(folder), "--format", fmt, "--jobs", "1"], runs)
        walln, cpun, outn = measure([str(folder), "--format", fmt, "--jobs", str(jobs)], runs)
        same = "identical" if out1 == outn else "**DIFFERENT**"
        rows.append(
            f"| {name} | {count} | {fmt} | {wall1:.2f} s | {count / wall1:.0f} | {cpu1:.2f} s "
            f"| {walln:.2f} s | {count / walln:.0f} | {cpun:.2f} s | {wall1 / walln:.2f}× | {same} |"
        )
    return rows


def startup_rows(runs: int) -> list[str]:
    """`modelcheck one.py` with .pyc files, and without (PYTHONDONTWRITEBYTECODE=1 on a package never compiled)."""
    script = str(ROOT / "examples" / "seed000" / "train_functional.py")
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "modelcheck")], env=ENV, check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as scratch:
        for part in ("modelcheck", "rules"):  # rules/ holds vocab.json
            shutil.copytree(ROOT / part, Path(scratch) / part, ignore=shutil.ignore_patterns("__pycache__"))
        fresh = {**ENV, "PYTHONPATH": scratch, "PYTHONDONTWRITEBYTECODE": "1"}
        compiled = measure([script, "--jobs", "1"], runs)
        recompiled = measure([script, "--jobs", "1"], runs, fresh)
        version = measure(["--version"], runs)
    return [
        "| what | wall time | CPU |",
        "|---|---:|---:|",
        f"| `modelcheck --version` | {version[0]:.3f} s | {version[1]:.3f} s |",
        f"| `modelcheck one.py` (.pyc files present, as after `pip install`) | {compiled[0]:.3f} s | {compiled[1]:.3f} s |",
        f"| `modelcheck one.py` with `PYTHONDONTWRITEBYTECODE=1`, no .pyc (every run compiles modelcheck) | {recompiled[0]:.3f} s | {recompiled[1]:.3f} s |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="corpora,startup")
    parser.add_argument("--stat", choices=("median", "min"), default="median")
    args = parser.parse_args()
    global STAT
    STAT = min if args.stat == "min" else statistics.median
    load_before = os.getloadavg()
    lines: list[str] = []
    if "corpora" in args.only:
        with tempfile.TemporaryDirectory() as scratch:
            seed, real = Path(scratch) / "seed", Path(scratch) / "real"
            corpora = [("seed-style", seed, seed_corpus(seed)), ("realistic", real, real_corpus(real))]
            j = args.jobs
            lines += [
                f"| corpus | files | format | --jobs 1 | files/s | CPU | --jobs {j} | files/s | CPU | speed-up | output |",
                "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
            ]
            for name, folder, count in corpora:
                lines += corpus_rows(name, folder, count, args.runs, j)
        lines.append("")
    if "startup" in args.only:
        lines += startup_rows(args.runs)
        lines.append("")
    load_after = os.getloadavg()
    lines.append(
        f"Load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} cores; "
        f"{args.stat} of {args.runs} runs; CPU is user + system time of the process and its workers."
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
