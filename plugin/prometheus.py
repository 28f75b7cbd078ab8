"""``GET {prefix}/metrics``: the journey in Prometheus's text format, admin-guarded.

Every figure is read from the database at scrape time, not counted in
process memory: a shop running several gunicorn workers gets one true answer
from whichever worker Prometheus reaches, with no multiprocess set-up.
Other parts of JourneyKit add their figures with :func:`source`.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, NamedTuple

import sqlalchemy as sa
from flask import Blueprint, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .admin_access import admin_required
from .db import session, utcnow
from .models import (
    Customer,
    DeliveryStatus,
    Order,
    OrderStatus,
    Person,
    Review,
    StripeEvent,
    Testimonial,
    WebhookDelivery,
    WebhookEndpoint,
)


class Family(NamedTuple):
    """One metric: its name (without ``journeykit_``), type, help, label names and a sample reader."""

    name: str
    kind: str  # "gauge" or "counter"
    documentation: str
    labels: tuple[str, ...]
    samples: Callable[[], Iterable[tuple[tuple[str, ...], float]]]


_families: list[Family] = []


def source(name: str, kind: str, documentation: str, labels: tuple[str, ...] = ()) -> Callable:
    """Register a function returning ``[(label values, value), …]`` as the metric ``journeykit_<name>``."""

    def register(samples: Callable[[], Iterable[tuple[tuple[str, ...], float]]]) -> Callable:
        _families.append(Family(name, kind, documentation, labels, samples))
        return samples

    return register


def _grouped(*columns: sa.ColumnElement, where: sa.ColumnElement | None = None, value: sa.ColumnElement | None = None):
    """``[(label values, value)]`` from one GROUP BY query (value: a count unless given)."""
    query = sa.select(*columns, value if value is not None else sa.func.count()).group_by(*columns)
    if where is not None:
        query = query.where(where)
    return [(tuple(str(getattr(v, "value", v)) for v in row[:-1]), row[-1] or 0) for row in session().execute(query)]


@source("customers", "gauge", "Customers known to JourneyKit, by their current journey stage.", ("stage",))
def _customers_by_stage():
    return _grouped(Customer.stage)


@source("orders", "gauge", "Orders (Stripe Checkout Sessions) by payment status.", ("status",))
def _orders_by_status():
    return _grouped(Order.status)


@source("revenue_minor_units", "counter", "Money paid, in the currency's minor unit (cents; yen).", ("currency",))
def _revenue():
    return _grouped(Order.currency, where=Order.status == OrderStatus.PAID, value=sa.func.sum(Order.amount_total))


@source("refunded_minor_units", "counter", "Money refunded, in the currency's minor unit.", ("currency",))
def _refunded():
    return _grouped(Order.currency, where=Order.amount_refunded > 0, value=sa.func.sum(Order.amount_refunded))


@source("reviews", "gauge", "Reviews by moderation status.", ("status",))
def _reviews_by_status():
    return _grouped(Review.status)


@source("testimonials", "gauge", "Testimonials by curation status.", ("status",))
def _testimonials_by_status():
    return _grouped(Testimonial.status)


@source("stripe_events", "gauge", "Stripe webhook events stored, by processing status (failed ones need a replay).", ("status",))
def _stripe_events_by_status():
    return _grouped(StripeEvent.status)


@source("people", "gauge", "People (customers and anonymous visitors) by their current journey stage.", ("stage",))
def _people_by_stage():
    return _grouped(Person.stage)


@source("webhook_deliveries", "gauge", "Outbound webhook deliveries (outbox rows) by status.", ("status",))
def _webhook_deliveries_by_status():
    return _grouped(WebhookDelivery.status)


@source("webhook_oldest_pending_age_seconds", "gauge", "Age of the oldest delivery still pending to an "
        "active endpoint (0: none); alert when it grows: the worker is not running, or a receiver is down.")
def _oldest_pending_age():
    oldest = session().scalar(
        sa.select(sa.func.min(WebhookDelivery.created_at))
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookEndpoint.active.is_(True))
    )
    return [((), max((utcnow() - oldest).total_seconds(), 0.0) if oldest else 0.0)]


def _metric(family: Family) -> Metric:
    make = GaugeMetricFamily if family.kind == "gauge" else CounterMetricFamily
    metric = make(f"journeykit_{family.name}", family.documentation, labels=family.labels)
    for labels, value in family.samples():
        metric.add_metric(list(labels), value)
    return metric


class _DatabaseCollector:
    """A prometheus_client collector reading every registered family from the database."""

    def collect(self) -> Iterator[Metric]:
        return (_metric(family) for family in _families)


@admin_required
def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector())  # type: ignore[arg-type]
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def create_blueprint() -> Blueprint:
    bp = Blueprint("prometheus", __name__)
    bp.add_url_rule("/metrics", view_func=metrics, endpoint="metrics")
    return bp
