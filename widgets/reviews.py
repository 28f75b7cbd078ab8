"""The reviews and rating widgets and the buyers' review prompt, rendered on the server so search engines see them.

The reviews fragment carries schema.org JSON-LD (a Product with its
AggregateRating and Review items, as Google's review snippets require), so a
shop's reviews count for search without any JavaScript.  For an identified
shopper it also carries their own review (a pending one is shown to them
alone), and the form to write it or, once written, to edit it: a plain HTML
form that posts back here, so it works without JavaScript; embed.js sends it
in the background and swaps in the widget the server answers.  A buyer who has
not reviewed the product finds the form open under a prompt.  Every review
carries the anchor ``#journeykit-review-<id>`` the Google feed links to.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from flask import current_app, request, url_for

from journeykit import reviews
from journeykit.core import products, signals
from journeykit.core.errors import APIError, Unauthorized
from journeykit.core.identity import TOKEN_HEADER, read_token

from .review_words import Words

if TYPE_CHECKING:
    from journeykit.core.identity import Shopper
    from journeykit.reviews.models import Review

log = logging.getLogger("journeykit")

#: How many reviews the server renders (the embed script pages through the rest).
FIRST_PAGE = 5
#: The form's fields whose errors are shown beside them.
_FIELDS = ("rating", "title", "body")


@dataclass(frozen=True)
class Sent:
    """What became of a review form sent in this request: the review saved, or why not (the form as sent)."""

    values: Mapping[str, str]
    review: Review | None = None
    created: bool = False
    error: APIError | None = None
    #: The shopper the form's token named (``None``: no valid token).
    shopper: Shopper | None = None

    @property
    def status(self) -> int:
        """201 for a new review, 200 for an edit, else the refusal's 4xx."""
        if self.error is not None:
            return int(self.error.code or 400)
        return 201 if self.created else 200


def rating_context(product_id: str, lang: str | None = None) -> dict[str, Any]:
    t = Words(lang)
    summary = reviews.rating(product_id)
    average = summary["average"]
    return {"t": t, "rating": summary, "stars_percent": round(average / 5 * 100) if average else 0,
            "average_text": t.number(average) if average else ""}


def reviews_context(product_id: str, name: str | None = None, *, lang: str | None = None, sent: Sent | None = None,
                    back: str | None = None, cursor: str | None = None) -> dict[str, Any]:
    """What ``journeykit/widgets/reviews.html`` shows: the first page, the summary, the JSON-LD, the shopper's part.

    The product is named by ``name``, else by the shop's product loader, else
    by its id.  The first page is the API's ``newest`` page, and its cursor
    goes into the page, so embed.js pages on from there without fetching it
    again (``cursor`` renders a later page alone, for the script).  The
    shopper is the one the form ``sent`` names, else the request's; ``back``
    is the page a form sent without JavaScript returns to.
    """
    facts = products.describe(product_id) or {}
    given, name = name, name or facts.get("name") or product_id
    shown, next_cursor = reviews.published_page(product_id, "newest", limit=FIRST_PAGE, cursor=cursor)
    context = rating_context(product_id, lang)
    t = context["t"]
    me = None if cursor else _shoppers_part(product_id, t, sent.shopper if sent is not None else current_shopper(), sent)
    context.update(
        reviews=shown, next_cursor=next_cursor, product_name=name, me=me, said=_said(t, sent), uid=secrets.token_hex(4),
        json_ld=json_ld(product_id, {**facts, "name": name}, context["rating"], shown), back=back,
        action=url_for("journeykit.widgets.fragment", kind="reviews", product=product_id, _external=True,
                       **{key: value for key, value in (("name", given), ("lang", lang)) if value}),
        loaded=t.counted("loaded", len(shown)),
    )
    return context


def current_shopper() -> Shopper | None:
    """The request's shopper; a token that expired or was tampered with shows the widget as to anyone (it only reads)."""
    try:
        return current_app.extensions["journeykit"].journey.current_shopper()
    except Unauthorized:
        return None


def _shoppers_part(product_id: str, t: Words, shopper: Shopper | None, sent: Sent | None) -> dict[str, Any] | None:
    """The shopper's own review, the form (filled with that review, or with what they sent), and the buyer's prompt."""
    token = _token(shopper, sent)
    if shopper is None or token is None:
        return None
    own = reviews.own_review(shopper, product_id)
    error = sent.error if sent is not None else None
    values: Mapping[str, str] = {"rating": str(own.rating), "title": own.title, "body": own.body} if own else {}
    if sent is not None and error is not None:  # refused: the form again as they sent it
        values = sent.values
    prompt = own is None and reviews.awaits_review(shopper, product_id)
    return {"token": token, "own": own, "prompt": prompt, "open": error is not None or prompt, "filled": values,
            "errors": _field_errors(t, error, values) if error is not None else {}}


def _token(shopper: Shopper | None, sent: Sent | None) -> str | None:
    """The customer token the form carries: the one that named the shopper, else one made for them now."""
    if shopper is None:
        return None
    if sent is not None:
        return sent.values.get("customer_token")
    return request.headers.get(TOKEN_HEADER) or customer_token(shopper)


