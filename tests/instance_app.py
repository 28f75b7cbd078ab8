"""A bare shop for gunicorn, as each of several instances runs it (tests/test_instances.py).

``JOURNEYKIT_TEST_DATABASE_URL`` names the shared database (already
migrated), ``JOURNEYKIT_TEST_REDIS_URI`` the shared rate-limit storage
(default: each worker's memory).  bench/load.py serves it too.
"""

from __future__ import annotations

import os

from flask import Flask

from .conftest import make_shop


def create_app() -> Flask:
    app, _, _ = make_shop(os.environ["JOURNEYKIT_TEST_DATABASE_URL"], {
        "TESTING": False,
        "JOURNEYKIT_RATELIMIT_STORAGE_URI": os.environ.get("JOURNEYKIT_TEST_REDIS_URI", "memory://"),
        **{f"JOURNEYKIT_{name}_RATE_LIMIT": "100000 per hour" for name in ("REVIEWS", "TESTIMONIALS", "EVENTS")},
    })
    return app
