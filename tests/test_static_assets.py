"""embed.js and widgets.css: versioned immutable URLs, strong ETags and 304, gzip made once and sent when accepted.

The files do not touch the database, so these run on SQLite only.
"""

from __future__ import annotations

import gzip
import pathlib
import re

import pytest
from flask import Flask, render_template_string, request

from journeykit.widgets import assets


@pytest.fixture
def backend() -> str:
    """Static files never reach the database: one backend is enough."""
    return "sqlite"


STATIC = pathlib.Path(__file__).resolve().parents[1] / "widgets" / "static" / "journeykit"
EMBED = "/journeykit/embed.js"
CSS = "/journeykit/static/journeykit/widgets.css"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _urls(app: Flask) -> tuple[str, str]:
    """The script's and the stylesheet's URLs as the shop's pages write them."""
    with app.test_request_context():
        page = render_template_string('{{ journeykit.rating("sku-1") }}{{ journeykit.embed_script() }}')
    script = re.search(r'<script src="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    link = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return script, link


@pytest.mark.parametrize("path, name", [(EMBED, "embed.js"), (CSS, "widgets.css")])
def test_pages_link_each_file_by_its_content_hash_and_that_url_is_immutable(app, path, name):
    script, link = _urls(app)
    url = {"embed.js": script, "widgets.css": link}[name]
    assert url.startswith(path + "?v=")
    version = url.partition("?v=")[2]
    assert len(version) == assets.HASH_DIGITS and version == assets.load(str(STATIC.parent), f"journeykit/{name}").version
    response = app.test_client().get(url)
    assert response.status_code == 200 and response.data == (STATIC / name).read_bytes()
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_pasted_embed_url_is_kept_briefly_and_revalidated_behind_the_page(app):
    response = app.test_client().get(EMBED)
    assert response.status_code == 200 and response.data == (STATIC / "embed.js").read_bytes()
    # Read from the header itself: Werkzeug 3.0 (the lowest allowed) has no cache_control.stale_while_revalidate.
    parts = (part.partition("=") for part in response.headers["Cache-Control"].split(","))
    directives = {name.strip(): value for name, _, value in parts}
    assert directives["max-age"] == "300" and directives["stale-while-revalidate"] == "86400"
    assert not response.cache_control.immutable and response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_bare_stylesheet_url_is_kept_a_day_not_for_ever(app):
    response = app.test_client().get(CSS)
    assert response.status_code == 200 and response.data == (STATIC / "widgets.css").read_bytes()
    assert response.cache_control.max_age == 86400 and not response.cache_control.immutable


@pytest.mark.parametrize("path, name", [(EMBED, "embed.js"), (CSS, "widgets.css")])
def test_a_stale_or_made_up_version_still_gets_the_file_but_not_for_a_year(app, path, name):
    response = app.test_client().get(f"{path}?v=0123456789abcdef")
    assert response.status_code == 200 and response.data == (STATIC / name).read_bytes()
    assert "immutable" not in response.headers["Cache-Control"]
    assert response.cache_control.max_age <= 86400


@pytest.mark.parametrize("path, name", [(EMBED, "embed.js"), (CSS, "widgets.css")])
def test_gzip_when_accepted_with_its_length_and_vary(app, path, name):
    client = app.test_client()
    zipped = client.get(path, headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == (STATIC / name).read_bytes()
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len((STATIC / name).read_bytes())
    assert "Accept-Encoding" in zipped.vary
    for refused in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, br"}):
        plain = client.get(path, headers=refused)
        assert "Content-Encoding" not in plain.headers, refused
        assert plain.data == (STATIC / name).read_bytes()
        assert int(plain.headers["Content-Length"]) == len(plain.data)
        assert "Accept-Encoding" in plain.vary
        assert plain.headers["ETag"] != zipped.headers["ETag"]  # other bytes, another strong validator


@pytest.mark.parametrize("path", [EMBED, CSS])
@pytest.mark.parametrize("headers", [{}, GZIP])
def test_a_current_copy_is_revalidated_with_a_bodiless_304(app, path, headers):
    client = app.test_client()
    first = client.get(path, headers=headers)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    again = client.get(path, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert "Accept-Encoding" in again.vary
    changed = client.get(path, headers={**headers, "If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.data == first.data


def test_head_answers_the_headers_of_get(app):
    client = app.test_client()
    got, head = client.get(EMBED, headers=GZIP), client.head(EMBED, headers=GZIP)
    assert head.status_code == 200 and head.data == b""
    for name in ("Content-Length", "Content-Encoding", "ETag", "Cache-Control"):
        assert head.headers[name] == got.headers[name]


def test_the_gzip_body_is_made_once_per_process_not_per_request(app, monkeypatch):
    app.test_client().get(EMBED, headers=GZIP)  # loaded (by this or an earlier test)
    calls = []
    monkeypatch.setattr(assets.gzip, "compress", lambda *a, **k: calls.append(a) or b"")
    for _ in range(3):
        assert app.test_client().get(EMBED, headers=GZIP).status_code == 200
    assert calls == []


def test_a_file_changed_on_disk_gets_a_new_version_and_etag(tmp_path):
    (tmp_path / "journeykit").mkdir()
    path = tmp_path / "journeykit" / "embed.js"
    path.write_text("one();")
    before = assets.load(str(tmp_path), "journeykit/embed.js")
    path.write_text("two(); // longer")
    after = assets.load(str(tmp_path), "journeykit/embed.js")
    assert after.version != before.version and gzip.decompress(after.gzipped) == b"two(); // longer"


def test_embed_js_is_answered_in_front_of_the_shop_s_app_and_nothing_else_is(app):
    seen: list[str] = []
    app.before_request(lambda: seen.append(request.path))
    client = app.test_client()
    assert client.get(EMBED, headers=GZIP).status_code == 200 and client.head(EMBED).status_code == 200
    assert seen == []  # neither the shop's hooks nor its session ran for the script
    assert client.post(EMBED).status_code == 405  # other methods are the app's to answer
    assert client.get(CSS).status_code == 200 and client.get(f"{EMBED}/x").status_code == 404
    assert seen == [EMBED, CSS, f"{EMBED}/x"]
