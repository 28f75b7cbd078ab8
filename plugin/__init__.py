"""JourneyKit: customer-journey widgets, Stripe purchase tracking and stage metrics for Flask shops.

The public names are re-exported here; every other module may change.
"""

from __future__ import annotations

from . import signals
from .errors import APIError, JourneyKitError
from .extension import JourneyKit
from .stages import Stage

__version__ = "0.1.0"

__all__ = ["APIError", "JourneyKit", "JourneyKitError", "Stage", "__version__", "signals"]
