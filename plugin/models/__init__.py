"""JourneyKit's tables, all in :data:`journeykit.db.metadata` and named ``journeykit_…``.

Importing this package registers every table (Alembic's ``env.py`` relies on it).
"""

from .core import Customer, DisputeStatus, JourneyEvent, Order, OrderItem, OrderStatus, Visitor
from .reviews import ProductRating, RejectionReason, Review, ReviewRequest, ReviewStatus, ReviewVote
from .stripe_events import StripeEvent, StripeEventStatus
from .testimonials import Testimonial, TestimonialStatus, TestimonialTag

__all__ = [
    "Customer",
    "DisputeStatus",
    "JourneyEvent",
    "Order",
    "OrderItem",
    "OrderStatus",
    "ProductRating",
    "RejectionReason",
    "Review",
    "ReviewRequest",
    "ReviewStatus",
    "ReviewVote",
    "StripeEvent",
    "StripeEventStatus",
    "Testimonial",
    "TestimonialStatus",
    "TestimonialTag",
    "Visitor",
]
