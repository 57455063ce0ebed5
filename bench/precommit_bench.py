"""pre-commit end to end: a commit touching 10 training scripts and 2 model files.

Copies the tracked files of this working tree into a temporary git repository (pre-commit installs hooks
from a repository at a commit), installs the hook environment once, then times
`pre-commit run --files ...` (median of 5). Prints a markdown table.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True).stdout.strip()


def snapshot(target: Path) -> str:
    names = subprocess.run(["git", "ls-files", "--cached", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "snapshot")
    return git(target, "rev-parse", "HEAD")


def make_models(folder: Path) -> list[Path]:
    code = (
        "import keras\n"
        "m = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3, activation='relu'), "
        "keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5, activation='softmax')])\n"
        f"m.save({str(folder / 'small.keras')!r})\n"
        f"keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3)).save({str(folder / 'vgg16.h5')!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return [folder / "small.keras", folder / "vgg16.h5"]


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        temp_path = Path(temp)
        source = temp_path / "src"
        source.mkdir()
        rev = snapshot(source)
        project = temp_path / "project"
        project.mkdir()
        git(project, "init", "-q")
        (project / ".pre-commit-config.yaml").write_text(f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: modelcheck\n")
        scripts = sorted((ROOT / "examples").rglob("*.py"))[:10]
        files = []
        for index, script in enumerate(scripts):
            target = project / f"train_{index}.py"
            shutil.copy(script, target)
            files.append(target)
        files += make_models(project)
        git(project, "add", "-A")
        env = {**os.environ, "PRE_COMMIT_HOME": str(temp_path / "home"), "PRE_COMMIT_COLOR": "never"}
        env.pop("PYTHONPATH", None)
        command = [sys.executable, "-m", "pre_commit", "run", "--files", *[str(f.relative_to(project)) for f in files]]
        started = time.perf_counter()
        subprocess.run(command, cwd=project, env=env, capture_output=True)
        install = time.perf_counter() - started
        times = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(command, cwd=project, env=env, capture_output=True)
            times.append(time.perf_counter() - started)
        direct = []
        hook_python = next((temp_path / "home").glob("repo*/py_env-*/bin/modelcheck"))
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run([str(hook_python), "--skip-unrecognized", *[str(f) for f in files]], cwd=project, env=env, capture_output=True)
            direct.append(time.perf_counter() - started)
    print("| what | wall time |")
    print("|---|---|")
    print(f"| first `pre-commit run` (installs the hook environment, no TensorFlow) | {install:.1f} s |")
    print(f"| `pre-commit run` on 10 scripts + 2 model files (59 MB VGG16 .h5 included) | {statistics.median(times):.2f} s |")
    print(f"| the hook's `modelcheck` on the same 12 files, without pre-commit | {statistics.median(direct):.2f} s |")


if __name__ == "__main__":
    main()
