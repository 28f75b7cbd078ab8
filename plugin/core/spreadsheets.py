"""CSV cells a spreadsheet opens safely: text it would run as a formula (CSV injection) is kept as text.

OWASP's advice: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return gets a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Iterable, Iterator

#: What makes a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    """``value``, behind an apostrophe if a spreadsheet would run it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def restore_formula(value: str) -> str:
    """Undo :func:`neutralise_formula` (reading back a file JourneyKit wrote)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def cell(value: Any) -> Any:
    """A CSV cell: numbers as they are, times in UTC ISO 8601, text a spreadsheet would run behind a ``'``."""
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    return neutralise_formula(str(getattr(value, "value", value)))


def csv_chunks(header: list[str], batches: Iterable[list[list[Any]]]) -> Iterator[str]:
    """CSV text in chunks, header first, one chunk per batch of rows (each cell through :func:`cell`): for streaming."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for rows in batches:
        writer.writerows([cell(value) for value in row] for row in rows)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()
