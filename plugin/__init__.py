"""JourneyKit: customer-journey widgets, Stripe purchase tracking and stage metrics for Flask shops.

The public names are re-exported here; every other module may change.
"""

from __future__ import annotations

from . import signals
from .core.errors import APIError, JourneyKitError
from .core.version import __version__
from .extension import JourneyKit
from .journey import Stage

__all__ = ["APIError", "JourneyKit", "JourneyKitError", "Stage", "__version__", "signals"]
