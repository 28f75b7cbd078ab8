"""Review photos: checking and cleaning uploads, attaching them, hiding them, removing their files.

An upload is trusted for nothing.  Its type is decided from its first bytes
(JPEG, PNG or WebP only), never from the client's ``Content-Type`` or file
name; Pillow then decodes it under a pixel limit (decompression bombs are
refused before any pixel is decoded) and re-encodes it, which drops every
byte that is not the picture: EXIF (GPS positions, camera serial numbers),
XMP, comments, and whatever a polyglot file hid after the image.

Files and rows stay in step: a photo's file is written before its row is
committed (and deleted again if the commit fails), and removed only after the
deletion of its row was committed, by whatever code deleted it (the photo
alone, or its review through the ORM).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageOps

from ..core import audit, signals
from ..core.db import session, utcnow
from ..core.errors import (
    APIError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationError,
)
from . import lifecycle
from .models import Review, ReviewPhoto, ReviewStatus
from .photo_storage import PhotoStorage, new_key, storage_for

log = logging.getLogger("journeykit")


@dataclass(frozen=True)
class ImageFormat:
    pillow: str
    content_type: str
    extension: str
    #: Keyword arguments of Pillow's ``save`` for the re-encoded copy.
    options: tuple[tuple[str, Any], ...]


JPEG = ImageFormat("JPEG", "image/jpeg", "jpg", (("quality", 88),))
PNG = ImageFormat("PNG", "image/png", "png", ())
WEBP = ImageFormat("WEBP", "image/webp", "webp", (("quality", 85),))
#: The modes each format is written in; anything else is converted first.
_MODES = {"JPEG": ("RGB", "L"), "PNG": ("1", "L", "LA", "RGB", "RGBA", "I", "I;16"), "WEBP": ("RGB", "RGBA")}


@dataclass(frozen=True)
class CleanImage:
    """An upload that passed every check, re-encoded without metadata."""

    data: bytes
    format: ImageFormat
    width: int
    height: int


def sniff(data: bytes) -> ImageFormat | None:
    """The format named by the file's own signature (its "magic number"), or ``None``."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def clean(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Check an upload and re-encode it; raises 413, 415 or 422 with a clear code."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"A photo may be at most {max_bytes} bytes.", fields={"photo": ["Too large."]})
    kind = sniff(data)
    if kind is None:
        raise UnsupportedMediaType("A photo must be a JPEG, PNG or WebP image.", fields={"photo": ["Not a JPEG, PNG or WebP image."]})
    try:
        with Image.open(io.BytesIO(data), formats=[kind.pillow]) as image:
            _check_pixels(image.size, max_pixels)
            image.load()
            return _reencode(image, kind)
    except APIError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own, process-wide limit (far above ours) tripped while reading the header.
        raise _too_many_pixels(max_pixels) from None
    except Exception as exc:  # noqa: BLE001 - decoders fail on hostile bytes in many ways; all mean "bad file"
        log.info("journeykit: refused a review photo that does not decode: %r", exc)
        raise ValidationError(
            "The photo could not be read; it may be damaged.", error_code="invalid_image", fields={"photo": ["Damaged image."]}
        ) from None


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    """Refuse by the size the header declares, before a single pixel is decoded."""
    width, height = size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _too_many_pixels(max_pixels)


def _too_many_pixels(max_pixels: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"A photo may have at most {max_pixels} pixels.", error_code="too_many_pixels", fields={"photo": ["Too many pixels."]}
    )


def _reencode(image: Image.Image, kind: ImageFormat) -> CleanImage:
    """Upright (per the EXIF orientation), first frame only, and no metadata but the colour profile."""
    icc_profile = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if image.mode not in _MODES[kind.pillow]:
        alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if alpha and kind is not JPEG else "RGB")
    image.info = {}  # Pillow writes some of these (comments, XMP) back when saving
    options = dict(kind.options, **({"icc_profile": icc_profile} if icc_profile else {}))
    buffer = io.BytesIO()
    image.save(buffer, format=kind.pillow, **options)
    return CleanImage(buffer.getvalue(), kind, image.width, image.height)


