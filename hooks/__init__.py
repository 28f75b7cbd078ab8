"""Every boundary with the outside: Stripe webhooks in, signals and signed webhooks out."""
