"""Blinker signals a shop can subscribe to (``from journeykit import signals``).

They are defined in :mod:`journeykit.core.signals`, beside the machinery
that sends them after commit; this module is their public address.
"""

from .core.signals import *  # noqa: F403 - the public names, listed in __all__
from .core.signals import __all__  # noqa: F401
