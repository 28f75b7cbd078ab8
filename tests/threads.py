"""Running work in real threads that start at the same moment, for the concurrency tests."""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence


def at_once(jobs: Sequence[Callable[[], Any]], timeout: float = 120) -> list[Any]:
    """Run each job in its own thread, all released together; their results, or the first failure raised."""
    start, results, failures = threading.Barrier(len(jobs)), [None] * len(jobs), []

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[index] = job()
        except BaseException as error:  # noqa: BLE001 - raised in the caller's thread below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if failures:
        raise failures[0]
    return results
