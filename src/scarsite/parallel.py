"""Spreading independent work (Markdown bodies, pages) over the machine's cores.

Workers are forked, so they start with everything the parent has built (the site
model, the compiled templates) and only the items and results cross between
processes. Results come back in the order of the items, so output never depends
on which worker finished first.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Below this many items a pool costs more to start than it saves.
MIN_ITEMS_PER_WORKER = 25

_task: Callable[[Any], Any] | None = None  # what forked workers run; set just before forking


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
    that keeps only part of each result never holds all of them at once (at 10,000 pages,
    the sets of parts each page read were 100 MB).
    """
    jobs = min(jobs, len(items) // MIN_ITEMS_PER_WORKER)
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return map(task, items)
    return _in_workers(task, items, jobs)


def _in_workers(task: Callable[[Item], Result], items: Sequence[Item],
                jobs: int) -> Iterator[Result]:
    global _task
    _task = task
    # Workers share the parent's memory until they write to it; a garbage collection in
    # a worker would write to every object it looks at, so they are frozen first.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            # Chunks of at most 64 items: each chunk's results travel as one message, and
            # 625 pages (a sixteenth of 10,000) made 20 MB messages the parent had to hold.
            chunk = min(64, max(1, len(items) // (jobs * 8)))
            yield from pool.imap(_run, items, chunksize=chunk)
    finally:
        _task = None


def _run(item: Any) -> Any:
    assert _task is not None
    return _task(item)
