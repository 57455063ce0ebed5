"""Benchmarks: whole-process wall time and peak memory of modelcheck vs what a user would
otherwise run. Reproduces the tables in BENCHMARKS.md:

    python bench/run.py [--quick] [--only models,scripts,speed,precommit,probe,hostile] [--write]

Model files are built once with Keras (weights=None) into .bench/ and reused.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".bench"
PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "NO_COLOR": "1"}
# Measure what an installed package does: pip compiles .pyc files at install time.
ENV.pop("PYTHONDONTWRITEBYTECODE", None)

MODELS = {
    # name: (builder source, what it is)
    "vgg16_notop": ("keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))", "VGG16, no top, 224"),
    "resnet50": ("keras.applications.ResNet50(weights=None, include_top=False, input_shape=(224, 224, 3))", "ResNet50, no top, 224"),
    "efficientnetb0": ("keras.applications.EfficientNetB0(weights=None, include_top=False, input_shape=(224, 224, 3))", "EfficientNetB0, no top, 224"),
    "vgg16_full": ("keras.applications.VGG16(weights=None, include_top=True)", "VGG16 with its 4096-wide top (~528 MB)"),
}


def measure(cmd: list[str], runs: int, cwd: Path = ROOT) -> tuple[float, float]:
    """Median wall seconds and max peak RSS (MB) of a command run `runs` times."""
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        times.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(times), max(peaks)


def build_models(names: list[str]) -> dict[str, Path]:
    WORK.mkdir(exist_ok=True)
    paths = {}
    for name in names:
        source, _ = MODELS[name]
        for suffix in ("keras", "h5"):
            path = WORK / f"{name}.{suffix}"
            paths[f"{name}.{suffix}"] = path
            if not path.exists():
                code = f"import keras; m = {source}; m.save({str(path)!r})"
                subprocess.run([PY, "-c", code], check=True, env=ENV, capture_output=True)
    return paths


def bench_models(quick: bool) -> list[str]:
    names = ["vgg16_notop", "resnet50", "efficientnetb0"] + ([] if quick else ["vgg16_full"])
    paths = build_models(names)
    rows = ["| model file | size | modelcheck | peak MB | keras.models.load_model | peak MB | speed-up |", "|---|---|---|---|---|---|---|"]
    for label, path in paths.items():
        ours, ours_mb = measure([PY, "-m", "modelcheck", "--format", "json", str(path)], 3 if quick else 7)
        theirs, theirs_mb = measure([PY, "-c", f"import keras; keras.models.load_model({str(path)!r}, compile=False)"], 1 if quick else 3)
        size = path.stat().st_size / 1e6
        rows.append(f"| {label} | {size:.0f} MB | {ours:.3f} s | {ours_mb:.0f} | {theirs:.2f} s | {theirs_mb:.0f} | {theirs / ours:.0f}× |")
    return rows


def bench_scripts(quick: bool) -> list[str]:
    count = 200 if quick else 1000
    folder = WORK / "scripts"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    sources = sorted(p for p in (ROOT / "examples").rglob("*.py"))
    for index in range(count):
        source = sources[index % len(sources)]
        target = folder / f"s{index // len(sources):03d}" / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    wall, peak = measure([PY, "-m", "modelcheck", "--format", "json", "--jobs", "1", str(folder)], 3)
    startup, _ = measure([PY, "-m", "modelcheck", "--version"], 7)
    one, one_mb = measure([PY, "-m", "modelcheck", str(ROOT / "examples" / "seed000" / "train_functional.py")], 7)
    return [
        "| what | wall time | peak MB | rate |",
        "|---|---|---|---|",
        f"| {count} training scripts, one process | {wall:.2f} s | {peak:.0f} | {count / wall:.0f} files/s, {1000 * wall / count:.1f} ms/file |",
        f"| `modelcheck --version` | {startup:.3f} s | | |",
        f"| one script (`examples/seed000/train_functional.py`) | {one:.3f} s | {one_mb:.0f} | |",
    ]


def bench_probe(quick: bool) -> list[str]:
    script = ROOT / "bench" / "probe_bench.py"
    if not script.exists():
        return ["(bench/probe_bench.py not present)"]
    result = subprocess.run([PY, str(script)] + (["--quick"] if quick else []), env=ENV, capture_output=True, text=True)
    return result.stdout.strip().splitlines() or [f"probe bench failed: {result.stderr[-400:]}"]


def bench_speed(quick: bool) -> list[str]:
    script = ROOT / "bench" / "speed_bench.py"
    result = subprocess.run([PY, str(script), "--runs", "3" if quick else "7"], env=ENV, capture_output=True, text=True)
    return result.stdout.strip().splitlines() or [f"speed bench failed: {result.stderr[-400:]}"]


def bench_precommit(quick: bool) -> list[str]:
    script = ROOT / "bench" / "precommit_bench.py"
    if not script.exists():
        return ["(bench/precommit_bench.py not present)"]
    result = subprocess.run([PY, str(script)], env=ENV, capture_output=True, text=True)
    return result.stdout.strip().splitlines() or [f"pre-commit bench failed: {result.stderr[-400:]}"]


def bench_hostile(quick: bool) -> list[str]:
    result = subprocess.run([PY, str(ROOT / "bench" / "hostile_bench.py")], env=ENV, capture_output=True, text=True)
    return result.stdout.strip().splitlines() or [f"hostile-input bench failed: {result.stderr[-400:]}"]


def header() -> list[str]:
    import importlib.metadata as md

    versions = []
    for package in ("keras", "tensorflow", "h5py", "rich", "numpy"):
        try:
            versions.append(f"{package} {md.version(package)}")
        except md.PackageNotFoundError:
            pass
    return [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}",
        f"Versions: {', '.join(versions)}",
        "Times are whole-process wall times (median of several runs), memory is the peak RSS of the process.",
    ]


SECTIONS = {
    "models": ("Model files, static check vs `keras.models.load_model`", bench_models),
    "scripts": ("Training scripts and start-up", bench_scripts),
    "speed": ("Script corpora: console vs JSON, `--jobs 1` vs `--jobs 2`", bench_speed),
    "probe": ("Training probe", bench_probe),
    "precommit": ("pre-commit hook", bench_precommit),
    "hostile": ("Hostile inputs: how fast the bounds give up", bench_hostile),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md")
    args = parser.parse_args()
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "modelcheck")], env=ENV, check=True, stdout=subprocess.DEVNULL)
    lines = ["# Benchmarks", "", *header(), ""]
    for key in args.only.split(","):
        title, func = SECTIONS[key]
        print(f"running {key} ...", file=sys.stderr)
        lines += [f"## {title}", "", *func(args.quick), ""]
    text = "\n".join(lines)
    print(text)
    if args.write:
        target = ROOT / "BENCHMARKS.md"
        # The hand-written "## Goals" section (what the numbers mean) survives a re-run.
        previous = target.read_text(encoding="utf-8") if target.exists() else ""
        goals = previous[previous.index("## Goals"):] if "## Goals" in previous else ""
        target.write_text(text + "\n" + goals, encoding="utf-8")


if __name__ == "__main__":
    main()
