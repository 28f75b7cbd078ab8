"""A small storefront that mounts JourneyKit the way a real shop would.

Run it with ``scripts/demo`` (or ``flask --app examples.demoshop run``); reseed
with ``flask --app examples.demoshop seed --fresh``.

Configuration from the environment (all optional):

* ``SECRET_KEY``: signs the shop's session and JourneyKit's customer tokens;
* ``DEMOSHOP_DATABASE_URL``: the database (default: SQLite in the instance folder);
* ``STRIPE_SECRET_KEY`` and ``STRIPE_WEBHOOK_SECRET``: Stripe test keys; with
  both, checkout goes through real Stripe Checkout, else the offline demo pays.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from journeykit import JourneyKit

from . import payments, seed, web
from .models import Product, db
from .views import bp

#: Only for a demo on your own machine: set SECRET_KEY for anything else.
DEV_SECRET_KEY = "demoshop-dev-secret-not-for-production"


def default_config() -> dict[str, Any]:
    """The demo's settings, read from the environment."""
    stripe_key = os.environ.get("STRIPE_SECRET_KEY") or None
    whsec = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
    if not (stripe_key and whsec):  # offline: no Stripe account, a fixed demo secret
        stripe_key, whsec = None, payments.OFFLINE_WEBHOOK_SECRET
    # A relative SQLite path lands in the app's instance folder.
    database = os.environ.get("DEMOSHOP_DATABASE_URL") or "sqlite:///demoshop.sqlite3"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or DEV_SECRET_KEY,
        # The session is sent on the shop's own pages and top-level links only, never from other sites' forms.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SQLALCHEMY_DATABASE_URI": database,
        "JOURNEYKIT_STRIPE_WEBHOOK_SECRET": whsec,
        "JOURNEYKIT_STRIPE_API_KEY": stripe_key,
        "DEMOSHOP_STRIPE_SECRET_KEY": stripe_key,
        "DEMOSHOP_NAME": "Hearth & Field",
        # Hold a fifth of visitors out of each of these widgets when embed.js draws
        # them, so the dashboard's "Widget lift" has two groups to compare (the
        # seed's visitors, in traffic.py, are split the same way).
        "JOURNEYKIT_HOLDOUT_SHARE": 0.2,
        # The owner's pages send a visitor who is not signed in to the shop's own sign-in page.
        "JOURNEYKIT_ADMIN_LOGIN_URL": "shop.signin",
        "JOURNEYKIT_HOLDOUT_WIDGETS": ["reviews", "rating", "testimonials"],
        # Loyalty: the seeded orders earn a dollar a point, so the demo's customers have real balances.
        "JOURNEYKIT_POINTS_PER_UNIT": {"usd": 1},
        "JOURNEYKIT_POINTS_SIGNUP": 50,
        "JOURNEYKIT_POINTS_REVIEW": 25,
        "JOURNEYKIT_LOYALTY_TIERS": [{"name": "Ember", "points": 150, "bonus_percent": 10},
                                     {"name": "Hearth", "points": 400, "bonus_percent": 25}],
        "JOURNEYKIT_LOYALTY_REWARDS": [{"id": "5-off", "points": 100, "amount_off": 500, "currency": "usd"},
                                       {"id": "15-off", "points": 250, "amount_off": 1500, "currency": "usd"}],
        "JOURNEYKIT_LOYALTY_SIGNUP_URL": "/signin",
        # Referrals: a friend gets $5 off a first order, the customer who sent them 100 points (another $5).
        "JOURNEYKIT_POINTS_REFERRAL": 100,
        "JOURNEYKIT_REFERRAL_FRIEND_REWARD": {"amount_off": 500, "currency": "usd"},
        #: Create tables, migrate JourneyKit's and seed an empty shop when the app starts.
        "DEMOSHOP_SETUP_ON_START": True,
    }


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The demo shop; ``config`` overrides the environment-based defaults."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent / "instance"))
    app.config.from_mapping(default_config())
    app.config.update(config or {})
    if bool(os.environ.get("STRIPE_SECRET_KEY")) != bool(os.environ.get("STRIPE_WEBHOOK_SECRET")):
        app.logger.warning(
            "Set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET for real Stripe; "
            "using the offline demo."
        )

    db.init_app(app)
    journey = JourneyKit(app, db=db)

    @journey.customer_loader
    def signed_in_customer() -> tuple[int, str] | None:
        customer = web.current_customer()
        return (customer.id, customer.email) if customer else None

    @journey.product_loader
    def catalogue_product(sku: str) -> dict[str, Any] | None:
        """The shop's own facts, so JourneyKit names products everywhere and takes reviews only of real ones."""
        item = db.session.scalars(sa.select(Product).where(Product.sku == sku)).first()
        if item is None:
            return None
        return {"name": item.name, "url": url_for("shop.product", sku=item.sku, _external=True),
                "image": url_for("shop.product_image", sku=item.sku, _external=True), "brand": app.config["DEMOSHOP_NAME"]}

    if not app.config["DEMOSHOP_STRIPE_SECRET_KEY"]:
        # Offline there is no Stripe to make promotion codes: the shop makes its own, as a shop with its own
        # discount system would (with real Stripe keys, JourneyKit makes Stripe promotion codes instead).
        journey.loyalty.code_maker(payments.loyalty_code)

    @journey.admin_guard
    def shop_owner_only() -> str | None:
        """The owner, by e-mail (the audit log shows who acted); anyone else is refused."""
        customer = web.current_customer()
        return customer.email if customer is not None and customer.is_owner else None

    app.register_blueprint(bp)
    # Browsers ask every page's host for /favicon.ico, JourneyKit's owner pages included.
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("static", filename="favicon.svg"), 301))
    web.install(app)
    app.add_template_filter(format_price, "price")
    app.register_error_handler(400, _error_page)
    app.register_error_handler(403, _error_page)
    app.register_error_handler(404, _error_page)
    app.cli.add_command(seed_command)

    if app.config["DEMOSHOP_SETUP_ON_START"]:
        report = seed.prepare(app)
        if report is not None:
            click.echo(report.summary(), err=True)
        #: This process seeded an empty shop just now (``seed --fresh`` need not do it again).
        app.extensions["demoshop_just_seeded"] = report is not None
    return app


def _error_page(error: HTTPException) -> tuple[str, int] | HTTPException | BaseResponse:
    """The shop's own error page; JourneyKit's pages keep their own answers."""
    if (request.blueprint or "").startswith("journeykit"):
        return error
    return render_template("shop/error.html", error=error), error.code or 500


def format_price(cents: int) -> str:
    """``1850`` → ``$18.50`` (integer arithmetic only)."""
    return f"${cents // 100:,}.{cents % 100:02d}"


@click.command("seed")
@click.option(
    "--fresh", is_flag=True, help="Drop all demo data (the shop's and JourneyKit's) and seed again."
)
def seed_command(fresh: bool) -> None:
    """Create the tables, migrate JourneyKit's and fill an empty shop with demo data."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions.get("demoshop_just_seeded"):
        report = None  # the app seeded the empty shop as it started
    else:
        report = seed.reset(app) if fresh else seed.prepare(app)
    if report is not None:
        click.echo(report.summary())
    with app.app_context():
        click.echo(seed.status())
