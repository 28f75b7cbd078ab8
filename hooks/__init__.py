"""Every boundary with the outside: Stripe webhooks in, signals and signed webhooks out.

For receivers of JourneyKit's outbound webhooks: :func:`verify_signature`.
For the shop's own worker or scheduler: :func:`deliver_due` (in an app context).
For privacy requests (:mod:`journeykit.privacy`): :func:`personal_data` and :func:`forget`.
"""

from .outbound import deliver_due, verify_signature
from .privacy import forget, personal_data

__all__ = ["deliver_due", "forget", "personal_data", "verify_signature"]
