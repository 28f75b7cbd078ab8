"""Signed webhooks out: the endpoints a shop owner configures, an outbox written in the
transaction of each change (:mod:`.outbox`), what each signal becomes (:mod:`.payloads`),
signing and sending (:mod:`.signing`), the owner's API and page, and the delivery worker.
"""

from .outbox import deliver_due
from .signing import sign, verify_signature

__all__ = ["deliver_due", "sign", "verify_signature"]
