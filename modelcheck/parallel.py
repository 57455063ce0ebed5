"""Checking files on all cores: group discovered files into tasks, check them in ``N`` processes.

A task is what must be read together: the scripts of one folder (``predict.py``
is linked to the ``train.py`` beside it), or one other file. The tasks are
checked in ``N`` processes (``forkpool``); every process reads and checks a task
exactly as ``--jobs 1`` would, and the parent puts the setups back in the order a
single process produces, so every report is byte-for-byte the same.

No pool is started for a single task, outside the main thread, with other
threads alive (forking then can copy a lock another thread holds), or where
fork is unavailable: the files are then checked in this process.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    import argparse

    from modelcheck.findings import Finding
    from modelcheck.ir import TrainingSetup
    from modelcheck.settings import Settings

Files = list[tuple[str, bool]]
Checked = tuple[set["Finding"], list["TrainingSetup"]]


def default_jobs() -> int:
    """The CPUs this process may run on (a container's or taskset's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def add_jobs_argument(parser: argparse.ArgumentParser) -> None:
    """``--jobs N``: the number of processes, default the CPUs; 0 or less is a usage error."""
    parser.add_argument(
        "--jobs", "-j", type=_job_count, default=default_jobs(), metavar="N",
        help="check files in N processes (default: the number of CPUs, here %(default)s); the output is the same for any N",
    )


def _job_count(text: str) -> int:
    import argparse

    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"give at least 1 process, not {count}")
    return count


def tasks_for(files: Files) -> list[Files]:
    """Group files into tasks: the scripts of one folder together, each other file alone; in file order."""
    tasks: list[Files] = []
    folders: dict[str, int] = {}  # folder -> index of its scripts' task
    for name, explicit in files:
        if not _is_script(name):
            tasks.append([(name, explicit)])
            continue
        folder = os.path.dirname(os.path.abspath(name))
        if folder in folders:
            tasks[folders[folder]].append((name, explicit))
        else:
            folders[folder] = len(tasks)
            tasks.append([(name, explicit)])
    return tasks


def _is_script(name: str) -> bool:
    """What ``inputs`` reads together, after every other file (the scripts of a folder are linked)."""
    from modelcheck.inputs import SCRIPT_SUFFIXES

    return os.path.splitext(name)[1].lower() in SCRIPT_SUFFIXES


def fork_is_safe() -> bool:
    """Whether forking copies no lock another thread may hold: the main thread, and no other thread alive."""
    if not hasattr(os, "fork") or sys.platform == "darwin":  # macOS frameworks are not fork-safe
        return False
    return threading.current_thread() is threading.main_thread() and threading.active_count() == 1


def check_files(files: Files, settings: Settings, jobs: int, check: Callable[[Files, Settings], Checked]) -> Checked:
    """``check(files, settings)`` over all files, in ``jobs`` processes where that pays and is safe.

    Returns the same findings and the same setups in the same order as ``check`` on all files at once.
    """
    tasks = tasks_for(files)
    workers = min(jobs, len(tasks))
    if workers <= 1 or not fork_is_safe():
        return check(files, settings)
    from modelcheck.forkpool import run_pool

    _import_readers(files)
    results = run_pool(tasks, settings, workers, check)
    findings: set[Finding] = set()
    setups: list[TrainingSetup] = []
    for found, read in results:
        findings |= found
        setups += read
    return findings, _in_serial_order(setups, files)


def _import_readers(files: Files) -> None:
    """Import the script reader and the rules once, here: the forked workers share them instead of each importing."""
    from modelcheck.engine import registered_codes

    registered_codes()  # loads every rule module
    if any(_is_script(name) for name, _ in files):
        import modelcheck.readers.script.reader  # noqa: F401


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while checking.

    Reading keeps every setup alive, and each full collection walks all of them:
    with the default thresholds the collector took about a third of the CPU time
    on 272 scripts. Garbage without cycles is still freed at once, and cycles
    still are every 100,000 allocations. The thresholds are restored afterwards.
    """
    previous = gc.get_threshold()
    gc.set_threshold(100_000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _in_serial_order(setups: list[TrainingSetup], files: Files) -> list[TrainingSetup]:
    """Setups as one process appends them: other files' in file order, then the scripts' in file order."""
    position = {name: index for index, (name, _) in enumerate(files)}

    def key(setup: TrainingSetup) -> tuple[bool, int]:
        return _is_script(setup.path), position.get(setup.path, len(position))

    return sorted(setups, key=key)  # stable: a path not among the files keeps its place
