"""The funnel, cohorts, stages over time and time between stages, over 1,000,000 events and 100,000 people.

    .venv/bin/python bench/metrics.py                   # SQLite (a temp file)
    .venv/bin/python bench/metrics.py --postgres        # a throwaway PostgreSQL
    .venv/bin/python bench/metrics.py --events 100000 --people 10000 --repeat 5

With ``--load live`` every event goes in through JourneyKit's real write
paths, so the rollups are maintained as events arrive, exactly as in a shop
(over an hour for a million).  The default, ``--load bulk``, inserts the log
of all but ``--live-share`` of the people in bulk and builds the rollups with
``stages rebuild`` (the same calculation), then sends the rest through the
real paths, and ``--check`` proves the result equals a rebuild.  The real
paths: storefront events through
``record_events`` (one transaction per shopper's batch, as ``POST
/api/v1/events`` does), purchases as verified Stripe ``checkout.session.completed``
events through the webhook's event store (``store`` then ``apply``, which joins
the visitor to the customer), reviews as ``review_published`` the way
publishing a review logs it.  People arrive in random order, each spread
over a year, so that a tenth of the load already covers every day asked
about: the queries run there (a tenth of the events and people) and again at
the end.  Equal times in the two columns and rising times down the days
show that a question costs the days it asks about, not the events logged:
``--only time_between_stages`` times just that question (from its per-day
histograms of waits) over 1 to 365 days, at both sizes.

Each figure is the median of ``--repeat`` calls, plus the 95th percentile,
in-process (``journey.metrics.…``) and through the admin JSON API with
Flask's test client (routing, auth, query and JSON, without a network).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import datetime as dt
import json
import pathlib
import random
import statistics
import sys
import time
from typing import Any, Callable, Iterator

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.stripe_webhook import database  # noqa: E402
from journeykit.hooks.stripe import store as stripe_store  # noqa: E402
from journeykit.core import migrate  # noqa: E402
from journeykit import signals  # noqa: E402
from journeykit.journey.customers import ensure_customer  # noqa: E402
from journeykit.models import Customer, JourneyEvent, Visitor  # noqa: E402
from journeykit.journey.rebuild import rebuild  # noqa: E402
from journeykit.journey.stage_rules import current_rules  # noqa: E402
from journeykit.journey.stages import Stage  # noqa: E402
from journeykit.testing import StripeEvents  # noqa: E402
from journeykit.journey.tracking import record_event, record_events  # noqa: E402
from tests.conftest import ADMIN_KEY, make_shop  # noqa: E402

DAYS = (1, 7, 30, 90, 180, 365)
YEAR = dt.timedelta(days=365)
API = "/journeykit/api/v1/admin/metrics"
ENGAGING = ("product_viewed", "widget_interaction", "checkout_started")
BROWSING = ("page_viewed", "widget_viewed")
SIZES = ("journeykit_journey_events", "journeykit_people", "journeykit_stage_days", "journeykit_stage_waits")
BATCH = 20_000
WRITE_PATH = ("storefront events: record_events per shopper, one commit each; purchases: Stripe "
              "checkout.session.completed through the webhook's event store; reviews: review_published as on publish")


# -- the people and their events ------------------------------------------------

@dataclasses.dataclass
class Person:
    """One shopper's plan: ``steps`` in time order, each ``(kind, at, detail)``."""

    number: int
    steps: list[tuple[str, dt.datetime, Any]]

    @property
    def visitor_id(self) -> str:
        return f"bench-visitor-{self.number:08d}"

    @property
    def customer_id(self) -> str:
        return f"bench-customer-{self.number}"


def event_counts(events: int, people: int, rng: random.Random) -> list[int]:
    """How many log rows each person leaves: at least one, a long tail of busy people, ``events`` in all."""
    weights = [min(rng.paretovariate(1.3), 60.0) for _ in range(people)]
    spare, total = events - people, sum(weights)
    counts = [1 + int(weight / total * spare) for weight in weights]
    for index in rng.sample(range(people), events - sum(counts)):
        counts[index] += 1
    return counts


