"""Review photos over HTTP: the author uploads and removes, the owner hides and shows, anyone views.

Uploads are ``multipart/form-data`` with one file field, ``photo``; the
upload route accepts bodies up to ``JOURNEYKIT_REVIEW_PHOTO_MAX_BYTES`` more
than ``JOURNEYKIT_MAX_CONTENT_LENGTH`` (see ``journeykit_extra_body`` below).
Photos are served from ``{prefix}/photos/<id>``, outside the API, only while
they may be shown, as inert images that no browser will run as a page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import NotFound as PageNotFound

from ..core import openapi, products, rate_limits
from ..core.admin_access import admin_required, check_admin
from ..core.errors import Forbidden, Unauthorized, ValidationError
from . import lifecycle, photos
from .models import Review
from .photo_storage import storage_for
from .schemas import AdminReviewSchema, OwnReviewSchema, PhotoSchema

_own, _admin, _photo = OwnReviewSchema(), AdminReviewSchema(), PhotoSchema()

#: Headers of every photo served: never sniffed into HTML, never run as a page, embeddable anywhere.
PHOTO_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
}
#: A day: long enough for a storefront's traffic, short enough that hiding a photo takes effect.
PUBLIC_MAX_AGE = 86400


def _own_review(review_id: int) -> Review:
    """The review, if the identified shopper wrote it: 401 anonymous, 404 unknown, 403 someone else's."""
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    if shopper is None:
        raise Unauthorized("Sign in to change the photos of your review.", error_code="customer_required")
    review = lifecycle.get(review_id)
    if review.customer.shop_customer_id != str(shopper.customer_id):
        raise Forbidden("Only the review's author may change its photos.", error_code="not_the_author")
    return review


def _answer(review: Review) -> dict[str, Any]:
    return _own.dump(review)


@openapi.documented(
    body={"multipart/form-data": {"type": "object", "required": ["photo"],
                                  "properties": {"photo": {"type": "string", "format": "binary"}}}},
    response=openapi.json_object(photo=PhotoSchema, review=OwnReviewSchema), status=201,
    errors={401: "Not signed in as a customer", 403: "Not your review", 409: "The review has all the photos it may have",
            415: "Not a JPEG, PNG or WebP image"},
)
def upload_photo(review_id: int) -> tuple[dict[str, Any], int]:
    """Add a photo (multipart/form-data field ``photo``: JPEG, PNG or WebP) to your own review.

    The review goes through moderation again, as after an edit of its text.
    """
    review = _own_review(review_id)
    products.require(review.product_id)
    rate_limits.hit("review_photo", "JOURNEYKIT_REVIEWS_RATE_LIMIT",
                    f"shopper:{review.customer.shop_customer_id}", f"address:{rate_limits.client_address()}")
    upload = request.files.get("photo")
    if upload is None:
        raise ValidationError("Send the photo as the multipart/form-data file field 'photo'.",
                              fields={"photo": ["Missing data for required field."]})
    data = upload.stream.read(int(current_app.config["JOURNEYKIT_REVIEW_PHOTO_MAX_BYTES"]) + 1)
    photo = photos.attach(review, data)
    return {"photo": _photo.dump(photo), "review": _answer(review)}, 201


#: Read by the body-size limit (:mod:`journeykit.web`): this route may receive a photo on top.
upload_photo.journeykit_extra_body = "JOURNEYKIT_REVIEW_PHOTO_MAX_BYTES"  # type: ignore[attr-defined]


@openapi.documented(response=openapi.json_object(review=OwnReviewSchema),
                    errors={401: "Not signed in as a customer", 403: "Not your review"})
def delete_photo(review_id: int, photo_id: int) -> dict[str, Any]:
    """Remove a photo from your own review (moderated again, as after an edit)."""
    review = _own_review(review_id)
    photos.detach(review, photo_id)
    return {"review": _answer(review)}


def _set_hidden(review_id: int, photo_id: int, hidden: bool) -> dict[str, Any]:
    photo = photos.get(photo_id, review_id)
    photos.set_hidden(photo, hidden)
    return _admin.dump(photo.review)


@openapi.documented(response=AdminReviewSchema)
@admin_required
def admin_hide_photo(review_id: int, photo_id: int) -> dict[str, Any]:
    """Hide a photo from the storefront (the review itself stays as it is)."""
    return _set_hidden(review_id, photo_id, True)


@openapi.documented(response=AdminReviewSchema)
@admin_required
def admin_show_photo(review_id: int, photo_id: int) -> dict[str, Any]:
    """Show a hidden photo again."""
    return _set_hidden(review_id, photo_id, False)


def serve_photo(photo_id: int) -> Response:
    """The image, if it may be shown: not hidden, on a published review (the owner sees every photo)."""
    photo = photos.get_or_none(photo_id)
    if photo is None:
        raise PageNotFound()
    public = photos.publicly_visible(photo)
    if not public and not _is_admin():
        raise PageNotFound()
    try:
        data = storage_for(current_app).read(photo.storage_key)
    except KeyError:
        raise PageNotFound() from None
    response = Response(data, mimetype=photo.content_type, headers=PHOTO_HEADERS)
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
    else:
        response.cache_control.private = True
        response.cache_control.no_store = True
    response.set_etag(photo.storage_key)  # the key names these exact bytes: they never change
    return response.make_conditional(request)


def _is_admin() -> bool:
    try:
        check_admin(current_app.extensions["journeykit"].journey._admin_guard)
    except (Unauthorized, Forbidden):
        return False
    return True


def register(bp: Blueprint) -> None:
    """The JSON routes, on the API blueprint."""
    bp.add_url_rule("/reviews/<int:review_id>/photos", view_func=upload_photo, methods=["POST"])
    bp.add_url_rule("/reviews/<int:review_id>/photos/<int:photo_id>", view_func=delete_photo, methods=["DELETE"])
    bp.add_url_rule("/admin/reviews/<int:review_id>/photos/<int:photo_id>/hide", view_func=admin_hide_photo, methods=["POST"])
    bp.add_url_rule("/admin/reviews/<int:review_id>/photos/<int:photo_id>/show", view_func=admin_show_photo, methods=["POST"])


def register_public(root: Blueprint) -> None:
    """The image route, on the root blueprint (``journeykit.review_photo``)."""
    root.add_url_rule("/photos/<int:photo_id>", endpoint="review_photo", view_func=serve_photo, methods=["GET"])
