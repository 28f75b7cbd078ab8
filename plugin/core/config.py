"""Every ``JOURNEYKIT_*`` configuration key, defined once with its default.

The README's configuration table documents the same keys; a test keeps the
two in step.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

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
}


def apply_defaults(app: Flask) -> None:
    """Set every key the app has not set, copying mutable defaults."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, copy.deepcopy(value) if isinstance(value, (list, dict)) else value)
    for key in SHOP_SETTINGS:
        check_setting(key, app.config[key])
    for key in EARNING_RULES.values():
        check_setting(key, app.config[key])
    for days, least in (("JOURNEYKIT_POINTS_EXPIRE_AFTER_DAYS", 0), ("JOURNEYKIT_POINTS_EXPIRY_WARNING_DAYS", 0),
                        ("JOURNEYKIT_LOYALTY_TIER_WINDOW_DAYS", 1), ("JOURNEYKIT_LOYALTY_CODE_DAYS", 1)):
        value = app.config[days]
        if not (isinstance(value, int) and not isinstance(value, bool) and least <= value <= 3650):
            raise ValueError(f"{days} must be a whole number of days from {least} to 3650, not {value!r}.")
    _check_tiers(app.config["JOURNEYKIT_LOYALTY_TIERS"])
    _check_rewards(app.config["JOURNEYKIT_LOYALTY_REWARDS"])
    for key in REFERRAL_SETTINGS:
        check_setting(key, app.config[key])
    for switch in ("JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE", "JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC"):
        if not isinstance(app.config[switch], bool):
            raise ValueError(f"{switch} must be True or False, not {app.config[switch]!r}.")


def _whole_points(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1_000_000


def _currency(code: Any) -> bool:
    return isinstance(code, str) and len(code) == 3 and code.isalpha() and code.islower()


def _check_points_per_unit(rate: Any, name: str) -> None:
    """A whole number of points per major unit, or one per currency: ``{"eur": 1, "jpy": 1}``."""
    per_currency = isinstance(rate, dict) and all(_currency(code) and _whole_points(value) for code, value in rate.items())
    if not (_whole_points(rate) or per_currency):
        raise ValueError(f"{name} must be a whole number from 0 to 1,000,000, or such a number per "
                         f"lower-case currency code ({{'eur': 1, 'jpy': 1}}), not {rate!r}.")


def _check_bonus(points: Any, name: str) -> None:
    if not _whole_points(points):
        raise ValueError(f"{name} must be a whole number of points from 0 to 1,000,000, not {points!r}.")


#: The earning rules, by the name the owner's admin gives them, and the config key each is
#: (what :mod:`journeykit.loyalty.rules` reads through :mod:`journeykit.core.settings`).
EARNING_RULES = {
    "points_per_unit": "JOURNEYKIT_POINTS_PER_UNIT",
    "signup": "JOURNEYKIT_POINTS_SIGNUP",
    "review": "JOURNEYKIT_POINTS_REVIEW",
    "birthday": "JOURNEYKIT_POINTS_BIRTHDAY",
    "referral": "JOURNEYKIT_POINTS_REFERRAL",
    "pending_days": "JOURNEYKIT_POINTS_PENDING_DAYS",
}


def check_setting(key: str, value: Any, *, name: str | None = None) -> None:
    """Raise :class:`ValueError` (its message names ``name``, by default ``key``) unless ``value`` suits ``key``.

    The same check for the app's config at start and for the owner's changes in the admin
    (:mod:`journeykit.core.settings`); ``key`` is one of :data:`SETTINGS`.
    """
    SETTINGS[key](value, name or key)


#: The earning rules whose points may be pending (``JOURNEYKIT_POINTS_PENDING_DAYS`` per rule).
PENDING_RULES = ("purchase", "review", "signup", "birthday", "referral", "award")


def _days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3650


def _check_pending_days(days: Any, name: str) -> None:
    """A number of days for every rule, or per rule: ``{"purchase": 30}``."""
    if not (_days(days) or isinstance(days, dict) and all(rule in PENDING_RULES and _days(value)
                                                           for rule, value in days.items())):
        raise ValueError(f"{name} must be a whole number of days from 0 to 3650, or such a "
                         f"number per rule ({', '.join(PENDING_RULES)}): {{'purchase': 30}}, not {days!r}.")


def _check_rewards(rewards: Any) -> None:
    """Options of a whole number of points for a fixed amount off in one currency, with distinct ids."""
    ids: set[str] = set()
    for reward in rewards if isinstance(rewards, (list, tuple)) else [None]:
        fields = reward if isinstance(reward, dict) else {}
        reward_id, currency, amount = fields.get("id"), fields.get("currency"), fields.get("amount_off")
        if not (isinstance(reward_id, str) and 0 < len(reward_id) <= 40 and reward_id not in ids
                and _whole_points(fields.get("points")) and fields["points"] > 0
                and isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.islower()
                and isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= 99_999_999):
            raise ValueError("JOURNEYKIT_LOYALTY_REWARDS must be a list of options with distinct ids, each a whole "
                             "number of points (1 to 1,000,000) for an amount off in minor units of a lower-case "
                             'currency: [{"id": "5-off", "points": 500, "amount_off": 500, "currency": "usd"}], '
                             f"not {rewards!r}.")
        ids.add(reward_id)


#: The referrals' whole-number settings: (least, most) of each.
REFERRAL_NUMBERS = {"JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS": (1, 3650), "JOURNEYKIT_REFERRAL_HOLD_DAYS": (0, 3650),
                    "JOURNEYKIT_REFERRAL_MAX_PER_MONTH": (0, 1_000_000), "JOURNEYKIT_REFERRAL_REVIEW_SCORE": (0, 100),
                    "JOURNEYKIT_REFERRAL_CLICK_SPIKE": (2, 1000)}


def _check_referral_number(key: str) -> Any:
    """The check of the whole-number referral setting ``key`` (its range in :data:`REFERRAL_NUMBERS`)."""
    least, most = REFERRAL_NUMBERS[key]

    def check(value: Any, name: str) -> None:
        if not (isinstance(value, int) and not isinstance(value, bool) and least <= value <= most):
            raise ValueError(f"{name} must be a whole number from {least} to {most:,}, not {value!r}.")

    return check


def _check_discount(*, percent: bool) -> Any:
    """The check of a referral reward: a fixed amount off in a currency (or a percentage off, if ``percent``)."""

    def check(value: Any, name: str) -> None:
        if not _discount(value, percent=percent):
            example = ' or {"percent_off": 10}' if percent else ""
            raise ValueError(f'{name} must be None, {{"amount_off": 500, "currency": "usd"}} (minor units of a lower-case '
                             f"currency, 1 to 99,999,999){example}, not {value!r}.")

    return check


def _check_landing_path(path: Any, name: str = "JOURNEYKIT_REFERRAL_LANDING_PATH") -> None:
    """A path on the shop itself: one leading ``/``, no scheme or host, nothing a browser would read as another site.

    Browsers treat ``//host``, ``/\\host`` and paths with tabs or newlines
    (dropped, leaving ``//host``) as another site: the referral link would be
    an open redirect.
    """
    parts = urlsplit(path) if isinstance(path, str) else None
    if (parts is None or not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 2000
            or parts.scheme or parts.netloc or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in path)):
        raise ValueError(f"{name} must be a path on the shop starting with one '/' "
                         f"(no scheme, host, backslash, space or control character), such as '/welcome', not {path!r}.")


