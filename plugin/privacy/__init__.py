"""Privacy requests: everything JourneyKit holds on one customer (:func:`export`), and forgetting them
(:func:`forget`) while every count, sum, stage and rating stays as it was.

Each capability knows its own part (its ``personal_data`` and ``forget``);
this package asks them all, in one transaction, and logs the request in the
audit log (without the personal data).  The owner reaches it through the
admin API (:mod:`.api`) and ``flask journeykit customer`` (:mod:`.cli`).
"""

from __future__ import annotations

from .requests import export, forget

__all__ = ["export", "forget"]
