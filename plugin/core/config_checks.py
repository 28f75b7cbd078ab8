"""What each configurable value may be: the checks the app's config passes at start and the owner's changes in the
admin pass too (:mod:`journeykit.core.settings`), and which keys the owner may change (:data:`SETTINGS`).

Each check raises :class:`ValueError` with a message naming the key (or the
name the admin gives it) and an example of a good value.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit


def check_config(config: Mapping[str, Any]) -> None:
    """Raise :class:`ValueError` for the first ``JOURNEYKIT_*`` value that is not one JourneyKit can work with."""
    for key in SHOP_SETTINGS:
        check_setting(key, config[key])
    for key in EARNING_RULES.values():
        check_setting(key, config[key])
    for days, least in (("JOURNEYKIT_POINTS_EXPIRE_AFTER_DAYS", 0), ("JOURNEYKIT_POINTS_EXPIRY_WARNING_DAYS", 0),
                        ("JOURNEYKIT_LOYALTY_TIER_WINDOW_DAYS", 1), ("JOURNEYKIT_LOYALTY_CODE_DAYS", 1)):
        value = config[days]
        if not (isinstance(value, int) and not isinstance(value, bool) and least <= value <= 3650):
            raise ValueError(f"{days} must be a whole number of days from {least} to 3650, not {value!r}.")
    _check_tiers(config["JOURNEYKIT_LOYALTY_TIERS"])
    _check_rewards(config["JOURNEYKIT_LOYALTY_REWARDS"])
    for key in REFERRAL_SETTINGS:
        check_setting(key, config[key])
    for switch in ("JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE", "JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC", "JOURNEYKIT_EARLY_READS"):
        if not isinstance(config[switch], bool):
            raise ValueError(f"{switch} must be True or False, not {config[switch]!r}.")


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
