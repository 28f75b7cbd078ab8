"""CSV cells a spreadsheet opens safely: text it would run as a formula (CSV injection) is kept as text.

OWASP's advice: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return gets a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

#: What makes a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    """``value``, behind an apostrophe if a spreadsheet would run it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def restore_formula(value: str) -> str:
    """Undo :func:`neutralise_formula` (reading back a file JourneyKit wrote)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value
