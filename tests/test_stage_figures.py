"""Every stage figure computed two ways on one history, and the numbers of issue 16 that misled.

One way is this file's: each person's stages straight from the event log by
INTERFACE.md's rules ("the first moment the rule holds", evaluated event by
event), and each figure counted from those people.  The other is
JourneyKit's: the people table kept as events arrive, the rollups, the SQL
quantiles, then the same figures through the Python API, the JSON admin
API, Prometheus, the dashboard and after ``flask journeykit stages rebuild``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import statistics
from collections import Counter, defaultdict
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from journeykit.core.db import session
from journeykit.journey.waits import RELATIVE_ERROR
from journeykit.metrics import dashboard
from journeykit.models import Customer, JourneyEvent, Person
from journeykit.testing import StripeEvents, deliver

from .conftest import ADMIN_KEY
from .people_helpers import T0, check, day, log

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
API = "/journeykit/api/v1/admin/metrics"
CONFIG = {"JOURNEYKIT_HOLDOUT_SHARE": 0.5, "JOURNEYKIT_HOLDOUT_WIDGETS": "reviews"}
D = [T0.date() + dt.timedelta(days=n) for n in range(60)]

# -- INTERFACE.md's "Journey stages", written out independently of journeykit.journey.stage_rules ---------------
STAGES = ["awareness", "consideration", "purchase", "retention", "advocacy"]
ENGAGES = {"product_viewed", "widget_interaction", "referral_clicked", "checkout_started", "checkout_expired"}
ADVOCATES = {"review_published", "testimonial_published", "referral_converted"}
#: The stages whose reach implies each one (itself included), and the stage each one converts from.
IMPLIED_BY = {"awareness": STAGES, "consideration": STAGES[1:], "purchase": STAGES[2:],
              "retention": ["retention"], "advocacy": ["advocacy"]}
FROM = {"consideration": "awareness", "purchase": "consideration", "retention": "purchase", "advocacy": "purchase"}


def _holds(stage: str, events: list[tuple[str, str]]) -> bool:
    """Whether ``stage``'s rule holds for a person whose events so far are ``events`` (name, source)."""
    trusted = [name for name, source in events if source != "browser"]
    paid = trusted.count("purchase")
    advocated = any(name in ADVOCATES for name in trusted)
    return {
        "awareness": bool(events),
        "consideration": paid >= 1 or advocated or any(name in ENGAGES for name, _ in events),
        "purchase": paid >= 1,
        "retention": paid >= 2,
        "advocacy": paid >= 1 and advocated,
    }[stage]


def _person(events: list[dict[str, Any]]) -> dict[str, Any]:
    """A person's reach of each stage (the first moment its rule holds), stage, widget and weeks, from their events."""
    moments = sorted({event["at"] for event in events})
    so_far = {moment: [(e["name"], e["source"]) for e in events if e["at"] <= moment] for moment in moments}
    reach = {stage: next((moment for moment in moments if _holds(stage, so_far[moment])), None) for stage in STAGES}
    stage = [name for name in STAGES if reach[name] is not None][-1]
    widgets = [event["properties"].get("widget") for event in events if event["name"] == "widget_viewed"]
    return {
        "reach": reach, "stage": stage, "customer": events[0]["customer"],
        "paid_orders": sum(1 for event in events if event["name"] == "purchase" and event["source"] != "browser"),
        "first_widget": next((widget for widget in widgets if widget), None),
        "weeks": {_week(event["at"].date()) for event in events},
        "exposures": [event for event in events if event["name"] in ("widget_viewed", "widget_held_out")],
    }


def _week(day_: dt.date) -> dt.date:
    return day_ - dt.timedelta(days=day_.weekday())


def _people(app) -> dict[Any, dict[str, Any]]:
    """Everyone in the log, by customer row id or visitor id (this history joins no visitor to a customer)."""
    with app.app_context():
        rows = session().execute(sa.select(JourneyEvent).order_by(JourneyEvent.id)).scalars().all()
        events: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            key = row.customer_id if row.customer_id is not None else row.visitor_id
            events[key].append({"id": row.id, "name": row.name, "source": row.source, "at": row.occurred_at,
                                "properties": row.properties or {}, "customer": row.customer_id})
    return {key: _person(history) for key, history in events.items()}