def plan(number: int, rows: int, end: dt.datetime, rng: random.Random) -> Person:
    """A person leaving exactly ``rows`` log rows; the busier they are, the further they go.

    A first purchase logs two rows (``customer_created`` and ``purchase``), a
    later one one row, a published review one row.
    """
    considers = rows >= 2 and rng.random() < min(0.9, 0.15 + 0.05 * rows)
    buys = considers and rows >= 4 and rng.random() < 0.22
    returns = buys and rows >= 6 and rng.random() < 0.3
    reviews = buys and rows >= 6 and rng.random() < 0.12
    kinds = ["page_viewed"] + ["browse"] * (rows - 1)
    special_rows = 2 * buys + returns + reviews
    kinds = kinds[: rows - special_rows]
    first = end - YEAR * rng.random()
    span = min(end - first, dt.timedelta(days=rng.expovariate(1 / 30))) - dt.timedelta(seconds=1)
    times = sorted(first + span * rng.random() for _ in range(rows - 1))
    times.insert(0, first)
    steps: list[tuple[str, dt.datetime, Any]] = []
    engaged = False
    for index, at in enumerate(times[: len(kinds)]):
        name = kinds[index]
        if name == "browse":
            engaged = engaged or (considers and rng.random() < 0.5)
            choices = ENGAGING if engaged and rng.random() < 0.4 else BROWSING
            name = rng.choice(choices)
        if considers and index == len(kinds) - 1 and not engaged:
            name = "product_viewed"
        steps.append(("track", at, name))
    later = times[len(kinds):]
    if buys:
        steps.append(("purchase", later[0], None))
        later = later[2:]
    if returns:
        steps.append(("purchase", later.pop(0), None))
    if reviews:
        steps.append(("review", later.pop(0), None))
    return Person(number, steps)


def people(events: int, count: int, end: dt.datetime, seed: int) -> Iterator[Person]:
    rng = random.Random(seed)
    for number, rows in enumerate(event_counts(events, count, rng)):
        yield plan(number, rows, end, rng)


# -- writing them through the real paths ---------------------------------------

def load(person: Person, stripe: StripeEvents) -> None:
    """Send one person's steps the way a shop's traffic would arrive, committing as the real paths do."""
    batch: list[dict[str, Any]] = []
    for kind, at, detail in person.steps:
        if kind == "track":
            batch.append({"name": detail, "at": at, "properties": _properties(detail)})
            continue
        _flush(person, batch)
        batch = []
        if kind == "purchase":
            stripe.clock = at.timestamp
            event = stripe.checkout_completed(customer_id=person.customer_id, visitor_id=person.visitor_id,
                                              email=None, products=["sku-1"])
            stripe_store.store(event, json.dumps(event).encode())
            stripe_store.apply(event["id"])
        else:
            customer = ensure_customer(person.customer_id)
            record_event("review_published", customer=customer, product_id="sku-1",
                         dedupe_key=f"review_published:{person.number}", at=at)
            signals.commit()
    _flush(person, batch)


def _properties(name: str) -> dict[str, Any]:
    return {"widget": "reviews"} if name == "widget_viewed" else {}


def _flush(person: Person, batch: list[dict[str, Any]]) -> None:
    if batch:
        record_events(batch, visitor_id=person.visitor_id, source="browser")
        signals.commit()


# -- or the log in bulk, then the rollups by ``stages rebuild`` ----------------

