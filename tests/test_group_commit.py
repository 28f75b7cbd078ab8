"""Beacons that arrive together are written in one transaction, each answered once stored (plugin/core/group_commit.py).

Under load every beacon's own transaction waited for the one before it: all of
them move today's rollup rows.  Now the requests that queue while one group is
written are written by the next, together; a group that fails is written again
one request at a time, so a bad one fails only itself.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Sequence

import sqlalchemy as sa

from journeykit.core import signals
from journeykit.core.group_commit import GroupCommit
from journeykit.journey import events as journey_events
from journeykit.models import JourneyEvent

from .people_helpers import check

EVENTS = "/journeykit/api/v1/events"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"waited 20 s for {what}"
        time.sleep(0.005)


def _in_threads(work: Callable[[int], Any], count: int) -> list[Any]:
    results: list[Any] = [None] * count

    def run(n: int) -> None:
        try:
            results[n] = work(n)
        except BaseException as error:  # noqa: BLE001 - returned to the test
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_requests_queued_behind_a_group_are_written_together_each_answered_with_its_own_result():
    committer: GroupCommit[str] = GroupCommit()
    groups: list[list[str]] = []

    def write(items: Sequence[str]) -> list[str]:
        groups.append(list(items))
        if items == ["first"]:  # the first request writes alone, while the others queue
            _until(lambda: committer.waiting == 5, "five requests queued")
        return [item.upper() for item in items]

    results = _in_threads(lambda n: committer.submit("first" if n == 0 else f"r{n}", write) if n == 0
                          else (_until(lambda: groups != [], "the first write"), committer.submit(f"r{n}", write))[1], 6)
    assert results == ["FIRST", "R1", "R2", "R3", "R4", "R5"]
    assert groups[0] == ["first"] and sorted(groups[1]) == ["r1", "r2", "r3", "r4", "r5"] and len(groups) == 2


def test_a_failing_group_is_written_again_one_request_at_a_time_and_only_the_bad_one_fails():
    committer: GroupCommit[str] = GroupCommit()
    groups: list[list[str]] = []

    def write(items: Sequence[str]) -> list[str]:
        groups.append(list(items))
        if items == ["first"]:
            _until(lambda: committer.waiting == 3, "three requests queued")
        if "bad" in items:
            raise ValueError("the bad one")
        return [f"stored {item}" for item in items]

    def request(n: int) -> str:
        if n:
            _until(lambda: groups != [], "the first write")
        return committer.submit(["first", "good-1", "bad", "good-2"][n], write)

    results = _in_threads(request, 4)
    assert results[0] == "stored first" and results[1] == "stored good-1" and results[3] == "stored good-2"
    assert isinstance(results[2], ValueError) and str(results[2]) == "the bad one"
    assert sorted(groups[1]) == ["bad", "good-1", "good-2"]  # the group, then each alone
    assert sorted(map(tuple, groups[2:])) == [("bad",), ("good-1",), ("good-2",)]


def test_a_quiet_shops_beacon_is_written_at_once_and_alone():
    committer: GroupCommit[str] = GroupCommit()
    groups: list[list[str]] = []
    assert committer.submit("only", lambda items: groups.append(list(items)) or ["done"]) == "done"
    assert groups == [["only"]] and committer.waiting == 0


def _beacon(client: Any, visitor: str, *, token: str | None = None) -> int:
    body: dict[str, Any] = {"visitor_id": visitor, "events": [{"name": "product_viewed", "product_id": "sku-1"}]}
    if token:
        body["customer_token"] = token
    answer = client.post(EVENTS, data=json.dumps(body), content_type="text/plain;charset=UTF-8",
                         headers={"User-Agent": BROWSER})
    return answer.status_code


def test_beacons_sent_at_once_are_stored_once_each_in_one_transaction_and_the_rollups_add_up(shop_factory):
    app, db, journey = shop_factory()
    with app.app_context():
        token = journey.customer_token("c-grouped", email="grouped@example.com")
        engine = db.engine
    commits: list[int] = []
    sa.event.listen(engine, "commit", lambda connection: commits.append(1))
    first_written = threading.Event()

    def hold_the_first_group(sender: Any, **extra: Any) -> None:
        """Sent after the first beacon's commit, while it still leads: the others queue meanwhile."""
        if not first_written.is_set():
            first_written.set()
            with app.app_context():
                _until(lambda: journey_events.committer().waiting == 6, "six beacons queued")

    visitors = ["grouped-visitor-00000001", "grouped-visitor-00000002", "grouped-visitor-00000003",
                "grouped-visitor-00000003",  # one visitor twice in a group
                "grouped-visitor-00000004", "grouped-visitor-00000005", "grouped-visitor-00000006"]

    def send(n: int) -> int:
        if n:
            first_written.wait(20)
        return _beacon(app.test_client(), visitors[n], token=token if n == 5 else None)

    with app.app_context():
        journey_events.committer()  # made before the threads race for it
    signals.stage_changed.connect(hold_the_first_group)
    try:
        statuses = _in_threads(send, len(visitors))
    finally:
        signals.stage_changed.disconnect(hold_the_first_group)
    assert statuses == [202] * len(visitors)
    assert len(commits) == 2  # the first beacon alone, the six queued behind it together
    with app.app_context():
        stored = sorted(db.session.scalars(sa.select(JourneyEvent.visitor_id).where(JourneyEvent.name == "product_viewed")))
    assert stored == sorted(visitors)
    assert check(app) == 0  # the people, weeks and rollups are what the event log says