def _in(moment: dt.datetime | None, period: tuple[dt.date | None, dt.date | None]) -> bool:
    first, after = period
    return moment is not None and (first is None or moment.date() >= first) and (after is None or moment.date() < after)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _funnel(people, period) -> dict[str, dict[str, Any]]:
    counts = {stage: sum(any(_in(p["reach"][later], period) for later in IMPLIED_BY[stage]) for p in people.values())
              for stage in STAGES}
    return {stage: {"count": counts[stage], "conversion": _share(counts[stage], counts[FROM[stage]]) if stage in FROM else None,
                    "from": FROM.get(stage), "entered": sum(_in(p["reach"][stage], period) for p in people.values())}
            for stage in STAGES}


def _quantile(waits: list[float], share: float) -> float | None:
    if not waits:
        return None
    if len(waits) == 1:
        return waits[0]
    return statistics.quantiles(waits, n=100, method="inclusive")[round(share * 100) - 1]


def _times(people, period) -> dict[str, dict[str, Any]]:
    result = {}
    for stage, since in FROM.items():
        waits = [(p["reach"][stage] - p["reach"][since]).total_seconds() for p in people.values() if _in(p["reach"][stage], period)]
        result[stage] = {"from": since, "people": len(waits), "median_seconds": _quantile(waits, 0.5),
                         "p90_seconds": _quantile(waits, 0.9)}
    return result


def _daily(people, period) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter] = {stage: Counter() for stage in STAGES}
    for p in people.values():
        for stage in STAGES:
            if _in(p["reach"][stage], period):
                counts[stage][p["reach"][stage].date().isoformat()] += 1
    return {stage: dict(counter) for stage, counter in counts.items()}


def _cohorts(people) -> dict[str, dict[str, Any]]:
    cohorts: dict[str, dict[str, Any]] = {}
    for p in people.values():
        week = _week(p["reach"]["awareness"].date()).isoformat()
        cohort = cohorts.setdefault(week, {"size": 0, "reached": Counter(), "active": Counter()})
        cohort["size"] += 1
        cohort["reached"].update(stage for stage in STAGES[1:] if p["reach"][stage] is not None)
        cohort["active"].update(w.isoformat() for w in p["weeks"])
    return {week: {"size": c["size"], "reached": {stage: c["reached"][stage] for stage in STAGES[1:]},
                   "active": dict(c["active"])} for week, c in cohorts.items()}


def _breakdown(people, period) -> list[dict[str, Any]]:
    first, after = period
    groups: dict[Any, dict[str, Any]] = {}
    for p in people.values():
        if not _in(p["reach"]["awareness"], period):
            continue
        group = groups.setdefault(p["first_widget"], {"value": p["first_widget"], "people": 0,
                                                      "reached": dict.fromkeys(STAGES[1:], 0)})
        group["people"] += 1
        for stage in STAGES[1:]:
            group["reached"][stage] += _in(p["reach"][stage], (None, after))
    for group in groups.values():
        group["conversion"] = _share(group["reached"]["purchase"], group["people"])
    return sorted(groups.values(), key=lambda g: (-g["people"], g["value"] is None, g["value"] or ""))


def _lift(people, period) -> dict[str, tuple[int, int, int, int]]:
    """Per widget: shown, shown who bought in the period, held out, held out who bought (buyers from before left out)."""
    first, after = period
    groups: dict[str, Counter] = defaultdict(Counter)
    for p in people.values():
        bought = p["reach"]["purchase"]
        if first is not None and bought is not None and bought.date() < first:
            continue
        met: dict[str, str] = {}
        for event in sorted(p["exposures"], key=lambda e: (e["at"], e["id"])):
            widget = event["properties"].get("widget")
            if widget and _in(event["at"], period):
                met.setdefault(widget, event["name"])
        for widget, name in met.items():
            groups[widget][name] += 1
            groups[widget][name + ":bought"] += _in(bought, (None, after))
    return {widget: (c["widget_viewed"], c["widget_viewed:bought"], c["widget_held_out"], c["widget_held_out:bought"])
                    for widget, c in groups.items() if widget == "reviews" or c["widget_held_out"]}  # the hold-out's widgets