def bulk(db: Any, persons: list[Person]) -> None:
    """Insert the rows the real paths would log (customers, joined visitors, events), without the rollups.

    ``stages rebuild`` then derives people and rollups with the same fold the
    live path applies event by event (its tests show both give the same rows).
    Orders and stored Stripe events are not written: no metric reads them.
    ``customer_created`` is dated at the first purchase (the live path dates it
    now, which for traffic arriving as it happens is the same moment).
    """
    now = dt.datetime.now(dt.timezone.utc)
    with db.engine.begin() as connection:
        buyers = [person for person in persons if any(kind != "track" for kind, _, _ in person.steps)]
        ids = dict(zip(
            [person.number for person in buyers],
            connection.execute(
                sa.insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
                [{"shop_customer_id": person.customer_id, "stage": Stage.AWARENESS, "stage_changed_at": now,
                  "created_at": now, "updated_at": now} for person in buyers],
            ).scalars() if buyers else [],
        ))
        visitors, events = [], []
        for person in persons:
            customer, joined = ids.get(person.number), None
            for kind, at, detail in person.steps:
                if kind == "purchase" and joined is None:
                    joined = at
                    events.append(_event("customer_created", at, customer, None, "server", f"customer_created:{customer}"))
                if kind == "track":
                    events.append(_event(detail, at, customer if joined else None, person.visitor_id, "browser", None))
                elif kind == "purchase":
                    order = f"cs_bench_{person.number}_{int(at.timestamp())}"
                    events.append(_event("purchase", at, customer, person.visitor_id, "stripe", f"purchase:{order}",
                                         {"order": order, "amount": 2500, "currency": "usd"}))
                else:
                    events.append(_event("review_published", at, customer, None, "server",
                                         f"review_published:{person.number}", product_id="sku-1"))
            visitors.append({"id": person.visitor_id, "customer_id": customer, "first_seen_at": person.steps[0][1],
                             "last_seen_at": person.steps[-1][1], "joined_at": joined})
        connection.execute(sa.insert(Visitor), visitors)
        for start in range(0, len(events), BATCH):
            connection.execute(sa.insert(JourneyEvent), events[start:start + BATCH])


def _event(name: str, at: dt.datetime, customer: int | None, visitor: str | None, source: str, dedupe: str | None,
           properties: dict[str, Any] | None = None, product_id: str | None = None) -> dict[str, Any]:
    return {"name": name, "customer_id": customer, "visitor_id": visitor, "product_id": product_id,
            "properties": properties if properties is not None else _properties(name), "source": source,
            "dedupe_key": dedupe, "occurred_at": at}


# -- measuring ------------------------------------------------------------------

def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and 95th percentile of ``repeat`` calls, in milliseconds."""
    call()  # warm up (statement caches, first page reads)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def queries(app: Any, journey: Any, end: dt.date, only: str | None = None) -> Iterator[tuple[str, int, Callable[[], Any]]]:
    """``(label, days, call)`` for every question asked (those whose label has ``only``); each period ends with
    ``end``'s day."""
    client, headers = app.test_client(), {"Authorization": f"Bearer {ADMIN_KEY}"}

    def api(path: str, days: int) -> Callable[[], Any]:
        url = f"{API}/{path}?from={(end - dt.timedelta(days=days - 1)).isoformat()}&to={end.isoformat()}"

        def call() -> Any:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.status_code, response.json)
            return response.json
        return call

    def python(name: str, days: int) -> Callable[[], Any]:
        start, stop = end - dt.timedelta(days=days - 1), end + dt.timedelta(days=1)

        def call() -> Any:
            with app.app_context():
                return getattr(journey.metrics, name)(start, stop)
        return call

    asked = [(f"metrics.{name}", python, name) for name in ("funnel", "cohorts", "stages_over_time", "time_between_stages")]
    asked += [(f"GET …/metrics/{path}", api, path) for path in ("stages", "cohorts", "times")]
    for label, kind, name in asked:
        if only is None or only in label:
            for days in DAYS:
                yield label, days, kind(name, days)


def measure(app: Any, db: Any, journey: Any, end: dt.date, repeat: int,
            only: str | None = None) -> dict[tuple[str, int], tuple[float, float]]:
    gc.collect()
    gc.freeze()  # the bench's own millions of planned steps would otherwise make every full collection slow
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # what autovacuum does in a live shop
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE"))
    return {(label, days): timed(call, repeat) for label, days, call in queries(app, journey, end, only)}


