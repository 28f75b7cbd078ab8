"""Review photos: real images made with Pillow, checked by their bytes, cleaned, stored, hidden, served."""

from __future__ import annotations

import html
import io
import os
import re
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from journeykit.models import Review, ReviewPhoto
from journeykit.reviews.photo_storage import (
    KEY_PATTERN,
    LocalDiskStorage,
    PhotoStorage,
    new_key,
    storage_for,
)

API = "/journeykit/api/v1"
PRODUCT = f"{API}/products/sku-1"
ADMIN = f"{API}/admin/reviews"


# -- images -------------------------------------------------------------------

def image(fmt: str = "JPEG", size: tuple[int, int] = (40, 30), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, fmt, **save)
    return buffer.getvalue()


def noise(size: tuple[int, int]) -> bytes:
    """A PNG of random pixels: it compresses to about 3 bytes a pixel."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (the decompression-bomb shape)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def one_bit_bomb() -> bytes:
    """A real, valid PNG of 36 million pixels in a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buffer, "PNG")
    return buffer.getvalue()


def gps_jpeg() -> bytes:
    """A JPEG with GPS coordinates, a camera make, a comment and a "rotate 90°" orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (48.0, 51.0, 29.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (2.0, 17.0, 40.0)}
    return image("JPEG", (40, 30), exif=exif, comment=b"home address")


# -- the shop and its shoppers -------------------------------------------------

class MemoryStorage:
    """A shop's own storage (as an S3 adapter would be), keeping photos in a dict."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.files[key] = (data, content_type)

    def read(self, key: str) -> bytes:
        return self.files[key][0]

    def delete(self, key: str) -> None:
        self.files.pop(key, None)


@pytest.fixture
def photo_dir(tmp_path):
    return tmp_path / "photos"


@pytest.fixture
def shop(shop_factory, photo_dir):
    return shop_factory(config={"JOURNEYKIT_REVIEW_PHOTOS_DIR": str(photo_dir), "JOURNEYKIT_REVIEWS_RATE_LIMIT": "1000 per hour"})


@pytest.fixture
def published(client, shopper, stripe_events, deliver_stripe_event):
    """A verified buyer's published review of sku-1: (review id, the author's headers)."""
    assert deliver_stripe_event(stripe_events.checkout_completed(customer_id="buyer-1", products=["sku-1"])).status_code == 200
    headers = shopper("buyer-1", name="Bea O'Buyer")
    response = client.post(f"{PRODUCT}/reviews", json={"rating": 5, "title": "Lovely", "body": "Holds heat."}, headers=headers)
    assert response.json["status"] == "published"
    return response.json["id"], headers


def upload(client, review_id: int, data: bytes, headers: dict[str, str], filename: str = "photo.jpg",
           content_type: str = "image/jpeg", field: str = "photo"):
    """POST the file as a browser's form would (encoded here: the test client leaks a temporary file for big ones)."""
    boundary = "journeykit-test-boundary-7f3a"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"{API}/reviews/{review_id}/photos", data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def img_tags(html: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'([a-z-]+)="([^"]*)"', tag)) for tag in re.findall(r"<img\b[^>]*>", html)]