def _discount(value: Any, *, percent: bool) -> bool:
    """None, ``{"amount_off", "currency"}``, or (if ``percent``) ``{"percent_off"}`` above 0 and at most 100."""
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    if percent and set(value) == {"percent_off"}:
        off = value["percent_off"]
        return isinstance(off, (int, float)) and not isinstance(off, bool) and 0 < off <= 100
    amount = value.get("amount_off")
    return (set(value) == {"amount_off", "currency"} and _currency(value["currency"]) and isinstance(amount, int)
            and not isinstance(amount, bool) and 0 < amount <= 99_999_999)


#: Choices of ``JOURNEYKIT_REVIEWS_AUTO_PUBLISH``.
AUTO_PUBLISH_CHOICES = ("verified_positive", "all", "none")
#: What a days setting that may be off says for "never" in the admin (``null`` there puts it back to the config).
NEVER = "never"


def _check_auto_publish(value: Any, name: str) -> None:
    if value not in AUTO_PUBLISH_CHOICES:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, AUTO_PUBLISH_CHOICES))}, not {value!r}.")


def _check_days_or_never(value: Any, name: str) -> None:
    """A whole number of days from 0 to 3650, or off: ``None`` in the config, ``"never"`` in either."""
    if not (value is None or value == NEVER or _days(value)):
        raise ValueError(f'{name} must be a whole number of days from 0 to 3650, or "never", not {value!r}.')


def days_or_never(value: Any) -> int | None:
    """The days of a setting checked by :func:`_check_days_or_never`; ``None`` for never."""
    return None if value is None or value == NEVER else int(value)