def report(columns: list[tuple[str, dict[tuple[str, int], tuple[float, float]]]], limit: float) -> None:
    print()
    print(f"{'':32}{'':>5}" + "".join(f"  {title:>26}" for title, _ in columns))
    print(f"{'query':32}{'days':>5}" + "".join(f"  {'median':>12} {'p95':>13}" for _ in columns))
    for key in columns[0][1]:
        label, days = key
        cells = "".join(f"  {results[key][0]:9.1f} ms {results[key][1]:10.1f} ms" for _, results in columns)
        over = "  over limit" if columns[-1][1][key][1] > limit else ""
        print(f"{label:32}{days:>5}{cells}{over}")


def fill(app: Any, db: Any, persons: list[Person], args: argparse.Namespace, stripe: StripeEvents) -> str:
    """Write one phase's people; returns how, with the times taken."""
    live_from = 0 if args.load == "live" else len(persons) - round(len(persons) * args.live_share)
    said = []
    if live_from:
        started = time.perf_counter()
        with app.app_context():
            bulk(db, persons[:live_from])
        inserted = time.perf_counter() - started
        with app.app_context():
            rebuild(current_rules())
        said.append(f"{live_from:,} people's log bulk-inserted in {inserted:.0f} s, then `stages rebuild` "
                    f"in {time.perf_counter() - started - inserted:.0f} s")
    started, before = time.perf_counter(), _count(app, db, "journeykit_journey_events")
    for person in persons[live_from:]:
        with app.app_context():
            load(person, stripe)
    elapsed, events = time.perf_counter() - started, _count(app, db, "journeykit_journey_events") - before
    if events:
        said.append(f"{len(persons) - live_from:,} people ({events:,} events) through the real write path in "
                    f"{elapsed:.0f} s ({events / elapsed:,.0f} events/s), the rollups moving as each arrives")
    return "; ".join(said)


def _count(app: Any, db: Any, table: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="journey events in the log at the end")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20, help="calls per figure")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--load", choices=["bulk", "live"], default="bulk",
                        help="bulk: the log in bulk and `stages rebuild`, then --live-share of the people through the "
                             "real write path; live: everyone through the real write path (about 400 events/s)")
    parser.add_argument("--live-share", type=float, default=0.02, help="with --load bulk (default 0.02)")
    parser.add_argument("--check", action="store_true", help="end with `stages rebuild --check`")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--url")
    parser.add_argument("--only", help="ask only the questions whose label has this text (e.g. time_between_stages): "
                                       "each is timed over 1 to 365 days, so its cost against the days shows")
    args = parser.parse_args()
    if args.events < 2 * args.people:
        sys.exit("--events must be at least twice --people")
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    end_day = (today - dt.timedelta(days=1)).date()  # the last whole day with events
    with database(args) as url:
        backend = url.split(":", 1)[0]
        app, db, journey = make_shop(url)
        with app.app_context():
            db.create_all()
            migrate.upgrade()
        print(f"{backend}: real write path = {WRITE_PATH}")
        persons, stripe, columns = list(people(args.events, args.people, today, args.seed)), StripeEvents(), []
        for phase in (persons[: len(persons) // 10], persons[len(persons) // 10:]):
            print(f"{backend}: {fill(app, db, phase, args, stripe)}", flush=True)
            events, people_count, stage_days, stage_waits = (_count(app, db, table) for table in SIZES)
            print(f"{backend}: {events:,} events, {people_count:,} people, {stage_days:,} stage-day and "
                  f"{stage_waits:,} stage-wait rollup rows; measuring…", flush=True)
            measured = measure(app, db, journey, end_day, args.repeat, args.only)
            columns.append((f"{events:,} ev / {people_count:,} people", measured))
        if args.check:
            started = time.perf_counter()
            with app.app_context():
                found = rebuild(current_rules(), check=True)
            print(f"{backend}: `stages rebuild --check` over {found.people:,} people in "
                  f"{time.perf_counter() - started:.0f} s: {found.differences} difference(s)")
        report(columns, limit=200.0)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