def attach(review: Review, upload: bytes) -> ReviewPhoto:
    """Add a checked, cleaned photo to ``review`` and commit: an edit, moderated again like one.

    The file is written before the commit and deleted if the commit fails, so
    neither a row without a file nor a file without a row is left behind.
    """
    settings = current_app.config
    image = clean(upload, max_bytes=int(settings["JOURNEYKIT_REVIEW_PHOTO_MAX_BYTES"]),
                  max_pixels=int(settings["JOURNEYKIT_REVIEW_PHOTO_MAX_PIXELS"]))
    _lock(review)
    most = int(settings["JOURNEYKIT_REVIEW_MAX_PHOTOS"])
    if len(review.photos) >= most:
        raise Conflict(f"A review may carry at most {most} photos.", error_code="too_many_photos")
    photo = ReviewPhoto(
        storage_key=new_key(image.format.extension), content_type=image.format.content_type, size_bytes=len(image.data),
        width=image.width, height=image.height, position=max((p.position for p in review.photos), default=0) + 1,
    )
    review.photos.append(photo)
    lifecycle.resubmit(review)
    storage = storage_for(current_app)
    storage.save(photo.storage_key, image.data, image.format.content_type)
    try:
        signals.commit()
    except BaseException:
        signals.rollback()
        storage.delete(photo.storage_key)
        raise
    return photo


def _lock(review: Review) -> None:
    """Serialise changes to one review's photos, then reload them.

    The UPDATE takes the row lock on PostgreSQL and the write lock on SQLite,
    so two uploads at once cannot both count three photos and add a fifth.
    """
    session().execute(sa.update(Review).where(Review.id == review.id).values(updated_at=utcnow()))
    session().expire(review, ["photos"])


def detach(review: Review, photo_id: int) -> None:
    """The author removes a photo (an edit, moderated again); its file goes once that is committed."""
    _lock(review)
    photo = next((p for p in review.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound(f"Review {review.id} has no photo {photo_id}.", error_code="photo_not_found")
    review.photos.remove(photo)
    lifecycle.resubmit(review)
    signals.commit()


def get_or_none(photo_id: int) -> ReviewPhoto | None:
    return session().get(ReviewPhoto, photo_id)


def get(photo_id: int, review_id: int) -> ReviewPhoto:
    """The photo of that review (404 JSON otherwise)."""
    photo = get_or_none(photo_id)
    if photo is None or photo.review_id != review_id:
        raise NotFound(f"Review {review_id} has no photo {photo_id}.", error_code="photo_not_found")
    return photo


def set_hidden(photo: ReviewPhoto, hidden: bool) -> None:
    """The owner hides a photo from the storefront (or shows it again); the review stays as it is."""
    before = photo.hidden
    photo.hidden = hidden
    audit.record(f"photo.{'hide' if hidden else 'show'}", f"review:{photo.review_id}/photo:{photo.id}",
                 before={"hidden": before}, after={"hidden": hidden})
    signals.commit()


def publicly_visible(photo: ReviewPhoto) -> bool:
    """Whether anyone may see the photo: not hidden, on a published review."""
    return not photo.hidden and photo.review.status is ReviewStatus.PUBLISHED


# -- removing files once their rows are gone (committed) -------------------

_DOOMED = "journeykit_doomed_photos"


@sa.event.listens_for(ReviewPhoto, "after_delete")
def _remember_file(mapper: Any, connection: Any, photo: ReviewPhoto) -> None:
    """Note the file of a deleted photo row (its own deletion, or its review's, through the ORM)."""
    db_session = sa.orm.object_session(photo)
    if db_session is not None:
        db_session.info.setdefault(_DOOMED, []).append((storage_for(current_app), photo.storage_key))


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _remove_files(db_session: sa.orm.Session) -> None:
    """Delete the files of committed deletions; a failing storage is logged, never raised (the rows are gone)."""
    doomed: list[tuple[PhotoStorage, str]] = db_session.info.pop(_DOOMED, [])
    for storage, key in doomed:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - the commit happened; an orphan file is the lesser harm
            log.exception("journeykit: could not delete review photo file %s", key)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _keep_files(db_session: sa.orm.Session, transaction: sa.orm.SessionTransaction) -> None:
    """A rolled-back deletion keeps its file; a savepoint rolled back inside the transaction changes nothing."""
    if transaction.parent is None:
        db_session.info.pop(_DOOMED, None)
