"""CPU time per script of two versions of modelcheck, measured in turns on the same corpora.

    python bench/compare_trees.py [--before 0dab55e] [--after HEAD] [--runs 9]

Checks out both commits as temporary git worktrees, builds the seed-style and the
realistic corpus (bench/corpus.py), and runs ``modelcheck DIR --format json`` in a
fresh process per measurement, alternating between the two versions so that a
shared machine's ups and downs fall on both. Prints a Markdown table: the fastest
CPU time (user + system) of each, the one-script start-up, and the time per file
beyond start-up. The default ``--before`` is the commit issue 18 was filed against.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ROOT, real_corpus, seed_corpus  # noqa: E402

PY = sys.executable
ONE = ROOT / "examples" / "seed000" / "train_functional.py"


def cpu(tree: Path, target: Path, serial: bool, cwd: str) -> float:
    """User + system seconds of one whole `modelcheck` run (a version without --jobs is serial anyway)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [PY, "-m", "modelcheck", str(target), "--format", "json"] + (["--jobs", "1"] if serial else [])
    process = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="0dab55e")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelcheck-trees-") as scratch:
        work = Path(scratch)
        trees = {}
        for label, ref in (("before", args.before), ("after", args.after)):
            trees[label] = work / label
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(trees[label]), ref], check=True, capture_output=True)
        try:
            serial = {label: "--jobs" in subprocess.run([PY, "-m", "modelcheck", "--help"], env={**os.environ, "PYTHONPATH": str(tree)},
                                                        capture_output=True, text=True, cwd=scratch).stdout
                      for label, tree in trees.items()}
            corpora = {"one script": (ONE, 1), "seed-style": (work / "seed", seed_corpus(work / "seed")),
                       "realistic": (work / "real", real_corpus(work / "real"))}
            best: dict[tuple[str, str], float] = {}
            for _ in range(args.runs):
                for name, (target, _) in corpora.items():
                    for label, tree in trees.items():
                        seconds = cpu(tree, target, serial[label], scratch)
                        best[label, name] = min(best.get((label, name), seconds), seconds)
            print(f"| corpus | files | {args.before} | {args.after} | per file beyond start-up, before → after |")
            print("|---|---:|---:|---:|---:|")
            for name, (_, files) in corpora.items():
                before, after = best["before", name], best["after", name]
                if name == "one script":
                    print(f"| {name} | 1 | {before:.3f} s | {after:.3f} s | |")
                    continue
                per = [(best[label, name] - best[label, "one script"]) / files * 1000 for label in ("before", "after")]
                print(f"| {name} | {files} | {before:.3f} s | {after:.3f} s | {per[0]:.2f} → {per[1]:.2f} ms ({per[1] / per[0] - 1:+.0%}) |")
            print(f"\nFastest of {args.runs} runs each, taken in turns; CPU is user + system time; load average "
                  f"{os.getloadavg()[0]:.1f} at the end.")
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


if __name__ == "__main__":
    main()
