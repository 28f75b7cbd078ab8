"""Money in integer minor units, and how to show it."""

from __future__ import annotations

#: Currencies Stripe counts in whole units (an amount of 500 JPY is 500 yen).
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
#: Stripe's three-decimal currencies.
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def minor_digits(currency: str) -> int:
    """How many decimal digits the currency's minor unit has (0, 2 or 3)."""
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def format_money(amount: int, currency: str) -> str:
    """``format_money(1999, "eur") == "19.99 EUR"`` without ever going through a float."""
    digits = minor_digits(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(int(amount)), 10**digits)
    text = f"{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")
    return f"{sign}{text} {currency.upper()}"