def _check_share(value: Any, name: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number from 0 up to (not including) 1, not {value!r}.")


#: The shop-wide settings an owner may change in the admin's Settings page, by the name the page gives them.
SHOP_SETTINGS = {
    "JOURNEYKIT_REVIEWS_AUTO_PUBLISH": "auto_publish",
    "JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS": "publish_after_days",
    "JOURNEYKIT_REVIEW_REQUEST_DAYS": "review_request_days",
    "JOURNEYKIT_HOLDOUT_SHARE": "holdout_share",
}

#: The referrals' settings an owner may change in the admin, by the name the admin gives them.
REFERRAL_SETTINGS = {
    "JOURNEYKIT_REFERRAL_FRIEND_REWARD": "friend_reward",
    "JOURNEYKIT_REFERRAL_REFERRER_COUPON": "referrer_coupon",
    "JOURNEYKIT_REFERRAL_HOLD_DAYS": "hold_days",
    "JOURNEYKIT_REFERRAL_MAX_PER_MONTH": "max_per_month",
    "JOURNEYKIT_REFERRAL_REVIEW_SCORE": "review_score",
    "JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS": "attribution_days",
    "JOURNEYKIT_REFERRAL_LANDING_PATH": "landing_path",
    "JOURNEYKIT_REFERRAL_CLICK_SPIKE": "click_spike",
}

#: Every config key the owner may override in the admin (:mod:`journeykit.core.settings`), with its check
#: ``check(value, name)``: the very check the config passes at start.
SETTINGS: dict[str, Any] = {
    "JOURNEYKIT_POINTS_PER_UNIT": _check_points_per_unit,
    **{key: _check_bonus for key in ("JOURNEYKIT_POINTS_SIGNUP", "JOURNEYKIT_POINTS_REVIEW",
                                     "JOURNEYKIT_POINTS_BIRTHDAY", "JOURNEYKIT_POINTS_REFERRAL")},
    "JOURNEYKIT_POINTS_PENDING_DAYS": _check_pending_days,
    "JOURNEYKIT_REFERRAL_FRIEND_REWARD": _check_discount(percent=True),
    "JOURNEYKIT_REFERRAL_REFERRER_COUPON": _check_discount(percent=False),
    **{key: _check_referral_number(key) for key in REFERRAL_NUMBERS},
    "JOURNEYKIT_REFERRAL_LANDING_PATH": _check_landing_path,
    "JOURNEYKIT_REVIEWS_AUTO_PUBLISH": _check_auto_publish,
    "JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS": _check_days_or_never,
    "JOURNEYKIT_REVIEW_REQUEST_DAYS": _check_days_or_never,
    "JOURNEYKIT_HOLDOUT_SHARE": _check_share,
}


#: The largest amount a money-spent tier may ask for, in minor units (a typo's extra zeros, not a real threshold).
MAX_SPENT = 10**12


def _check_tiers(tiers: Any) -> None:
    """Named, each reached by points earned (``"points": 500``) or by money spent (``"spent": {"usd": 50000}``, minor
    units, any currency's amount reaching it), with thresholds rising from one tier to the next of the same measure
    (per currency for money), and a whole bonus in percent."""
    problem = None
    if not isinstance(tiers, (list, tuple)):
        problem = "a list"
    else:
        previous: dict[str, int] = {}  # the last threshold per measure: "points", or a currency
        names: set[str] = set()
        for tier in tiers:
            fields = tier if isinstance(tier, dict) else {}
            name, bonus = fields.get("name"), fields.get("bonus_percent", 0)
            thresholds = _thresholds(fields)
            if not (isinstance(name, str) and 0 < len(name) <= 40 and name != "member" and name not in names):
                problem = "tiers with distinct names of 1 to 40 characters (not 'member')"
            elif thresholds is None:
                problem = ("tiers each with either points (1 to 1,000,000) or spent (whole amounts in minor units "
                           "per lower-case currency), not both")
            elif any(amount <= previous.get(measure, 0) for measure, amount in thresholds.items()):
                problem = "thresholds that rise from one tier to the next of the same measure (points, or a currency)"
            elif not (isinstance(bonus, int) and not isinstance(bonus, bool) and 0 <= bonus <= 1000):
                problem = "a bonus_percent from 0 to 1000"
            if problem:
                break
            previous.update(thresholds)
            names.add(name)
    if problem:
        raise ValueError(f"JOURNEYKIT_LOYALTY_TIERS must be {problem}: e.g. "
                         f'[{{"name": "Silver", "points": 500, "bonus_percent": 10}}, '
                         f'{{"name": "Gold", "spent": {{"usd": 50000}}, "bonus_percent": 25}}], not {tiers!r}.')


def _thresholds(tier: dict[str, Any]) -> dict[str, int] | None:
    """A tier's thresholds by measure (``{"points": 500}`` or ``{"usd": 50000, …}``); ``None`` if not exactly one kind."""
    points, spent = tier.get("points"), tier.get("spent")
    if (points is None) == (spent is None):
        return None
    if points is not None:
        return {"points": points} if _whole_points(points) and points > 0 else None
    valid = isinstance(spent, dict) and spent and all(
        _currency(code) and isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= MAX_SPENT
        for code, amount in spent.items())
    return dict(spent) if valid else None


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
