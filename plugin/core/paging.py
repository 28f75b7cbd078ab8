"""Keyset ("cursor") pagination that stays fast at any depth and any sort order.

A cursor is the sort key of the last row shown, signed with the app's secret
(itsdangerous): the next page starts strictly after it.  Only a cursor
JourneyKit made is read, so no crafted value (a timestamp out of range, an
integer wider than its column, JSON nested a thousand deep) reaches a query;
anything else is a 400.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator, Sequence

import sqlalchemy as sa
from flask import current_app, request
from itsdangerous import BadData, URLSafeSerializer

from . import config
from .db import session
from .errors import BadRequest
from .inputs import int_arg

#: One sort key: a column and whether it sorts descending.
Key = tuple[Any, bool]


def order_by(keys: Sequence[Key]) -> list[Any]:
    return [column.desc() if descending else column.asc() for column, descending in keys]


def after(keys: Sequence[Key], cursor: str) -> sa.ColumnElement[bool]:
    """Rows that come after the cursor's row in this order (an OR of equal prefixes)."""
    values = decode(cursor, len(keys))
    clauses = []
    for position, (column, descending) in enumerate(keys):
        equal = [_equals(keys[i][0], _typed(keys[i][0], values[i])) for i in range(position)]
        clauses.append(sa.and_(*equal, _beyond(column, _typed(column, values[position]), descending)))
    return sa.or_(*clauses)


def _beyond(column: Any, value: Any, descending: bool) -> sa.ColumnElement[bool]:
    if isinstance(value, bool):  # SQL has no "<" for booleans: only the other value can follow
        return column.is_(not value) if descending == value else sa.false()
    return column < value if descending else column > value


def _equals(column: Any, value: Any) -> sa.ColumnElement[bool]:
    return column.is_(value) if isinstance(value, bool) else column == value


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(config.secret_key(current_app._get_current_object()), salt="journeykit.cursor")  # type: ignore[attr-defined]


def encode(row: Any, keys: Sequence[Key]) -> str:
    values = [getattr(row, column.key) for column, _ in keys]
    return _signer().dumps([value.isoformat() if isinstance(value, dt.datetime) else value for value in values])


def decode(cursor: str, size: int) -> list[Any]:
    try:
        values = _signer().loads(cursor)
    except BadData:
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise BadRequest("The cursor is not valid; start again from the first page.", error_code="invalid_cursor")
    return values


def _typed(column: Any, value: Any) -> Any:
    """Check a cursor value against its column's type (datetimes travel as ISO text)."""
    python_type = column.type.python_type
    if python_type is dt.datetime and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    elif python_type is bool and isinstance(value, bool):
        return value
    elif python_type is int and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
        return value
    elif python_type is str and isinstance(value, str):
        return value
    raise BadRequest("The cursor is not valid; start again from the first page.", error_code="invalid_cursor")


def page(query: sa.Select, keys: Sequence[Key], *, limit: int, cursor: str | None, scalars: Any) -> tuple[list[Any], str | None]:
    """One page of ``query`` in ``keys`` order and the cursor of the next page (``None`` at the end)."""
    if cursor:
        query = query.where(after(keys, cursor))
    rows = list(scalars(query.order_by(*order_by(keys)).limit(limit + 1)))
    shown = rows[:limit]
    return shown, encode(shown[-1], keys) if len(rows) > limit else None


def newest_first(query: sa.Select, id_column: Any) -> tuple[list[Any], str | None]:
    """An admin listing page: newest first by id, ``?limit=`` (up to 200) and ``?cursor=``."""
    limit = int_arg("limit", default=50, low=1, high=200)
    return page(query, [(id_column, True)], limit=limit, cursor=request.args.get("cursor"), scalars=session().scalars)


def keyset_batches(query: sa.Select, id_column: Any, size: int = 500) -> Iterator[list[sa.Row]]:
    """Rows of ``query`` in batches by ascending id, so a million rows never sit in memory at once."""
    last = None
    while True:
        batch_query = query.order_by(id_column).limit(size)
        rows = session().execute(batch_query if last is None else batch_query.where(id_column > last)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id
