"""pytest fixtures for shops' own tests: ``pytest_plugins = ["journeykit.pytest_plugin"]``.

``deliver_stripe_event`` needs pytest-flask's ``client`` and ``app`` fixtures.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from .core.config import as_list
from .testing import StripeEvents, deliver


@pytest.fixture
def stripe_events() -> StripeEvents:
    """A :class:`StripeEvents` builder in test mode."""
    return StripeEvents()


@pytest.fixture
def deliver_stripe_event(client: Any, app: Any) -> Callable[[dict[str, Any]], Any]:
    """``deliver_stripe_event(event)`` posts it signed with the app's first webhook secret."""
    def send(event: dict[str, Any], **kwargs: Any) -> Any:
        secret = as_list(app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"])[0]
        path = app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/") + "/stripe/webhook"
        return deliver(client, event, secret=secret, path=path, **kwargs)

    return send