def files_in(folder) -> list[str]:
    return sorted(path.name for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def photo_rows(db) -> list[tuple[int, str, str, bool]]:
    rows = db.session.execute(sa.select(ReviewPhoto.id, ReviewPhoto.storage_key, ReviewPhoto.content_type, ReviewPhoto.hidden)
                              .order_by(ReviewPhoto.id)).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


def served(client, url: str, **kwargs):
    return client.get(url.removeprefix("http://localhost"), **kwargs)


# -- uploading and serving ------------------------------------------------------

def test_jpeg_png_and_webp_are_stored_cleaned_and_served_as_inert_images(client, db, published, photo_dir):
    review_id, headers = published
    sent = {"JPEG": image("JPEG", (40, 30)), "PNG": image("PNG", (20, 10)), "WEBP": image("WEBP", (16, 16))}
    photos = []
    for fmt, data in sent.items():
        response = upload(client, review_id, data, headers, filename=f"holiday.{fmt.lower()}")
        assert response.status_code == 201, response.json
        assert response.json["review"]["status"] == "published"  # moderated again: the policy republishes it
        photos.append(response.json["photo"])
    assert [(p["width"], p["height"]) for p in photos] == [(40, 30), (20, 10), (16, 16)]
    assert len(files_in(photo_dir)) == 3

    listed = client.get(f"{PRODUCT}/reviews").json["items"][0]["photos"]
    assert listed == photos and set(listed[0]) == {"id", "url", "width", "height"}
    for photo, (fmt, _), content_type in zip(photos, sent.items(), ["image/jpeg", "image/png", "image/webp"]):
        response = served(client, photo["url"])
        assert response.status_code == 200 and response.headers["Content-Type"] == content_type
        assert Image.open(io.BytesIO(response.data)).format == fmt
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response.cache_control.public and response.cache_control.max_age >= 86400
        assert "Set-Cookie" not in response.headers
        again = served(client, photo["url"], headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


def test_the_type_is_decided_from_the_bytes_not_the_name_or_header(client, db, published, photo_dir):
    review_id, headers = published
    response = upload(client, review_id, image("PNG"), headers, filename="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 201
    [(_, key, content_type, _)] = photo_rows(db)
    assert content_type == "image/png" and key.endswith(".png") and files_in(photo_dir) == [key]
    assert served(client, response.json["photo"]["url"]).headers["Content-Type"] == "image/png"


def test_exif_gps_comments_and_orientation_are_not_kept(client, db, published, photo_dir):
    review_id, headers = published
    original = gps_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file does carry GPS
    response = upload(client, review_id, original, headers)
    assert (response.json["photo"]["width"], response.json["photo"]["height"]) == (30, 40)  # turned upright
    stored = served(client, response.json["photo"]["url"]).data
    cleaned = Image.open(io.BytesIO(stored))
    assert not cleaned.getexif() and not cleaned.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "comment" not in cleaned.info and b"SpyCam" not in stored and b"home address" not in stored


def test_a_polyglot_keeps_only_its_picture(client, published):
    review_id, headers = published
    response = upload(client, review_id, image("JPEG") + b"<html><script>alert(document.domain)</script></html>", headers)
    assert response.status_code == 201
    assert b"<script>" not in served(client, response.json["photo"]["url"]).data


BAD_FILES = {
    "text named .jpg": (b"just some words, honestly a photo", 415, "unsupported_media_type"),
    "HTML": (b"<!doctype html><script>alert(1)</script>", 415, "unsupported_media_type"),
    "HTML before PNG bytes": (b"<html><script>alert(1)</script>" + image("PNG"), 415, "unsupported_media_type"),
    "SVG": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 415, "unsupported_media_type"),
    "GIF": (image("GIF"), 415, "unsupported_media_type"),
    "empty": (b"", 415, "unsupported_media_type"),
    "truncated PNG": (noise((60, 60))[:3000], 422, "invalid_image"),
    "JPEG signature, junk after": (b"\xff\xd8\xff\xe0" + b"\x00junk" * 20, 422, "invalid_image"),
    "PNG claiming 36 Mpx": (png_declaring(6000, 6000), 413, "too_many_pixels"),
    "PNG claiming 100 Mpx (Pillow warns)": (png_declaring(10_000, 10_000), 413, "too_many_pixels"),
    "PNG claiming 10 Gpx (Pillow refuses)": (png_declaring(100_000, 100_000), 413, "too_many_pixels"),
    "valid 1-bit PNG of 36 Mpx": (one_bit_bomb(), 413, "too_many_pixels"),
}


def test_bad_files_are_refused_with_a_clear_code_and_nothing_is_stored(client, db, published, photo_dir):
    review_id, headers = published
    for name, (data, status, code) in BAD_FILES.items():
        response = upload(client, review_id, data, headers)
        assert (response.status_code, response.json["error"]["code"]) == (status, code), name
        assert "photo" in response.json["error"]["fields"], name
    assert photo_rows(db) == [] and files_in(photo_dir) == []
    missing = upload(client, review_id, image(), headers, field="picture")
    assert missing.status_code == 422 and "photo" in missing.json["error"]["fields"]
    assert client.get(f"{PRODUCT}/reviews").json["items"][0]["photos"] == []


def test_size_limits_apply_to_photos_and_the_upload_route_alone_takes_more_than_the_body_limit(
    client, published, shop_factory, tmp_path
):
    review_id, headers = published
    big = noise((600, 560))  # about 1 MB: far above the 64 KiB API body limit, under the 5 MiB photo limit
    assert len(big) > 15 * 65536
    assert upload(client, review_id, big, headers).status_code == 201

    app, _, journey = shop_factory(config={"JOURNEYKIT_REVIEW_PHOTO_MAX_BYTES": 50_000,
                                           "JOURNEYKIT_REVIEW_PHOTOS_DIR": str(tmp_path / "small")})
    small = app.test_client()
    with app.app_context():
        token = {"X-JourneyKit-Customer": journey.customer_token("c-9")}
    review = small.post(f"{PRODUCT}/reviews", json={"rating": 4, "body": "Fine."}, headers=token).json
    over_photo = upload(small, review["id"], noise((150, 140)), token)  # ~63 KB: over the photo limit only
    assert (over_photo.status_code, over_photo.json["error"]["code"]) == (413, "payload_too_large")
    over_body = upload(small, review["id"], noise((250, 200)), token)  # ~150 KB: over photo + body limits
    assert (over_body.status_code, over_body.json["error"]["code"]) == (413, "payload_too_large")
    assert files_in(tmp_path / "small") == []
    assert small.post(f"{PRODUCT}/reviews", json={"rating": 4, "body": "x" * 70_000}, headers=token).status_code == 413


def test_a_review_carries_at_most_the_configured_number_of_photos(client, db, published, photo_dir):
    review_id, headers = published
    for _ in range(4):
        assert upload(client, review_id, image(), headers).status_code == 201
    fifth = upload(client, review_id, image(), headers)
    assert (fifth.status_code, fifth.json["error"]["code"]) == (409, "too_many_photos")
    assert len(photo_rows(db)) == 4 and len(files_in(photo_dir)) == 4


# -- who may change photos -------------------------------------------------------

def test_only_the_author_may_add_or_remove_photos(client, db, published, shopper, photo_dir):
    review_id, headers = published
    anonymous = upload(client, review_id, image(), {})
    assert (anonymous.status_code, anonymous.json["error"]["code"]) == (401, "customer_required")
    other = upload(client, review_id, image(), shopper("someone-else"))
    assert (other.status_code, other.json["error"]["code"]) == (403, "not_the_author")
    assert upload(client, 999_999, image(), headers).status_code == 404
    assert photo_rows(db) == [] and files_in(photo_dir) == []

    photo_id = upload(client, review_id, image(), headers).json["photo"]["id"]
    assert client.delete(f"{API}/reviews/{review_id}/photos/{photo_id}", headers=shopper("someone-else")).status_code == 403
    assert client.delete(f"{API}/reviews/{review_id}/photos/{photo_id}").status_code == 401
    assert client.delete(f"{API}/reviews/{review_id}/photos/{photo_id + 1}", headers=headers).status_code == 404
    assert len(files_in(photo_dir)) == 1


def test_adding_or_removing_a_photo_is_an_edit_that_goes_back_to_moderation(client, shopper, admin_headers, photo_dir):
    headers = shopper("c-2", name="Cy")
    review_id = client.post(f"{PRODUCT}/reviews", json={"rating": 5, "body": "Good."}, headers=headers).json["id"]
    assert client.post(f"{ADMIN}/{review_id}/publish", headers=admin_headers).json["status"] == "published"
    assert client.get(f"{PRODUCT}/rating").json["count"] == 1

    added = upload(client, review_id, image(), headers).json
    assert added["review"]["status"] == "pending" and client.get(f"{PRODUCT}/rating").json["count"] == 0
    url = added["photo"]["url"]
    assert served(client, url).status_code == 404  # a pending review's photo is not public
    assert served(client, url, headers=admin_headers).status_code == 200  # the owner sees it to moderate it
    assert served(client, url, headers=admin_headers).cache_control.no_store

    client.post(f"{ADMIN}/{review_id}/publish", headers=admin_headers)
    assert served(client, url).status_code == 200
    removed = client.delete(f"{API}/reviews/{review_id}/photos/{added['photo']['id']}", headers=headers)
    assert removed.status_code == 200 and removed.json["review"]["status"] == "pending"
    assert removed.json["review"]["photos"] == [] and files_in(photo_dir) == []
    assert served(client, url, headers=admin_headers).status_code == 404


# -- the owner hides photos ----------------------------------------------------------

def test_a_hidden_photo_is_neither_served_nor_listed_publicly(client, db, published, admin_headers, photo_dir):
    review_id, headers = published
    shown, hidden = (upload(client, review_id, image(), headers).json["photo"] for _ in range(2))
    assert client.post(f"{ADMIN}/{review_id}/photos/{hidden['id']}/hide").status_code == 401
    answer = client.post(f"{ADMIN}/{review_id}/photos/{hidden['id']}/hide", headers=admin_headers)
    assert answer.status_code == 200 and answer.json["status"] == "published"  # hiding is not an edit
    assert [(p["id"], p["hidden"]) for p in answer.json["photos"]] == [(shown["id"], False), (hidden["id"], True)]

    assert [p["id"] for p in client.get(f"{PRODUCT}/reviews").json["items"][0]["photos"]] == [shown["id"]]
    assert served(client, hidden["url"]).status_code == 404
    assert served(client, shown["url"]).status_code == 200
    assert served(client, hidden["url"], headers=admin_headers).status_code == 200
    [img] = img_tags(client.get("/journeykit/widgets/reviews?product=sku-1").get_data(as_text=True))
    assert img["src"] == shown["url"] and img["loading"] == "lazy"
    assert (html.unescape(img["alt"]), img["width"], img["height"]) == ("Photo from Bea O'Buyer's review", "40", "30")
    assert "O&#39;Buyer" in img["alt"]  # the author's name is escaped
    admin_items = client.get(f"{ADMIN}?status=published", headers=admin_headers).json["items"]
    assert [p["hidden"] for p in admin_items[0]["photos"]] == [False, True]
    assert len(files_in(photo_dir)) == 2  # hidden, not deleted

    assert client.post(f"{ADMIN}/{review_id}/photos/{hidden['id']}/show", headers=admin_headers).status_code == 200
    assert served(client, hidden["url"]).status_code == 200
    assert client.post(f"{ADMIN}/{review_id + 1}/photos/{hidden['id']}/hide", headers=admin_headers).status_code == 404


def test_the_moderation_page_shows_thumbnails_with_hide_and_show_buttons(client, shopper, admin_headers):
    headers = shopper("c-3", name="Di")
    review_id = client.post(f"{PRODUCT}/reviews", json={"rating": 2, "body": "Meh."}, headers=headers).json["id"]
    first, second = (upload(client, review_id, image(size=(300, 150)), headers).json["photo"] for _ in range(2))
    client.post(f"{ADMIN}/{review_id}/photos/{second['id']}/hide", headers=admin_headers)
    page = client.get("/journeykit/admin/reviews", headers=admin_headers).get_data(as_text=True)
    thumbnails = img_tags(page)
    assert [(t["src"], t["width"], t["height"]) for t in thumbnails] == [
        (f"/journeykit/photos/{first['id']}", "96", "48"), (f"/journeykit/photos/{second['id']}", "96", "48")]
    assert f'data-hide="/journeykit/api/v1/admin/reviews/{review_id}/photos/{first["id"]}/hide"' in page
    assert page.count('data-photo-action="hide"') == 1 and page.count('data-photo-action="show"') == 1


# -- files follow rows -------------------------------------------------------------

def test_deleting_a_review_removes_its_files_after_the_commit_and_a_failed_commit_keeps_them(client, db, published, photo_dir):
    review_id, headers = published
    for _ in range(2):
        upload(client, review_id, image(), headers)
    [(photo_id, key, _, _), _] = photo_rows(db)

    db.session.delete(db.session.get(ReviewPhoto, photo_id))
    db.session.flush()
    review = db.session.get(Review, review_id)
    db.session.add(Review(product_id="sku-2", customer_id=review.customer_id, rating=9, body="x", author="x"))
    with pytest.raises(sa.exc.DatabaseError):
        db.session.commit()  # the rating check fails (MariaDB says so as error 4025): nothing was deleted, so the file stays
    db.session.rollback()
    assert key in files_in(photo_dir) and len(photo_rows(db)) == 2

    db.session.delete(db.session.get(Review, review_id))
    assert len(files_in(photo_dir)) == 2
    db.session.commit()
    assert photo_rows(db) == [] and files_in(photo_dir) == []


def test_a_shop_can_plug_its_own_storage(client, db, published, journey, photo_dir):
    review_id, headers = published
    mine = MemoryStorage()
    journey.photo_storage = mine
    assert isinstance(mine, PhotoStorage) and storage_for(client.application) is mine
    response = upload(client, review_id, image("WEBP"), headers)
    [(photo_id, key, _, _)] = photo_rows(db)
    assert mine.files[key][1] == "image/webp" and files_in(photo_dir) == []
    assert served(client, response.json["photo"]["url"]).data == mine.files[key][0]
    client.delete(f"{API}/reviews/{review_id}/photos/{photo_id}", headers=headers)
    assert mine.files == {}


def test_keys_are_ours_and_never_reach_outside_the_photo_folder(client, db, published, photo_dir, tmp_path, app):
    review_id, headers = published
    upload(client, review_id, image(), headers, filename="../../../outside.jpg")
    [(_, key, _, _)] = photo_rows(db)
    assert KEY_PATTERN.match(key) and "outside" not in key
    written = [path for path in tmp_path.rglob("*") if path.is_file() and path.name != "shop.sqlite3"]
    assert written == [photo_dir / key[:2] / key]

    storage = LocalDiskStorage(photo_dir)
    assert storage.path(key).startswith(str(photo_dir) + os.sep)
    for hostile in ["../../etc/passwd", "../" + key, key + "/..", "/etc/passwd", key.upper(), key[:-4] + ".html", "", "a" * 32 + ".jpg\n"]:
        for call in (storage.path, storage.read, storage.delete, lambda k: storage.save(k, b"x", "image/png")):
            with pytest.raises(ValueError):
                call(hostile)
    assert KEY_PATTERN.match(new_key("png")) and new_key("jpg") != new_key("jpg")
    with pytest.raises(ValueError):
        new_key("html")
    for path in ["/journeykit/photos/..%2f..%2fetc%2fpasswd", "/journeykit/photos/" + key, "/journeykit/photos/99999999999999999999"]:
        assert client.get(path).status_code == 404


def test_local_disk_is_the_instance_folder_by_default(shop_factory):
    app, _, _ = shop_factory()
    storage = storage_for(app)
    assert isinstance(storage, LocalDiskStorage) and storage.root == os.path.join(app.instance_path, "journeykit-photos")


def test_a_storage_that_fails_leaves_no_row(shop_factory, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the photo folder should be")
    app, db, journey = shop_factory(config={"JOURNEYKIT_REVIEW_PHOTOS_DIR": str(blocked)})
    client = app.test_client()
    with app.app_context():
        token = {"X-JourneyKit-Customer": journey.customer_token("c-5")}
    review_id = client.post(f"{PRODUCT}/reviews", json={"rating": 4, "body": "Fine."}, headers=token).json["id"]
    response = upload(client, review_id, image(), token)
    assert (response.status_code, response.json["error"]["code"]) == (500, "server_error")  # an outage, not bad input
    with app.app_context():
        assert photo_rows(db) == []
        assert db.session.get(Review, review_id).status.value == "pending"


def test_two_uploads_at_once_cannot_pass_the_photo_limit(shop_factory, tmp_path):
    app, db, journey = shop_factory(config={"JOURNEYKIT_REVIEW_MAX_PHOTOS": 1, "JOURNEYKIT_REVIEW_PHOTOS_DIR": str(tmp_path / "p")})
    with app.app_context():
        token = {"X-JourneyKit-Customer": journey.customer_token("c-7")}
    review_id = app.test_client().post(f"{PRODUCT}/reviews", json={"rating": 4, "body": "Fine."}, headers=token).json["id"]
    data = noise((200, 200))  # big enough that both requests are decoding at the same time
    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _: upload(app.test_client(), review_id, data, token).status_code, range(2)))
    assert statuses == [201, 409]
    assert len(files_in(tmp_path / "p")) == 1
