"""JourneyKit's tables, all in :data:`journeykit.db.metadata` and named ``journeykit_…``.

Importing this package registers every table (Alembic's ``env.py`` relies on it).
"""

from .core import Customer, DisputeStatus, JourneyEvent, Order, OrderItem, OrderStatus, Visitor
from .stripe_events import StripeEvent, StripeEventStatus

__all__ = [
    "Customer",
    "DisputeStatus",
    "JourneyEvent",
    "Order",
    "OrderItem",
    "OrderStatus",
    "StripeEvent",
    "StripeEventStatus",
    "Visitor",
]
