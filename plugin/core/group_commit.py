"""Group commit: the requests that arrive together are written in one transaction, each answered once it is stored.

Under load, every beacon's own transaction was waiting for the one before it:
each moves the same few rollup rows (today's stage counts), so their row locks
lined the requests up, one commit at a time.  Here a request hands its work to
a :class:`GroupCommit` and waits.  The first to come runs alone at once (no
added latency when the shop is quiet); while it writes, the next requests
queue, and the first of them then writes all of them together: the shared rows
are locked and the transaction committed once per group, not once per request.

Nothing is acknowledged before it is committed: a request returns only when
the group that holds its work has committed (or raises the error its own work
raised).  If a group fails, each of its members is written again alone, so
that one bad member fails only its own request.

One :class:`GroupCommit` per process and purpose; the work runs in the leading
request's thread, app context and database session.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Generic, Sequence, TypeVar

Item = TypeVar("Item")
log = logging.getLogger("journeykit")
#: The most members one group writes: bounds a transaction's length and the locks it holds.
MAX_GROUP = 64


class _Ticket(Generic[Item]):
    """One request's place in the queue: its work, and once written its outcome."""

    __slots__ = ("item", "woken", "done", "lead", "result", "error")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.woken = threading.Event()
        self.done = self.lead = False
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.done = result, error, True
        self.woken.set()


class GroupCommit(Generic[Item]):
    """Leader and followers: whoever is woken to lead writes everything queued, then hands over to the next waiter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Ticket[Item]] = []
        self._leading = False

    @property
    def waiting(self) -> int:
        """How many requests are queued behind the group being written."""
        with self._lock:
            return len(self._queue)

    def submit(self, item: Item, write: Callable[[Sequence[Item]], list[Any]]) -> Any:
        """Write ``item`` with whatever else is queued; its result, or the error its writing raised.

        ``write(items)`` writes a group in one transaction, commits it and
        returns one result per item.  A group that fails is written again one
        item at a time.
        """
        ticket = _Ticket(item)
        with self._lock:
            self._queue.append(ticket)
            if not self._leading:
                self._leading = ticket.lead = True
        while not ticket.done:
            if ticket.lead:
                self._lead(write)
            else:
                ticket.woken.wait()
                ticket.woken.clear()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _lead(self, write: Callable[[Sequence[Item]], list[Any]]) -> None:
        """Write one group (the queue's head), then pass the lead to the next waiter, if any."""
        with self._lock:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        try:
            _write(group, write)
        finally:
            for ticket in group:  # even on an interrupt: no follower waits for ever
                if not ticket.done:
                    ticket.finish(error=RuntimeError("The group this request's write belonged to was interrupted."))
            with self._lock:
                if self._queue:
                    following = self._queue[0]
                    following.lead = True
                    following.woken.set()
                else:
                    self._leading = False


def _write(group: list[_Ticket[Item]], write: Callable[[Sequence[Item]], list[Any]]) -> None:
    if len(group) > 1:
        try:
            results = write([ticket.item for ticket in group])
        except Exception:  # written again one by one below: each member's error is its own request's
            log.info("journeykit: a group of %d writes failed; writing each alone", len(group))
        else:
            for ticket, result in zip(group, results):
                ticket.finish(result)
            return
    for ticket in group:
        try:
            ticket.finish(write([ticket.item])[0])
        except Exception as error:
            ticket.finish(error=error)
