"""The :class:`JourneyKit` extension object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context, has_request_context
from flask_sqlalchemy import SQLAlchemy

from . import cli, loyalty, referrals, web, widgets
from .core import config, dialects, early_reads, identity, limits, migrate, shop_cookies
from .core.admin_access import AdminGuard
from .core.db import metadata
from .core.identity import CustomerLoader, Shopper
from .core.migrate import exclude_from_shop_migrations
from .hooks.outbound import outbox
from .journey import events
from .metrics import Metrics
from .orders import checkout
from .reviews import PhotoStorage

EXTENSION_KEY = "journeykit"
#: Takes the shop's product id; returns ``{"name", "url", "gtin", "mpn", "brand"}`` (any may be left out) or ``None``.
ProductLoader = Callable[[str], "dict[str, Any] | None"]


@dataclass
class AppState:
    """What JourneyKit keeps per app, in ``app.extensions["journeykit"]``."""

    #: The extension object that registered this app.
    journey: JourneyKit
    #: The shop's Flask-SQLAlchemy instance, whose engine and session JourneyKit uses.
    db: SQLAlchemy
    #: The bind holding JourneyKit's tables (``None``: the shop's default database).
    bind_key: str | None
    #: The OpenAPI description, built on first request (see :mod:`journeykit.core.openapi`).
    openapi: dict[str, Any] | None = None
    #: JourneyKit's tables were found at the newest revision (see :func:`journeykit.core.migrate.ensure_current`).
    schema_checked: bool = False


class JourneyKit:
    """Customer-journey widgets, Stripe purchases and stage metrics for a Flask shop.

    ``JourneyKit(app, db=db)`` or, with an app factory, ``journey = JourneyKit(db=db)``
    then ``journey.init_app(app)`` for each app.
    """

    def __init__(self, app: Flask | None = None, *, db: SQLAlchemy | None = None) -> None:
        #: The shop's ``SQLAlchemy`` instance, if given at construction.
        self.db = db
        self._customer_loader: CustomerLoader | None = None
        self._admin_guard: AdminGuard | None = None
        self._product_loader: ProductLoader | None = None
        #: Where review photos are kept (a :class:`~journeykit.reviews.PhotoStorage`);
        #: ``None``: local disk, ``JOURNEYKIT_REVIEW_PHOTOS_DIR`` or the instance folder.
        self.photo_storage: PhotoStorage | None = None
        #: The journey's figures: ``journey.metrics.funnel(start, end)``, ``customer_stage(id)``…
        #: (see :class:`journeykit.metrics.Metrics`; needs an app context).
        self.metrics = Metrics()
        #: The customers' loyalty points: ``journey.loyalty.balance(id)``, ``award(id, points, reason, key=…)``.
        self.loyalty = loyalty.Loyalty()
        #: The customers' referral codes: ``journey.referrals.code_for(id)`` (made on first use).
        self.referrals = referrals.Referrals()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, *, db: SQLAlchemy | None = None) -> None:
        """Register JourneyKit on ``app``.

        Reads (each optional, defaults in :mod:`journeykit.core.config` and the README):
        ``JOURNEYKIT_URL_PREFIX``, ``JOURNEYKIT_SECRET_KEY``,
        ``JOURNEYKIT_STRIPE_WEBHOOK_SECRET``, ``JOURNEYKIT_STRIPE_API_KEY``, ``JOURNEYKIT_STRIPE_API_BASE``,
        ``JOURNEYKIT_ALLOWED_ORIGINS``, ``JOURNEYKIT_ADMIN_API_KEYS``,
        ``JOURNEYKIT_BIND_KEY``, ``JOURNEYKIT_POINTS_PER_UNIT``,
        ``JOURNEYKIT_CUSTOMER_TOKEN_MAX_AGE``, ``JOURNEYKIT_MAX_CONTENT_LENGTH``,
        ``JOURNEYKIT_VISITOR_COOKIE``, ``JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE``.

        The database is ``db`` if given, else the one passed to the
        constructor, else the app's registered Flask-SQLAlchemy instance, else
        a new one (SQLite in the instance folder when
        ``SQLALCHEMY_DATABASE_URI`` is unset).
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "JourneyKit is already registered on this app. Call init_app once per app; "
                "to reach the extension, use app.extensions['journeykit'].journey."
            )
        config.apply_defaults(app)
        _refuse_unsupported_database(app)
        state = AppState(journey=self, db=self._database_for(app, db), bind_key=_bind_key(app))
        app.extensions[EXTENSION_KEY] = state
        with app.app_context():
            dialects.read_committed(state.db.engines[state.bind_key])
        app.register_blueprint(web.create_blueprint(), url_prefix=app.config["JOURNEYKIT_URL_PREFIX"])
        web.register_app_hooks(app)
        widgets.install_embed_shortcut(app)
        shop_cookies.install(app)
        early_reads.install(app)
        web.retry_writes_after_deadlocks(app)
        loyalty.install()
        referrals.install()
        web.exempt_from_shop_csrf(app)
        app.cli.add_command(cli.journeykit_group)
        exclude_from_shop_migrations(app)

    def _database_for(self, app: Flask, db: SQLAlchemy | None) -> SQLAlchemy:
        db = db or self.db or app.extensions.get("sqlalchemy")
        if db is None:
            app.config.setdefault("SQLALCHEMY_DATABASE_URI", "sqlite:///journeykit.sqlite3")
            # A pooled connection the database closed (a restart, a failover) is replaced, not answered with a 500;
            # on SQLite, a writer waits up to 30 s for the one write lock instead of 5 ("database is locked").
            sqlite = str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
            db = SQLAlchemy(app, engine_options={"pool_pre_ping": True, **({"connect_args": {"timeout": 30}} if sqlite else {})})
        elif "sqlalchemy" not in app.extensions:
            db.init_app(app)
        return db

    # -- registration decorators ------------------------------------------

    def customer_loader(self, loader: CustomerLoader) -> CustomerLoader:
        """Register the function that names the current request's customer.

        It takes no arguments and returns ``(customer_id, email)``,
        ``(customer_id, email, name)``, or ``None`` for an anonymous request.  Used for same-origin pages; cross-origin
        pages send a :meth:`customer_token` instead.
        """
        self._customer_loader = loader
        return loader

    def admin_guard(self, guard: AdminGuard) -> AdminGuard:
        """Register the function that says whether the current request is the shop owner's.

        It takes no arguments and returns ``True`` to let the request into the
        admin API and pages (typically by checking the shop's own login), or
        the owner's name or e-mail, which the audit log then records as who
        acted; ``False`` or ``None`` refuses.
        """
        self._admin_guard = guard
        return guard

    def product_loader(self, loader: ProductLoader) -> ProductLoader:
        """Register the function that describes a product by the shop's id.

        It returns a dict with any of ``name``, ``url``, ``gtin``, ``mpn`` and
        ``brand``, or ``None`` for an unknown product.  The Google
        product-reviews feed uses it: Google matches reviews to its catalogue
        by GTIN, or by brand and MPN, far more reliably than by SKU alone.
        """
        self._product_loader = loader
        return loader

    # -- identity ---------------------------------------------------------

    def customer_token(self, customer_id: Any, email: str | None = None, name: str | None = None) -> str:
        """A signed, expiring token naming a customer, for cross-origin widgets.

        Render it into the page (``data-customer-token`` on the embed script);
        the script sends it back as the ``X-JourneyKit-Customer`` header.
        Raises :class:`ValueError` for a customer id longer than JourneyKit stores.
        """
        limits.check("journeykit_customers.shop_customer_id", str(customer_id), field="customer_id")
        return identity.make_token(current_app._get_current_object(), customer_id, email, name)  # type: ignore[attr-defined]

    def checkout_params(
        self,
        *,
        customer_id: Any = None,
        email: str | None = None,
        products: Iterable[str] = (),
        visitor_id: str | None = None,
        referral_code: str | None = None,
    ) -> dict[str, Any]:
        """Keyword arguments to merge into ``stripe.checkout.Session.create(...)`` (see :func:`journeykit.orders.checkout_params`).

        Without ``referral_code``, the code the visitor came through by a
        referral link (its window still open) goes in by itself.  With
        ``JOURNEYKIT_REFERRAL_FRIEND_REWARD`` set and a live code, ``discounts``
        carries the friend's promotion code (first-time orders only; do not
        also pass ``allow_promotion_codes``, which Stripe refuses with it);
        making it may raise a 502/503 :class:`~journeykit.core.errors.APIError`
        when Stripe cannot be reached.
        """
        promotion = None
        if has_app_context():
            if visitor_id is None and has_request_context():
                visitor_id = identity.current_visitor_id()
            referral_code, promotion = referrals.checkout_referral(referral_code, visitor_id, customer_id)
        params = checkout.checkout_params(customer_id=customer_id, email=email, products=products,
                                          visitor_id=visitor_id, referral_code=referral_code)
        if promotion:
            params["discounts"] = [{"promotion_code": promotion}]
        return params

    def track(
        self,
        event: str,
        *,
        customer_id: Any = None,
        visitor_id: str | None = None,
        product_id: str | None = None,
        **props: Any,
    ) -> None:
        """Record a journey event from the shop's own code, e.g. ``journey.track("product_viewed", product_id="sku-1")``.

        ``event`` is a standard name (INTERFACE.md: ``page_viewed``, ``product_viewed``,
        ``checkout_started``…) or the shop's own (those count as awareness); ``props``
        are stored with it and must be JSON values.  Without ``customer_id`` and
        ``visitor_id`` the current request's shopper and visitor cookie are used.
        The event is committed at once, and with it anything pending in the
        session JourneyKit shares with the shop, so call it after your own
        changes are complete.  Raises :class:`ValueError` for a malformed event.
        """
        events.track(event, customer_id=customer_id, visitor_id=visitor_id, product_id=product_id, **props)

    def create_all(self) -> None:
        """Bring JourneyKit's tables to the current schema, as ``flask journeykit db upgrade`` does.

        For a shop's test fixtures and scripts, inside an app context, after
        the shop's own ``db.create_all()``; safe to call again.  JourneyKit's
        tables get their own Alembic history, so production keeps using the
        ``db upgrade`` command.
        """
        migrate.upgrade()

    def deliver_hooks(self, *, limit: int = 100) -> dict[str, int]:
        """Send up to ``limit`` due outbound webhooks once each, in an app context.

        What ``flask journeykit hooks deliver`` does, for a shop that runs its
        own scheduler (Celery beat, APScheduler, RQ): call it every few
        seconds.  Safe in several processes at once; failed attempts are
        retried by a later call.  Returns ``{"delivered", "retrying", "failed"}`` counts;
        raises :class:`ValueError` for a ``limit`` below 1.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number of at least 1, not {limit!r}.")
        return outbox.deliver_due(limit)

    def current_shopper(self) -> Shopper | None:
        """The identified shopper of the current request, or ``None``.

        Raises a 401 :class:`~journeykit.core.errors.Unauthorized` for a tampered or
        expired token.
        """
        return identity.current_shopper(self._customer_loader)


#: The databases JourneyKit's upserts, locks and migrations are written and tested for.
SUPPORTED_DATABASES = ("sqlite", "postgresql", "mysql", "mariadb")


def _refuse_unsupported_database(app: Flask) -> None:
    """Stop at start, with a message, on a database JourneyKit does not support (not at some request later)."""
    bind_key = app.config["JOURNEYKIT_BIND_KEY"]
    uri = (app.config.get("SQLALCHEMY_BINDS") or {}).get(bind_key) if bind_key else app.config.get("SQLALCHEMY_DATABASE_URI")
    if isinstance(uri, dict):  # Flask-SQLAlchemy also takes engine options with the URL
        uri = uri.get("url")
    if not uri:
        return
    backend = sa.engine.make_url(uri).get_backend_name()
    if backend not in SUPPORTED_DATABASES:
        raise RuntimeError(f"JourneyKit supports SQLite, PostgreSQL, MySQL 8 and MariaDB; this app's database is {backend}.")


def _bind_key(app: Flask) -> str | None:
    """Point JourneyKit's metadata at ``JOURNEYKIT_BIND_KEY`` for Flask-SQLAlchemy's session routing.

    The metadata is shared by every app in the process, so all of them must
    agree on the bind; a clash is refused rather than silently misrouted.
    """
    bind_key = app.config["JOURNEYKIT_BIND_KEY"]
    current = metadata.info.get("bind_key", bind_key)
    if current != bind_key:
        raise RuntimeError(
            f"JOURNEYKIT_BIND_KEY is {bind_key!r} here but {current!r} in another app of this "
            "process; every app in one process must use the same bind for JourneyKit."
        )
    metadata.info["bind_key"] = bind_key
    return bind_key
