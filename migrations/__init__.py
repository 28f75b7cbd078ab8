"""JourneyKit's Alembic environment and revisions (run with ``flask journeykit db upgrade``)."""
