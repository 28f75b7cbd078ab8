"""JourneyKit's tables, all in :data:`journeykit.db.metadata` and named ``journeykit_…``.

Importing this package registers every table (Alembic's ``env.py`` relies on it).
"""

from .core import Customer, DisputeStatus, JourneyEvent, Order, OrderItem, OrderStatus, Visitor
from .people import CohortActivity, CohortStage, Person, PersonWeek, StageDay
from .outbound import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .reviews import ProductRating, RejectionReason, Review, ReviewPhoto, ReviewRequest, ReviewStatus, ReviewVote
from .stripe_events import StripeEvent, StripeEventStatus
from .testimonials import Testimonial, TestimonialStatus, TestimonialTag

__all__ = [
    "CohortActivity",
    "CohortStage",
    "Person",
    "PersonWeek",
    "StageDay",
    "Customer",
    "DeliveryStatus",
    "DisputeStatus",
    "JourneyEvent",
    "Order",
    "OrderItem",
    "OrderStatus",
    "ProductRating",
    "RejectionReason",
    "Review",
    "ReviewPhoto",
    "ReviewRequest",
    "ReviewStatus",
    "ReviewVote",
    "StripeEvent",
    "StripeEventStatus",
    "Testimonial",
    "TestimonialStatus",
    "TestimonialTag",
    "Visitor",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
