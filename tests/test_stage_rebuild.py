"""``flask journeykit stages rebuild``: the event log reproduces the live state exactly."""

from __future__ import annotations

import datetime as dt
import random
import threading

import sqlalchemy as sa

from journeykit import Stage, signals
from journeykit.journey.customers import ensure_customer
from journeykit.core.db import session
from journeykit.models import Customer, Person, PersonWeek, StageDay, Visitor
from journeykit.journey.rollups import snapshot
from journeykit.journey.rebuild import FIELDS
from journeykit.journey.tracking import ensure_visitor, record_event

from .people_helpers import check, day, join, log, stage_signals

THREADS = 4

NAMES = ["page_viewed", "widget_viewed", "product_viewed", "checkout_started", "my_own_event", "review_published",
         "referral_converted", "testimonial_published"]
WEIGHTS = [6, 4, 4, 2, 2, 1, 1, 1]


def _state(app) -> dict:
    """Every derived row, by natural keys (person ids are the rebuild's to choose)."""
    with app.app_context():
        keys = {person_id: (customer_id, visitor_id) for person_id, customer_id, visitor_id
                in session().execute(sa.select(Person.id, Person.customer_id, Person.visitor_id))}
        people = {(row.customer_id, row.visitor_id): tuple(getattr(row, name) for name in FIELDS)
                  for row in session().scalars(sa.select(Person))}
        weeks = sorted(((keys[person_id], week) for person_id, week in session().execute(sa.select(PersonWeek.person_id, PersonWeek.week))), key=repr)
        customers = sorted(session().execute(sa.select(Customer.id, Customer.stage, Customer.stage_changed_at)).all())
        rollups = {table.name: rows for table, rows in snapshot().items()}
    return {"people": people, "weeks": weeks, "customers": customers, "rollups": rollups}


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["journeykit", "stages", "rebuild", *args])


def _random_history(app, seed: int) -> list[dict]:
    """Interleaved anonymous events, customers' events, joins and purchases, dated out of order; the stage signals sent."""
    rng = random.Random(seed)
    visitors = [f"visitor-{seed}-{n:02d}-0123456789" for n in range(24)]
    customers = [f"c-{n}" for n in range(6)]
    with stage_signals() as received, app.app_context():
        for _ in range(80):  # transactions
            for _ in range(rng.randint(1, 4)):  # events in one transaction, as a batch or a webhook
                when = day(rng.uniform(0, 40))
                visitor = rng.choice(visitors + [None] * 3)
                customer = ensure_customer(rng.choice(customers)) if rng.random() < 0.1 or visitor is None else None
                roll = rng.random()
                if roll < 0.06:
                    ensure_visitor(rng.choice(visitors), ensure_customer(rng.choice(customers)))  # a join
                    continue
                if roll < 0.2:
                    name, source = "purchase", rng.choice(["stripe", "browser"])
                else:
                    name, source = rng.choices(NAMES, WEIGHTS)[0], rng.choice(["server", "browser"])
                properties = {"widget": rng.choice(["reviews", "loyalty"])} if name == "widget_viewed" else {}
                if rng.random() < 0.1:
                    properties["referral_code"] = rng.choice(["FRIEND1", "FRIEND2"])
                record_event(name, customer=customer, visitor_id=visitor, at=when, source=source, properties=properties)
            signals.commit()
        assert all(signal["new"] > signal["old"] for signal in received)
    return received


def _final_stages(app) -> dict[tuple[str, str], Stage]:
    """Each customer's (by shop id) and visitor's stage now: a joined visitor's is its customer's."""
    with app.app_context():
        customers = {row_id: (shop_id, stage) for row_id, shop_id, stage in
                     session().execute(sa.select(Customer.id, Customer.shop_customer_id, Customer.stage))}
        stages = {("customer", shop_id): stage for shop_id, stage in customers.values()}
        for visitor_id, customer_id in session().execute(sa.select(Visitor.id, Visitor.customer_id)):
            if customer_id is not None:
                stages[("visitor", visitor_id)] = customers[customer_id][1]
        for visitor_id, stage in session().execute(sa.select(Person.visitor_id, Person.stage).where(Person.visitor_id.is_not(None))):
            stages[("visitor", visitor_id)] = stage
    return stages


def test_a_random_history_rebuilds_to_exactly_the_live_state(shop_factory):
    for seed in (1, 2, 3, 4):
        app, _, _ = shop_factory()
        received = _random_history(app, seed)
        live = _state(app)
        assert live["people"] and live["rollups"]["journeykit_cohort_activity"] and len(received) > 5
        final = _final_stages(app)
        for signal in received:  # a signal is a real rise, never past where the person ends up
            who = ("customer", signal["customer_id"]) if signal["customer_id"] is not None else ("visitor", signal["visitor_id"])
            assert signal["new"] <= final[who], (signal, final[who])
        assert check(app) == 0
        result = _run(app)
        assert result.exit_code == 0 and "Rebuilt" in result.output
        assert _state(app) == live


def test_check_reports_drift_and_a_rebuild_repairs_it(app):
    log(app, "product_viewed", visitor="visitor-0123456789abcdef", at=day(0))
    log(app, "purchase", customer="c-1", at=day(2), source="stripe")
    result = _run(app, "--check")
    assert result.exit_code == 0 and "match the event log" in result.output, result.output
    before = _state(app)
    with app.app_context():
        session().execute(sa.update(Person).where(Person.customer_id.is_not(None)).values(stage="advocacy"))
        session().execute(sa.delete(StageDay).where(StageDay.stage == "purchase"))
        session().execute(sa.update(Customer).values(stage="retention"))
        session().commit()
    result = _run(app, "--check")
    assert result.exit_code == 1
    assert "stage is <Stage.ADVOCACY" in result.output and "journeykit_stage_days: 1 row(s) different" in result.output
    assert _state(app)["rollups"] != before["rollups"]  # --check wrote nothing
    assert _run(app).exit_code == 0
    assert _state(app) == before
    assert _run(app, "--check").exit_code == 0


def test_a_rebuild_follows_changed_rules(shop_factory):
    app, _, _ = shop_factory()
    log(app, "quiz_done", visitor="visitor-0123456789abcdef", at=day(0))
    app.config["JOURNEYKIT_STAGE_EVENTS"] = {"consideration": ["quiz_done"]}
    assert _run(app, "--check").exit_code == 1
    assert _run(app).exit_code == 0
    assert _state(app)["people"][(None, "visitor-0123456789abcdef")][0] == "consideration"


def test_an_empty_log_rebuilds_to_nothing(app):
    assert _run(app).exit_code == 0
    assert _state(app) == {"people": {}, "weeks": [], "customers": [],
                           "rollups": {"journeykit_stage_days": {}, "journeykit_cohort_stages": {}, "journeykit_cohort_activity": {},
                                       "journeykit_stage_waits": {}}}
    assert dt.date(2026, 3, 2).weekday() == 0


def test_concurrent_events_of_one_person_add_up_exactly(app):
    """Threads logging (and joining) the same new visitor and customer at once: the lock keeps the rollups exact."""
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            for step in range(4):
                log(app, ["page_viewed", "product_viewed", "purchase", "my_own_event"][step], source="stripe",
                    visitor="visitor-shared-0123456789", at=day(n * 3 + step))
            if n == 0:
                join(app, "visitor-shared-0123456789", "c-1")
            else:
                log(app, "page_viewed", customer="c-1", at=day(n))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert check(app) == 0