# -- the history ------------------------------------------------------------------------------------------------

NAMES = ["page_viewed", "widget_viewed", "widget_held_out", "product_viewed", "checkout_started", "my_own_event",
         "purchase", "review_published", "testimonial_published", "referral_converted"]
WEIGHTS = [5, 4, 2, 3, 1, 1, 4, 2, 1, 1]


def _history(app, seed: int = 16) -> None:
    """Visitors and customers (never joined), their events dated over six weeks and logged out of order, and the
    cases of issue 16 by hand: a non-buyer's review, one-time buyers who review, a review before the first order."""
    rng = random.Random(seed)
    who = [{"visitor": f"figures-visitor-{n:03d}-0123456789"} for n in range(36)] + [{"customer": f"fig-{n}"} for n in range(8)]
    story = [
        ({"customer": "reader"}, "review_published", "server", 3),
        ({"customer": "once"}, "purchase", "stripe", 5), ({"customer": "once"}, "review_published", "server", 9),
        ({"customer": "early"}, "testimonial_published", "server", 2), ({"customer": "early"}, "purchase", "stripe", 12),
        ({"customer": "early"}, "purchase", "stripe", 20),
        ({"visitor": "figures-visitor-000-0123456789"}, "review_published", "server", 8),
        # bought before the second week, an advocate in it, retained after it: a buyer of that week
        ({"customer": "later"}, "purchase", "stripe", 5), ({"customer": "later"}, "review_published", "server", 10),
        ({"customer": "later"}, "purchase", "stripe", 30),
    ]
    for _ in range(260):
        name = rng.choices(NAMES, WEIGHTS)[0]
        source = rng.choice(["stripe", "browser"]) if name == "purchase" else rng.choice(["server", "browser"])
        story.append((rng.choice(who), name, source, rng.uniform(0, 42)))
    rng.shuffle(story)  # the order of arrival changes nothing
    for person, name, source, when in story:
        properties = {"widget": rng.choice(["reviews", "loyalty"])} if name.startswith("widget_") else {}
        log(app, name, at=day(when), source=source, **person, **properties)


PERIODS = [(None, None), (D[0], D[7]), (D[7], D[21]), (D[9], D[10]), (D[20], None), (None, D[15]), (D[3], D[40]),
           (D[9], D[12]), (D[14], D[28]), (D[25], D[33])]
PERIODS += [(D[start], D[start + length]) for start, length in
            ((random.Random(n).randrange(40), random.Random(-n).randrange(1, 15)) for n in range(8))]


def _figures(app, journey, period) -> dict[str, Any]:
    """What JourneyKit answers in Python for one period."""
    with app.app_context():
        metrics = journey.metrics
        return {
            "funnel": metrics.funnel(*period), "times": metrics.time_between_stages(*period),
            "series": metrics.stages_over_time(*period) if None not in period else None,
            "cohorts": metrics.cohorts(*period), "breakdown": metrics.breakdown("first_widget", *period),
            "lift": metrics.widget_lift(*period),
        }


def _json(client, period) -> dict[str, Any]:
    """The same figures from the JSON admin API (``to`` is the last day included)."""
    first, after = period
    query = {**({"from": first.isoformat()} if first else {}), **({"to": (after - dt.timedelta(days=1)).isoformat()} if after else {})}

    def get(path: str, **extra: str) -> dict[str, Any]:
        response = client.get(f"{API}/{path}", query_string={**query, **extra}, headers=ADMIN)
        assert response.status_code == 200, response.json
        return response.json

    stages = get("stages")
    return {
        "funnel": stages["funnel"], "times": get("times")["stages"],
        "series": stages["series"] if None not in period else None, "cohorts": get("cohorts")["cohorts"],
        "breakdown": get("breakdown", by="first_widget")["groups"], "lift": get("lift")["widgets"],
    }


