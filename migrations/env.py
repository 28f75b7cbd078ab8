"""Alembic environment for JourneyKit's tables only.

Run through :mod:`journeykit.migrate`, which hands over the shop's connection
(or, for ``--sql``, its URL).
"""

from alembic import context

from journeykit import models  # noqa: F401 - registers the tables on the metadata
from journeykit.core.migrate import context_options

config = context.config

if context.is_offline_mode():
    context.configure(url=config.attributes["url"], literal_binds=True, **context_options())
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(connection=config.attributes["connection"], **context_options())
    with context.begin_transaction():
        context.run_migrations()
