"""Spreading independent work (Markdown bodies, pages) over the machine's cores.

Workers are forked, so they start with everything the parent has built (the site
model, the compiled templates, the task itself) and only the results cross between
processes. Worker `w` of `n` does items `w`, `w + n`, `w + 2n`..., in order, and
results are read back in the order of the items, so output never depends on which
worker finished first.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many items a worker costs more to start than it saves.
MIN_ITEMS_PER_WORKER = 25


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parallel_map(task: Callable[[Item], Result], items: Sequence[Item],
                 jobs: int) -> Iterator[Result]:
    """`task(item)` for each item in order, over up to `jobs` processes when it is worth it.

    Results come one by one, as soon as each (and every one before it) is done: a caller
    that keeps only part of each result never holds all of them at once.
    """
    jobs = min(jobs, len(items) // MIN_ITEMS_PER_WORKER)
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return map(task, items)
    return _in_workers(task, items, jobs)


def _in_workers(task: Callable[[Item], Result], items: Sequence[Item],
                jobs: int) -> Iterator[Result]:
    context = multiprocessing.get_context("fork")
    workers = []
    for worker in range(jobs):
        receive, send = context.Pipe(duplex=False)
        # With fork, the target and its arguments are not pickled: the child has them.
        process = context.Process(target=_work, args=(task, items, worker, jobs, send),
                                  daemon=True)
        process.start()
        send.close()
        workers.append((process, receive))
    try:
        for index in range(len(items)):
            ok, value = workers[index % jobs][1].recv()
            if not ok:
                raise value
            yield value
    finally:
        for process, receive in workers:
            receive.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


def _work(task: Callable[[Any], Any], items: Sequence[Any], worker: int, jobs: int,
          send: Connection) -> None:
    for index in range(worker, len(items), jobs):
        try:
            send.send((True, task(items[index])))
        except Exception as exc:  # the parent raises it
            send.send((False, exc))
            break
    send.close()
