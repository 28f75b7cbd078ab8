"""What every capability shares: configuration, the database session, errors and inputs, paging,
money, who is asking (identity, admin access, rate limits), signals, the OpenAPI description,
Prometheus's registry, migrations and the admin pages' base template.

The core imports no capability; every capability may import the core.
"""
