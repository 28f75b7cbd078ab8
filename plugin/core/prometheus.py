"""``GET {prefix}/metrics``: the journey in Prometheus's text format, admin-guarded.

Every figure is read from the database at scrape time, not counted in
process memory: a shop running several gunicorn workers gets one true answer
from whichever worker Prometheus reaches, with no multiprocess set-up.
Each capability registers the families of its own tables with :func:`source`
(and :func:`grouped` reads most of them in one query), so this module knows
no capability.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, NamedTuple

import sqlalchemy as sa
from flask import Blueprint, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .admin_access import admin_required
from .db import session


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


def grouped(*columns: sa.ColumnElement, where: sa.ColumnElement | None = None, value: sa.ColumnElement | None = None):
    """``[(label values, value)]`` from one GROUP BY query (value: a count unless given)."""
    query = sa.select(*columns, value if value is not None else sa.func.count()).group_by(*columns)
    if where is not None:
        query = query.where(where)
    return [(tuple(str(getattr(v, "value", v)) for v in row[:-1]), row[-1] or 0) for row in session().execute(query)]


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
