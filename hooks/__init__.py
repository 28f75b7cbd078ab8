"""Every boundary with the outside: Stripe webhooks in, signals and signed webhooks out.

For receivers of JourneyKit's outbound webhooks: :func:`verify_signature`.
For the shop's own worker or scheduler: :func:`deliver_due` (in an app context).
"""

from .outbound import deliver_due, verify_signature

__all__ = ["deliver_due", "verify_signature"]
