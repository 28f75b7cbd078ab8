"""Loyalty points: the place of the points ledger, earning rules, tiers and redemptions.

Not built yet: ``GET /api/v1/me/loyalty`` answers an empty balance
(:mod:`.api`), and the widget and the dashboard's loyalty card say so.  It
will react to the orders' reversals and the reviews' publications through
their public functions, like every capability.
"""
