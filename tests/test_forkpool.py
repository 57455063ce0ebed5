"""The fork pool behind --jobs: every task's result, in task order, whoever checks it."""

from __future__ import annotations

import os
import time

from modelcheck.forkpool import run_pool


def _square(task: int, settings: object) -> tuple[int, int]:
    time.sleep(0.002)  # long enough that both ends of the list are worked on
    return task * task, os.getpid()


def test_results_come_back_in_task_order_from_this_process_and_the_workers():
    results = run_pool(list(range(60)), None, 3, _square)
    assert [value for value, _ in results] == [task * task for task in range(60)]
    pids = [pid for _, pid in results]
    assert os.getpid() in pids and len(set(pids)) == 3
    assert pids[-1] == os.getpid() and pids[0] != os.getpid()  # this process works from the back


def test_a_worker_that_dies_keeps_what_it_sent_and_its_other_tasks_are_checked_here():
    parent = os.getpid()
    done_in_worker = []

    def dies_after_three(task: int, settings: object) -> tuple[int, int]:
        if os.getpid() != parent:
            done_in_worker.append(task)  # the worker's own copy of the list
            if len(done_in_worker) > 3:
                os._exit(9)
        return _square(task, settings)

    results = run_pool(list(range(40)), None, 2, dies_after_three)
    assert [value for value, _ in results] == [task * task for task in range(40)]
    worker = [task for task, (_, pid) in enumerate(results) if pid != parent]
    assert worker == [0, 1, 2]  # its first three results arrived before it died and were kept


def test_large_results_pass_through_the_pipe_whole():
    results = run_pool(list(range(8)), None, 2, lambda task, _: "x" * (3 << 20) + str(task))
    assert [len(text) for text in results] == [(3 << 20) + 1] * 8
    assert [text[-1] for text in results] == [str(task) for task in range(8)]
