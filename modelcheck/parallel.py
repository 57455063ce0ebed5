"""Checking files on all cores: group discovered files into tasks, check each task in a worker process.

A task is what must be read together: the scripts of one folder (``predict.py``
is linked to the ``train.py`` beside it), or one other file. ``N - 1`` forked
workers claim tasks one at a time from the front of the list, this process
claims them from the back, until the two meet: nobody waits on a batch claimed
ahead of time, and no thread or queue runs beside the checking. Every process
reads and checks a task exactly as ``--jobs 1`` would (the per-file SIGALRM time
limit runs in each process's main thread); a worker sends its results once, at
the end, and the parent puts the setups back in the order a single process
produces, so every report is byte-for-byte the same.

No pool is started for a single task, outside the main thread, with other
threads alive (forking then can copy a lock another thread holds), or where
fork is unavailable: the files are then checked in this process.
"""

from __future__ import annotations

import gc
import os
import signal
import struct
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

_CLAIM_WAIT = 10.0  # seconds: a claim takes microseconds; a worker killed inside one must not hang the others


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
    _import_readers(files)
    results = _run_pool(tasks, settings, workers, check)
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


# --- the pool ----------------------------------------------------------------------------------


class _Claims:
    """Task indices handed out from both ends of the list to forked processes.

    The two ends live in a shared anonymous mapping; a pipe holding one byte is the lock
    (reading the byte takes it, writing it back gives it back). No multiprocessing or
    ctypes import: that alone cost more than forking.
    """

    def __init__(self, count: int) -> None:
        import mmap

        self._ends = mmap.mmap(-1, 16)  # shared with the children forked after this
        struct.pack_into("qq", self._ends, 0, 0, count)  # the next front index, one past the last back index
        self._take, self._give = os.pipe()
        os.set_blocking(self._take, False)
        os.write(self._give, b"x")

    def front(self) -> int | None:
        return self._claim(back=False)

    def back(self) -> int | None:
        return self._claim(back=True)

    def _claim(self, back: bool) -> int | None:
        if not self._lock():
            return None  # the tasks nobody claimed are checked in the parent
        try:
            front, end = struct.unpack_from("qq", self._ends, 0)
            if front >= end:
                return None
            if back:
                struct.pack_into("q", self._ends, 8, end - 1)
                return end - 1
            struct.pack_into("q", self._ends, 0, front + 1)
            return front
        finally:
            os.write(self._give, b"x")

    def _lock(self) -> bool:
        import select
        import time

        deadline = time.monotonic() + _CLAIM_WAIT
        while True:
            try:
                if os.read(self._take, 1):
                    return True
            except BlockingIOError:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            select.select([self._take], [], [], remaining)

    def close(self) -> None:
        os.close(self._take)
        os.close(self._give)
        self._ends.close()


def _run_pool(tasks: list[Files], settings: Settings, workers: int, check: Callable[[Files, Settings], Checked]) -> list[Checked]:
    """Each task's result, in task order, from ``workers`` processes: this one and ``workers - 1`` forked ones.

    A task whose worker died (out of memory, killed) is checked here instead.
    """
    claims = _Claims(len(tasks))
    results: list[Checked | None] = [None] * len(tasks)
    children: list[tuple[int, int]] = []
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # the workers' collections then skip (and never copy) the pages they inherit
    try:
        for _ in range(workers - 1):
            children.append(_fork_worker(tasks, claims, settings, check))
        while (index := claims.back()) is not None:
            results[index] = check(tasks[index], settings)
        for pid, pipe in children:
            for index, result in _collect(pid, pipe):
                results[index] = result
        children = []
        return [result if result is not None else check(task, settings) for task, result in zip(tasks, results)]
    finally:
        _stop(children)
        claims.close()
        gc.unfreeze()


def _fork_worker(tasks: list[Files], claims: _Claims, settings: Settings, check: Callable[[Files, Settings], Checked]) -> tuple[int, int]:
    """Start a worker; returns its pid and the read end of the pipe its results come through."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        return pid, read_end
    status = 1
    try:  # the child: never return into the parent's code, never run its exit handlers
        os.close(read_end)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        done = []
        while (index := claims.front()) is not None:
            done.append((index, check(tasks[index], settings)))
        import pickle

        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL))
        status = 0
    finally:
        os._exit(status)


def _collect(pid: int, pipe: int) -> list[tuple[int, Checked]]:
    """A worker's results once it has finished; none if it died or sent something unreadable."""
    import pickle

    with os.fdopen(pipe, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return []
    try:
        done: list[tuple[int, Checked]] = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a truncated result: its tasks are checked again here
        return []
    return done


def _stop(children: list[tuple[int, int]]) -> None:
    """End the workers still running (Ctrl-C, or an error in this process); they ignore SIGINT."""
    for pid, pipe in children:
        try:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        except OSError:
            pass
        try:
            os.close(pipe)
        except OSError:
            pass
