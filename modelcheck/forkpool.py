"""A pool of forked processes for ``--jobs``: this process and ``N - 1`` workers share a task list.

Workers claim tasks one at a time from the front of the list, this process from
the back, until the two meet: nobody waits on a batch claimed ahead of time, and
no thread or queue runs beside the checking (``concurrent.futures`` took 20 ms
to start, a manager thread competed for the interpreter lock, and each worker
held two chunks claimed ahead). A worker sends each task's result as soon as it
has it, and this process takes in what has arrived between its own tasks, so the
end of the run waits for no transfer. A task whose worker died is checked here.

Callers check that forking is safe first (see ``parallel.fork_is_safe``).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import sys
from typing import Any, Callable, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

_CLAIM_WAIT = 10.0  # seconds: a claim takes microseconds; a worker killed inside one must not hang the others
_FRAME = struct.Struct("<Q")  # the length of each pickled (task index, result) that follows


def run_pool(tasks: list[Task], settings: Any, workers: int, check: Callable[[Task, Any], Result]) -> list[Result]:
    """``check(task, settings)`` for every task, in task order, in ``workers`` processes (this one included)."""
    claims = _Claims(len(tasks))
    results: dict[int, Result] = {}
    inboxes: list[_Inbox] = []
    sys.stdout.flush()  # a child must not inherit unwritten output and write it twice
    sys.stderr.flush()
    gc.freeze()  # the workers' collections then skip (and never copy) the pages they inherit
    try:
        for _ in range(workers - 1):
            inboxes.append(_fork_worker(tasks, claims, settings, check))
        while (index := claims.back()) is not None:
            results[index] = check(tasks[index], settings)
            for inbox in inboxes:
                inbox.take(results)
        for inbox in inboxes:
            inbox.finish(results)
        inboxes = []
        return [results[index] if index in results else check(task, settings) for index, task in enumerate(tasks)]
    finally:
        for inbox in inboxes:
            inbox.stop()
        claims.close()
        gc.unfreeze()


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


def _fork_worker(tasks: list[Task], claims: _Claims, settings: Any, check: Callable[[Task, Any], Result]) -> _Inbox:
    """Start a worker; returns where its results arrive."""
    read_end, write_end = os.pipe()
    _widen(write_end)
    pid = os.fork()
    if pid:
        os.close(write_end)
        return _Inbox(pid, read_end)
    status = 1
    try:  # the child: never return into the parent's code, never run its exit handlers
        os.close(read_end)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        while (index := claims.front()) is not None:
            frame = pickle.dumps((index, check(tasks[index], settings)), protocol=pickle.HIGHEST_PROTOCOL)
            _write_all(write_end, _FRAME.pack(len(frame)) + frame)
        status = 0
    finally:
        os._exit(status)


def _widen(pipe: int) -> None:
    """A 1 MB pipe where Linux allows it: a worker then rarely waits for this process to take its results."""
    try:
        import fcntl

        fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


def _write_all(pipe: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(pipe, view) :]


class _Inbox:
    """A worker's results as they arrive: whole frames are kept, a cut-off last one is dropped."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid = pid
        self.pipe = pipe
        self.data = bytearray()
        self.open = True
        os.set_blocking(pipe, False)

    def take(self, results: dict[int, Any]) -> None:
        """What has arrived so far, without waiting (between this process's own tasks)."""
        while self.open:
            try:
                chunk = os.read(self.pipe, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                self.open = False
            self.data += chunk
        self._unpack(results)

    def finish(self, results: dict[int, Any]) -> None:
        """Everything the worker sends until it exits; a worker that died leaves its tasks to the caller."""
        os.set_blocking(self.pipe, True)
        while self.open:
            chunk = os.read(self.pipe, 1 << 20)
            if not chunk:
                self.open = False
            self.data += chunk
        os.close(self.pipe)
        os.waitpid(self.pid, 0)
        self.pid = 0
        self._unpack(results)

    def _unpack(self, results: dict[int, Any]) -> None:
        start = 0
        while len(self.data) - start >= _FRAME.size:
            (size,) = _FRAME.unpack_from(self.data, start)
            end = start + _FRAME.size + size
            if end > len(self.data):
                break
            try:
                index, result = pickle.loads(self.data[start + _FRAME.size : end])
            except Exception:  # noqa: BLE001 - a frame that cannot be read: its task is checked again
                pass
            else:
                results[index] = result
            start = end
        del self.data[:start]

    def stop(self) -> None:
        """End the worker (Ctrl-C, or an error in this process); workers ignore SIGINT."""
        if not self.pid:
            return  # finished and reaped
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        try:
            os.close(self.pipe)
        except OSError:
            pass
