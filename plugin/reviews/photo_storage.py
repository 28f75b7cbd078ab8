"""Where review photos' bytes live: a small interface, and local disk by default.

A shop that keeps files elsewhere (S3, a CDN origin…) plugs its own object in::

    journey = JourneyKit(app, db=db)
    journey.photo_storage = MyS3Storage(bucket="shop-photos")

Keys are always made by JourneyKit (:func:`new_key`: random hex and the
extension of the type decided from the bytes), never from anything the client
sent, so a storage never sees a path, a file name or a ``..``.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from typing import Protocol, runtime_checkable

from flask import Flask

#: What :func:`new_key` makes: 32 hex digits and a known extension; nothing else is ever accepted.
KEY_PATTERN = re.compile(r"\A[0-9a-f]{32}\.(?:jpg|png|webp)\Z")


@runtime_checkable
class PhotoStorage(Protocol):
    """What JourneyKit needs from a place to keep photos.

    ``save`` must be complete (or raise) when it returns; ``read`` raises
    :class:`KeyError` for a key it does not hold; ``delete`` of a missing key
    does nothing, so deleting twice is harmless.
    """

    def save(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


def new_key(extension: str) -> str:
    """A fresh, unguessable key such as ``3f…9a.jpg`` (128 random bits)."""
    key = f"{secrets.token_hex(16)}.{extension}"
    check_key(key)
    return key


def check_key(key: str) -> str:
    """Refuse anything that is not a key :func:`new_key` could have made (``ValueError``)."""
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ValueError(f"Not a JourneyKit photo key: {key!r}")
    return key


class LocalDiskStorage:
    """Photos as files under ``root``, spread over 256 sub-folders by the key's first two digits."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        #: The folder holding the photos (created on the first save).
        self.root = os.path.abspath(os.fspath(root))

    def path(self, key: str) -> str:
        """The file of ``key``; only well-formed keys get one, so it is always inside :attr:`root`."""
        check_key(key)
        return os.path.join(self.root, key[:2], key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Write through a temporary file and rename it, so a reader never sees half a photo."""
        path = self.path(key)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise

    def read(self, key: str) -> bytes:
        try:
            with open(self.path(key), "rb") as file:
                return file.read()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            pass


def storage_for(app: Flask) -> PhotoStorage:
    """The storage of ``app``: the shop's own (``journey.photo_storage``), else local disk.

    Local disk is ``JOURNEYKIT_REVIEW_PHOTOS_DIR``, else ``journeykit-photos``
    in the app's instance folder (outside the static folder: photos are only
    served through JourneyKit, which checks that they may be shown).
    """
    journey = app.extensions["journeykit"].journey
    if journey.photo_storage is not None:
        return journey.photo_storage
    root = app.config["JOURNEYKIT_REVIEW_PHOTOS_DIR"] or os.path.join(app.instance_path, "journeykit-photos")
    return LocalDiskStorage(root)