def customer_token(shopper: Shopper) -> str | None:
    """A customer token for ``shopper``; ``None`` (and an error logged) for an id too long for JourneyKit to store."""
    try:
        return current_app.extensions["journeykit"].journey.customer_token(shopper.customer_id, shopper.email, shopper.name)
    except ValueError as exc:  # the page still works, without the form
        log.error("journeykit: no customer token for the signed-in shopper: %s", exc)
        return None


def _field_errors(t: Words, error: APIError, values: Mapping[str, str]) -> dict[str, str]:
    """The refusal's messages by field, in the shopper's words where the widget has its own."""
    errors: dict[str, str] = {}
    for name in _FIELDS:
        messages = error.fields.get(name)
        if not messages:
            continue
        if name == "rating":
            errors[name] = t.need_rating
        elif name == "body" and not values.get("body", "").strip():
            errors[name] = t.need_body
        else:
            errors[name] = " ".join(messages) if isinstance(messages, list) else str(messages)
    return errors


def _said(t: Words, sent: Sent | None) -> str:
    """What the widget's status line says after a form was sent (nothing otherwise)."""
    if sent is None:
        return ""
    if sent.error is None:
        published = sent.review is not None and sent.review.status is reviews.ReviewStatus.PUBLISHED
        return getattr(t, ("" if sent.created else "edit_") + ("published" if published else "pending"))
    if isinstance(sent.error, Unauthorized):
        return t.sign_in
    if any(name in sent.error.fields for name in _FIELDS):
        return t.fix
    return t.failed.format(m=sent.error.description)


def send(product_id: str, form: Mapping[str, str]) -> Sent:
    """Save the review a form sent for ``product_id``, as the shopper its ``customer_token`` names, and commit.

    The token is the form's only proof of who sends it: the shop's login
    (cookies) is not read here, so another site cannot send a review in a
    shopper's name (no CSRF), and a shop's own CSRF protection need not
    know this form.  A refusal changes nothing and says why.
    """
    shopper = None
    try:
        shopper = read_token(current_app._get_current_object(), form.get("customer_token") or "")  # type: ignore[attr-defined]
        reviews.check_product(product_id)
        review, created = reviews.write(shopper, product_id, reviews.form_data(form))
        signals.commit()
    except APIError as exc:
        signals.rollback()
        return Sent(values=form, error=exc, shopper=shopper)
    return Sent(values=form, review=review, created=created, shopper=shopper)


def same_site(target: str | None) -> str | None:
    """``target`` without its fragment if it is a page of this site (a path, or this host's address), else ``None``."""
    parts = urlsplit(target or "")
    here = (not parts.scheme and not parts.netloc and parts.path.startswith("/")) or (
        parts.scheme in ("http", "https") and parts.netloc == request.host)
    plain = target and "\\" not in target and target.isprintable()  # no control characters: it goes into a header
    return urlunsplit(parts._replace(fragment="")) if plain and here else None


def back_to(target: str | None, product_id: str, review_id: int) -> str:
    """Where a form sent without JavaScript returns: the page it came from (on this site only), at the review."""
    anchor = f"journeykit-review-{review_id}"
    page = same_site(target)
    if page is None:
        return url_for("journeykit.widgets.fragment", kind="reviews", product=product_id, _anchor=anchor)
    return f"{page}#{anchor}"


def prompt_context(checkout_session_id: str, lang: str | None = None) -> dict[str, Any] | None:
    """What ``journeykit/widgets/review_prompt.html`` asks on an order's thank-you page, or ``None``: nothing to ask."""
    asked = reviews.order_prompt(str(checkout_session_id), current_shopper())
    if asked is None:
        return None
    link = asked["url"]
    return {"t": Words(lang), "items": [{"name": products.name(product_id), "url": f"{link}#review-{quote(product_id, safe='')}"}
                                        for product_id in asked["products"]]}


#: The loader's facts that schema.org's Product carries as they are.
_SCHEMA_FACTS = ("url", "image", "gtin", "mpn")


def json_ld(product_id: str, facts: dict[str, Any], summary: dict[str, Any], shown: list[Review]) -> dict[str, Any]:
    """A schema.org Product with its rating and reviews (Google's review-snippet shape)."""
    product: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "name": facts["name"], "sku": product_id,
                               **{key: facts[key] for key in _SCHEMA_FACTS if facts.get(key)}}
    if facts.get("brand"):
        product["brand"] = {"@type": "Brand", "name": facts["brand"]}
    if summary["count"]:
        product["aggregateRating"] = {
            "@type": "AggregateRating", "ratingValue": summary["average"], "reviewCount": summary["count"],
            "bestRating": 5, "worstRating": 1,
        }
        product["review"] = [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": review.author},
                "datePublished": review.published_at.date().isoformat(),
                "name": review.title or None,
                "reviewBody": review.body,
                "reviewRating": {"@type": "Rating", "ratingValue": review.rating, "bestRating": 5, "worstRating": 1},
            }
            for review in shown
        ]
    return product