def _scrape(client) -> dict[str, dict[str, float]]:
    text = client.get("/journeykit/metrics", headers=ADMIN).get_data(as_text=True)
    return {family.name: {sample.labels.get("stage", ""): sample.value for sample in family.samples}
            for family in text_string_to_metric_families(text) if family.name in ("journeykit_people", "journeykit_customers")}


@pytest.fixture
def history(shop_factory):
    app, _, journey = shop_factory(CONFIG)
    _history(app)
    return app, journey


def test_each_persons_stages_are_the_rules_applied_to_their_events(history):
    app, _ = history
    people = _people(app)
    assert {p["stage"] for p in people.values()} == set(STAGES)  # the history reaches every stage
    with app.app_context():
        stored = {row.customer_id if row.customer_id is not None else row.visitor_id: row
                  for row in session().scalars(sa.select(Person))}
        customers = dict(session().execute(sa.select(Customer.shop_customer_id, Customer.id)).all())
    assert set(stored) == set(people)
    for key, p in people.items():
        row = stored[key]
        assert ({stage: getattr(row, f"reached_{stage}_at") for stage in STAGES}, row.stage.value, row.paid_orders,
                row.first_widget) == (p["reach"], p["stage"], p["paid_orders"], p["first_widget"]), key
    by_name = {name: people[row_id] for name, row_id in customers.items()}
    assert by_name["reader"]["stage"] == "consideration"  # a non-buyer's review
    assert by_name["once"]["stage"] == "advocacy" and by_name["once"]["reach"]["retention"] is None
    assert by_name["early"]["reach"]["advocacy"] == by_name["early"]["reach"]["purchase"] == day(12)
    assert check(app) == 0


def test_every_figure_is_the_rules_counted_and_every_form_agrees(history):
    app, journey = history
    people = _people(app)
    for period in PERIODS:
        _agree(app, journey, people, period)


def _agree(app, journey, people, period) -> None:
    python = _figures(app, journey, period)
    assert python["funnel"] == _funnel(people, period)
    for stage, row in _times(people, period).items():
        shown = python["times"][stage]
        assert (shown["from"], shown["people"]) == (row["from"], row["people"]), stage
        for key in ("median_seconds", "p90_seconds"):  # within the stated relative error, then a tenth of a second
            exact = row[key]
            assert (shown[key] is None) == (exact is None), (stage, key)
            if exact is not None:
                assert abs(shown[key] - exact) <= RELATIVE_ERROR * exact + 0.051, (stage, key, shown[key], exact)
    if python["series"] is not None:
        daily = _daily(people, period)
        for row in python["series"]:
            assert {stage: row[stage] for stage in STAGES} == {stage: daily[stage].get(row["period"], 0) for stage in STAGES}
    reference = _cohorts(people)
    first, after = period
    assert [cohort["week"] for cohort in python["cohorts"]] == sorted(
        week for week in reference if (first is None or week >= _week(first).isoformat()) and (after is None or week < after.isoformat()))
    for cohort in python["cohorts"]:
        assert (cohort["size"], cohort["reached"]) == (reference[cohort["week"]]["size"], reference[cohort["week"]]["reached"])
        assert {w["week"]: w["people"] for w in cohort["active"] if w["people"]} == {
            week: n for week, n in reference[cohort["week"]]["active"].items() if after is None or week < after.isoformat()}
    assert python["breakdown"] == _breakdown(people, period)[:50]
    assert {row["widget"]: (row["shown"], row["shown_converted"], row["held_out"], row["held_out_converted"])
            for row in python["lift"] if row["shown"] or row["held_out"]} == _lift(people, period)
    assert _json(app.test_client(), period) == python


