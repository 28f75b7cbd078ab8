"""Every ``JOURNEYKIT_*`` configuration key, defined once with its default.

The README's configuration table documents the same keys; a test keeps the
two in step.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask

from .config_checks import check_config

#: Where the blueprint is mounted.
URL_PREFIX = "/journeykit"
#: Signs customer tokens and outbound hooks; ``None`` means the app's ``SECRET_KEY``.
SECRET_KEY = None
#: Stripe's ``whsec_…`` signing secret (or a list of them, during a rotation).
STRIPE_WEBHOOK_SECRET = None
#: Stripe API key, for line items and promotion codes.
STRIPE_API_KEY = None
#: Where the stripe library sends API calls (``None``: Stripe's own); for proxies and test fakes.
STRIPE_API_BASE = None
#: Seconds to wait for each try of a call to Stripe's API (two retries follow a timeout).
STRIPE_TIMEOUT = 10
#: Storefront origins allowed to call the API cross-origin.
ALLOWED_ORIGINS: list[str] = []
#: Bearer keys for the admin API.
ADMIN_API_KEYS: list[str] = []
#: Where the owner's pages send a visitor who is not signed in (a URL, a path or an endpoint name; ``next=`` is
#: added); ``None``: Flask-Login's ``login_view`` if the shop uses it, else a page saying who may come in.
ADMIN_LOGIN_URL = None
#: Flask-SQLAlchemy bind for JourneyKit's tables (``None``: the shop's default database).
BIND_KEY = None
#: Loyalty points per major currency unit paid.
POINTS_PER_UNIT = 1
#: Bonus points for a new customer of the shop, and for a published review (0: off until the owner turns them on).
POINTS_SIGNUP = 0
POINTS_REVIEW = 0
#: Bonus points on a customer's birthday (month and day they gave), and for the referrer when a referred
#: friend's first order is paid (0: off).
POINTS_BIRTHDAY = 0
POINTS_REFERRAL = 0
#: Days earned points stay pending (in the balance, not yet spendable), e.g. the shop's return window: one
#: number for every rule, or per rule: ``{"purchase": 30}`` (0: spendable at once).
POINTS_PENDING_DAYS: int | dict[str, int] = 0
#: What points buy: ``[{"id": "5-off", "points": 500, "amount_off": 500, "currency": "usd"}, …]``, a fixed
#: amount off (minor units) per option; none: no redemptions.
LOYALTY_REWARDS: list[dict[str, Any]] = []
#: Days a discount code bought with points stays valid; unused by then, its points come back.
LOYALTY_CODE_DAYS = 30
#: Where the loyalty widget asks an anonymous visitor to join (the shop's sign-up page).
LOYALTY_SIGNUP_URL = None
#: Days without earning or spending after which a customer's points expire (0: never), and how many days
#: before that ``points_expiring`` warns them.
POINTS_EXPIRE_AFTER_DAYS = 0
POINTS_EXPIRY_WARNING_DAYS = 14
#: VIP tiers, lowest first: ``[{"name": "Silver", "points": 500, "bonus_percent": 10}, …]`` (none: everyone is a
#: member), reached by the points earned over the trailing window of days.
LOYALTY_TIERS: list[dict[str, Any]] = []
LOYALTY_TIER_WINDOW_DAYS = 365
#: Whether a refund of points already spent may take a balance below zero (else the shortfall is written off).
LOYALTY_ALLOW_NEGATIVE = False
#: Days a referral link's click counts for the visitor's first order (the last click wins).
REFERRAL_ATTRIBUTION_DAYS = 30
#: Where a referral link lands the friend: a path on the shop (``/welcome``; never another site).
REFERRAL_LANDING_PATH = "/"
#: The friend's discount, as a Stripe promotion code for first-time orders: ``{"amount_off": 500, "currency":
#: "usd"}`` or ``{"percent_off": 10}`` (``None``: no discount).
REFERRAL_FRIEND_REWARD: dict[str, Any] | None = None
#: The referrer's coupon, besides (or instead of) ``POINTS_REFERRAL``: ``{"amount_off": 1000, "currency": "usd"}``.
REFERRAL_REFERRER_COUPON: dict[str, Any] | None = None
#: Days the referrer's reward waits after the friend's order, for its refund window (0: rewarded at once).
REFERRAL_HOLD_DAYS = 0
#: The most referrals one referrer is rewarded for in 30 days (0: no cap); more go to the owner's review.
REFERRAL_MAX_PER_MONTH = 20
#: Risk score (0-100) from which a referral waits for the owner's review instead of paying out.
REFERRAL_REVIEW_SCORE = 50
#: A code is flagged when a day brings this many times its usual clicks (leaked to a coupon site).
REFERRAL_CLICK_SPIKE = 10
#: How long a customer token stays valid, in seconds.
CUSTOMER_TOKEN_MAX_AGE = 24 * 3600
#: Largest request body the JSON API accepts, in bytes (larger: 413).
MAX_CONTENT_LENGTH = 64 * 1024
#: Cookie that keeps an anonymous visitor's id on the shop's own origin.
VISITOR_COOKIE = "journeykit_visitor"

#: Which new reviews publish without moderation: ``verified_positive`` (a verified
#: buyer's 4–5 stars without links), ``all`` or ``none``.
REVIEWS_AUTO_PUBLISH = "verified_positive"
#: Publish pending reviews nobody moderated after this many days (``None``: never).
REVIEWS_PUBLISH_AFTER_DAYS = None
#: A review with more links than this is refused; any link sends it to moderation.
REVIEWS_MAX_LINKS = 2
#: Words that get a review refused outright (case-insensitive, whole words).
REVIEWS_BLOCKED_WORDS: list[str] = []

#: The shop's name as the Google product-reviews feed names its publisher (``None``: the request's host).
SHOP_NAME = None

#: How many reviews one shopper, and one network address, may submit (``limits`` syntax).
REVIEWS_RATE_LIMIT = "10 per hour"
#: How many testimonials one shopper, and one network address, may send through the collection form.
TESTIMONIALS_RATE_LIMIT = "5 per hour"
#: Where rate-limit counters live: ``memory://`` (one process), ``redis://…`` or ``memcached://…``
#: for several workers (see the ``limits`` library's storage URIs).
RATELIMIT_STORAGE_URI = "memory://"

#: Days after a purchase before its buyer is asked for reviews (``None``: never ask).
REVIEW_REQUEST_DAYS = 7

#: Folder of review photos on local disk (``None``: ``journeykit-photos`` in the app's instance folder).
REVIEW_PHOTOS_DIR = None
#: Largest review photo accepted, in bytes (larger: 413).
REVIEW_PHOTO_MAX_BYTES = 5 * 1024 * 1024
#: Largest review photo accepted, in pixels (width × height; larger: 413, decompression bombs included).
REVIEW_PHOTO_MAX_PIXELS = 25_000_000
#: How many photos one review may carry.
REVIEW_MAX_PHOTOS = 4

#: How many event batches one visitor, and one network address, may send (``limits`` syntax).
EVENTS_RATE_LIMIT = "120 per minute"
#: Discount codes one shopper may buy with points (each is a call to Stripe).
REDEMPTIONS_RATE_LIMIT = "10 per hour"
#: Share of visitors (0 to below 1, e.g. ``0.1``) not shown each widget, to measure its lift.
HOLDOUT_SHARE = 0.0
#: The widgets that have a hold-out group.
HOLDOUT_WIDGETS = ["reviews", "rating", "testimonials", "referral", "loyalty"]
#: Keep storefront events from user agents that say they are bots (crawlers, link previews, scripts).
TRACK_BOTS = False
#: User agents (substrings, any case) whose events are kept although they look like bots: a shop's own
#: end-to-end tests in a headless browser (e.g. ``["HeadlessChrome"]``).
TRACK_USER_AGENTS: list[str] = []
#: Leave the shop owner's and admins' own browsing out of the journey (whoever the shop's ``admin_guard`` admits).
EXCLUDE_ADMIN_TRAFFIC = True
#: Which events move a person to consideration, purchase and advocacy (a key left out keeps its
#: default; any other event counts as awareness). Purchase and advocacy count only events logged
#: on the server (Stripe, ``journey.track``, JourneyKit itself), never the storefront's.
STAGE_EVENTS: dict[str, list[str]] = {
    "consideration": ["product_viewed", "widget_interaction", "referral_clicked", "checkout_started", "checkout_expired"],
    "purchase": ["purchase"],
    "advocacy": ["review_published", "testimonial_published", "referral_converted"],
}
#: The purchase event that takes a person to retention (2: the second purchase).
RETENTION_PURCHASES = 2

#: Try the webhooks a request queued right after its response is sent (retries still need the worker).
HOOKS_DELIVER_AFTER_RESPONSE = False
#: Answer the public reads the worker keeps in front of the shop's app (its request hooks do not run for them).
EARLY_READS = True

DEFAULTS: dict[str, Any] = {
    "JOURNEYKIT_URL_PREFIX": URL_PREFIX,
    "JOURNEYKIT_SECRET_KEY": SECRET_KEY,
    "JOURNEYKIT_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
    "JOURNEYKIT_STRIPE_API_KEY": STRIPE_API_KEY,
    "JOURNEYKIT_STRIPE_API_BASE": STRIPE_API_BASE,
    "JOURNEYKIT_STRIPE_TIMEOUT": STRIPE_TIMEOUT,
    "JOURNEYKIT_ALLOWED_ORIGINS": ALLOWED_ORIGINS,
    "JOURNEYKIT_ADMIN_API_KEYS": ADMIN_API_KEYS,
    "JOURNEYKIT_ADMIN_LOGIN_URL": ADMIN_LOGIN_URL,
    "JOURNEYKIT_BIND_KEY": BIND_KEY,
    "JOURNEYKIT_POINTS_PER_UNIT": POINTS_PER_UNIT,
    "JOURNEYKIT_LOYALTY_ALLOW_NEGATIVE": LOYALTY_ALLOW_NEGATIVE,
    "JOURNEYKIT_POINTS_SIGNUP": POINTS_SIGNUP,
    "JOURNEYKIT_POINTS_REVIEW": POINTS_REVIEW,
    "JOURNEYKIT_POINTS_BIRTHDAY": POINTS_BIRTHDAY,
    "JOURNEYKIT_POINTS_REFERRAL": POINTS_REFERRAL,
    "JOURNEYKIT_POINTS_PENDING_DAYS": POINTS_PENDING_DAYS,
    "JOURNEYKIT_LOYALTY_REWARDS": LOYALTY_REWARDS,
    "JOURNEYKIT_LOYALTY_CODE_DAYS": LOYALTY_CODE_DAYS,
    "JOURNEYKIT_LOYALTY_SIGNUP_URL": LOYALTY_SIGNUP_URL,
    "JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS": REFERRAL_ATTRIBUTION_DAYS,
    "JOURNEYKIT_REFERRAL_LANDING_PATH": REFERRAL_LANDING_PATH,
    "JOURNEYKIT_REFERRAL_FRIEND_REWARD": REFERRAL_FRIEND_REWARD,
    "JOURNEYKIT_REFERRAL_REFERRER_COUPON": REFERRAL_REFERRER_COUPON,
    "JOURNEYKIT_REFERRAL_HOLD_DAYS": REFERRAL_HOLD_DAYS,
    "JOURNEYKIT_REFERRAL_MAX_PER_MONTH": REFERRAL_MAX_PER_MONTH,
    "JOURNEYKIT_REFERRAL_REVIEW_SCORE": REFERRAL_REVIEW_SCORE,
    "JOURNEYKIT_REFERRAL_CLICK_SPIKE": REFERRAL_CLICK_SPIKE,
    "JOURNEYKIT_POINTS_EXPIRE_AFTER_DAYS": POINTS_EXPIRE_AFTER_DAYS,
    "JOURNEYKIT_POINTS_EXPIRY_WARNING_DAYS": POINTS_EXPIRY_WARNING_DAYS,
    "JOURNEYKIT_LOYALTY_TIERS": LOYALTY_TIERS,
    "JOURNEYKIT_LOYALTY_TIER_WINDOW_DAYS": LOYALTY_TIER_WINDOW_DAYS,
    "JOURNEYKIT_CUSTOMER_TOKEN_MAX_AGE": CUSTOMER_TOKEN_MAX_AGE,
    "JOURNEYKIT_MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
    "JOURNEYKIT_VISITOR_COOKIE": VISITOR_COOKIE,
    "JOURNEYKIT_REVIEWS_AUTO_PUBLISH": REVIEWS_AUTO_PUBLISH,
    "JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS": REVIEWS_PUBLISH_AFTER_DAYS,
    "JOURNEYKIT_REVIEWS_MAX_LINKS": REVIEWS_MAX_LINKS,
    "JOURNEYKIT_REVIEWS_BLOCKED_WORDS": REVIEWS_BLOCKED_WORDS,
    "JOURNEYKIT_REVIEWS_RATE_LIMIT": REVIEWS_RATE_LIMIT,
    "JOURNEYKIT_SHOP_NAME": SHOP_NAME,
    "JOURNEYKIT_TESTIMONIALS_RATE_LIMIT": TESTIMONIALS_RATE_LIMIT,
    "JOURNEYKIT_RATELIMIT_STORAGE_URI": RATELIMIT_STORAGE_URI,
    "JOURNEYKIT_REVIEW_REQUEST_DAYS": REVIEW_REQUEST_DAYS,
    "JOURNEYKIT_REVIEW_PHOTOS_DIR": REVIEW_PHOTOS_DIR,
    "JOURNEYKIT_REVIEW_PHOTO_MAX_BYTES": REVIEW_PHOTO_MAX_BYTES,
    "JOURNEYKIT_REVIEW_PHOTO_MAX_PIXELS": REVIEW_PHOTO_MAX_PIXELS,
    "JOURNEYKIT_REVIEW_MAX_PHOTOS": REVIEW_MAX_PHOTOS,
    "JOURNEYKIT_EVENTS_RATE_LIMIT": EVENTS_RATE_LIMIT,
    "JOURNEYKIT_REDEMPTIONS_RATE_LIMIT": REDEMPTIONS_RATE_LIMIT,
    "JOURNEYKIT_TRACK_BOTS": TRACK_BOTS,
    "JOURNEYKIT_TRACK_USER_AGENTS": TRACK_USER_AGENTS,
    "JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC": EXCLUDE_ADMIN_TRAFFIC,
    "JOURNEYKIT_HOLDOUT_SHARE": HOLDOUT_SHARE,
    "JOURNEYKIT_HOLDOUT_WIDGETS": HOLDOUT_WIDGETS,
    "JOURNEYKIT_STAGE_EVENTS": STAGE_EVENTS,
    "JOURNEYKIT_RETENTION_PURCHASES": RETENTION_PURCHASES,
    "JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE": HOOKS_DELIVER_AFTER_RESPONSE,
    "JOURNEYKIT_EARLY_READS": EARLY_READS,
}


def apply_defaults(app: Flask) -> None:
    """Set every key the app has not set, copying mutable defaults, then check the values (a clear error at start)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, copy.deepcopy(value) if isinstance(value, (list, dict)) else value)
    check_config(app.config)


def as_list(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Read a list setting that may also be given as one comma-separated string.

    Environment-driven configs (``app.config.from_prefixed_env``) hand over
    strings, so ``"a,b"`` and ``["a", "b"]`` mean the same.
    """
    if not value:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


def secret_key(app: Flask) -> str:
    """The key that signs tokens: ``JOURNEYKIT_SECRET_KEY``, else ``SECRET_KEY``."""
    key = app.config.get("JOURNEYKIT_SECRET_KEY") or app.config.get("SECRET_KEY")
    if not key:
        raise RuntimeError(
            "JourneyKit needs a secret to sign customer tokens: set SECRET_KEY "
            "or JOURNEYKIT_SECRET_KEY in the app's config."
        )
    return str(key)
