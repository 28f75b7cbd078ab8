"""Stripe's webhooks in: the signed endpoint (:mod:`.webhook`), the event store that keeps every
verified event before it is acknowledged and applies it to the orders once (:mod:`.store`),
Stripe's API for what a webhook cannot carry (:mod:`.client`), and the owner's page and CLI.
"""
