"""Recording the SQL statements a piece of JourneyKit sends, for tests that count or explain them."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, NamedTuple

import sqlalchemy as sa
from flask import Flask


class Statement(NamedTuple):
    sql: str
    parameters: Any
    #: Sent with ``executemany`` (one statement, many parameter sets).
    many: bool


@contextmanager
def recorded(app: Flask) -> Iterator[list[Statement]]:
    """The statements every engine of the app's ``db`` sent inside the block (a ``before_cursor_execute`` listener)."""
    statements: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool) -> None:
        statements.append(Statement(sql, parameters, many))

    with app.app_context():
        engines = list(app.extensions["sqlalchemy"].engines.values())
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", record)