def test_prometheus_the_dashboard_and_a_rebuild_agree_with_the_python_api(history):
    app, journey = history
    people = _people(app)
    scraped = _scrape(app.test_client())
    assert scraped["journeykit_people"] == {stage: float(n) for stage, n in Counter(p["stage"] for p in people.values()).items()}
    assert scraped["journeykit_customers"] == {
        stage: float(n) for stage, n in Counter(p["stage"] for p in people.values() if p["customer"] is not None).items()}
    with app.test_request_context():
        shown = dashboard.gather(30, today=D[29])
    period = (D[0], D[30])
    python = _figures(app, journey, period)
    assert shown["funnel"]["stages"] == python["funnel"]
    assert [(row["stage"], row["from"], row["people"]) for row in shown["times"]] == [
        (stage, row["from"], row["people"]) for stage, row in python["times"].items()]
    assert [(c["week"], c["size"], c["reached"]) for c in shown["cohorts"]] == [
        (c["week"], c["size"], c["reached"]) for c in python["cohorts"]]
    assert shown["first_widgets"] == python["breakdown"][:dashboard.TOP]
    assert [row["widget"] for row in shown["lift"]["widgets"]] == [row["widget"] for row in python["lift"]]
    before = {period: _figures(app, journey, period) for period in PERIODS}
    result = app.test_cli_runner().invoke(args=["journeykit", "stages", "rebuild"])
    assert result.exit_code == 0, result.output
    assert {period: _figures(app, journey, period) for period in PERIODS} == before
    assert _scrape(app.test_client()) == scraped


# -- issue 16's shop: one purchase, and a non-buyer's review --------------------------------------------------------

def _kpi(html: str, name: str) -> str:
    match = re.search(rf'data-kpi="{name}">.*?<b>([^<]*)</b>.*?<small>(.*?)</small></div>', html, re.S)
    assert match, name
    return f"{match.group(1)} · {re.sub(r'<[^>]+>', '', match.group(2)).strip()}"


def _stage_row(html: str, stage: str) -> list[str]:
    row = re.search(rf'<tr data-stage="{stage}">(.*?)</tr>', html, re.S)
    assert row, stage
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(1))


def test_one_purchase_and_a_non_buyers_review_is_one_buyer_and_no_retention(app, journey, client):
    """The shop of the issue: the dashboard said "Buyers 2 · 1 paid orders" and "Retention 2 · 100 %"."""
    secret = app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]
    assert deliver(client, StripeEvents().checkout_completed(customer_id="buyer", amount_total=2500), secret=secret).status_code == 200
    with app.test_request_context():
        reader = {"X-JourneyKit-Customer": journey.customer_token("reader")}
        buyer = {"X-JourneyKit-Customer": journey.customer_token("buyer")}
    review = {"rating": 4, "title": "Looks good", "body": "Saw it at a friend's: soft and warm."}
    created = client.post("/journeykit/api/v1/products/sku-1/reviews", json=review, headers=reader)
    assert created.status_code == 201 and created.json["status"] == "pending"  # not a verified buyer
    assert client.post(f"/journeykit/api/v1/admin/reviews/{created.json['id']}/publish", headers=ADMIN).status_code == 200
    html = client.get("/journeykit/admin/", headers=ADMIN).get_data(as_text=True)
    assert _kpi(html, "buyers") == "1 · 50% of people seen" and _kpi(html, "revenue").endswith("1 paid orders")
    assert _kpi(html, "advocates").startswith("0 ·")
    assert _stage_row(html, "retention")[0] == "0" and _stage_row(html, "advocacy")[0] == "0"
    with app.app_context():
        assert journey.metrics.customer_stage("reader").value == "consideration"
    # the buyer reviews too (a verified buyer's review is published at once): an advocate, still not retained
    assert client.post("/journeykit/api/v1/products/sku-1/reviews", json=review, headers=buyer).json["status"] == "published"
    with app.app_context():
        funnel = journey.metrics.funnel()
        assert journey.metrics.customer_stage("buyer").value == "advocacy"
    assert [(funnel[stage]["count"], funnel[stage]["conversion"]) for stage in ("purchase", "retention", "advocacy")] == [
        (1, 0.5), (0, 0.0), (1, 1.0)]
