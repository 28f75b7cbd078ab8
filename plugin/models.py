"""Every table of JourneyKit, gathered from the capabilities that own them.

Each capability's ``models`` module is its own; this index imports them all,
so that the metadata (:data:`journeykit.core.db.metadata`) holds every table
for Alembic (``migrations/env.py``) and for a shop's or our own tests.  No
capability imports it.
"""

from .core.audit import AuditEntry
from .core.read_versions import ReadVersion
from .core.settings import Setting
from .hooks.outbound.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .hooks.stripe.models import StripeEvent, StripeEventStatus
from .journey.models import (
    CohortActivity,
    CohortStage,
    Customer,
    JourneyEvent,
    Person,
    PersonWeek,
    StageDay,
    Visitor,
)
from .loyalty.models import (
    EntryKind,
    PointsBalance,
    PointsEntry,
    Redemption,
    RedemptionStatus,
)
from .orders.models import DisputeStatus, Order, OrderItem, OrderStatus
from .referrals.models import Attribution, ClickDay, Referral, ReferralCode, ReferralStatus
from .reviews.models import (
    ProductRating,
    RejectionReason,
    Review,
    ReviewPhoto,
    ReviewRequest,
    ReviewStatus,
    ReviewVote,
)
from .testimonials.models import Testimonial, TestimonialStatus, TestimonialTag

__all__ = [
    "Attribution",
    "ClickDay",
    "Referral",
    "ReferralCode",
    "ReferralStatus",
    "EntryKind",
    "PointsBalance",
    "PointsEntry",
    "Redemption",
    "RedemptionStatus",
    "AuditEntry",
    "Setting",
    "CohortActivity",
    "CohortStage",
    "Customer",
    "DeliveryStatus",
    "DisputeStatus",
    "JourneyEvent",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Person",
    "PersonWeek",
    "ProductRating",
    "ReadVersion",
    "RejectionReason",
    "Review",
    "ReviewPhoto",
    "ReviewRequest",
    "ReviewStatus",
    "ReviewVote",
    "StageDay",
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
