"""The second example host, examples/bookshop, booted on every database and browsed in Chromium.

A shop built unlike the demo (app factory, blueprints, Flask-Login, Flask-WTF's
CSRF, a dark design) mounts JourneyKit with the README's lines only; a shopper
signs in with the shop's own form and reviews a book through the widget, with
no token plumbing, and the owner publishes it from JourneyKit's admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from examples.bookshop import create_app
from examples.bookshop.extensions import db
from examples.bookshop.seed import PASSWORD, seed

from .browser_site import screenshot, serve

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


@pytest.fixture
def bookshop(database_url: str) -> Iterator[str]:
    """The bookshop, seeded (its tables and JourneyKit's, through ``journey.create_all()``), served on loopback."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bookshop-test-secret"})
    with app.app_context():
        seed()
    base, server = serve(app)
    yield base
    server.shutdown()
    _dispose(app)


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _sign_in(page: Page, base: str, email: str, then: str) -> None:
    page.goto(f"{base}{then}")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _fits(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")


def test_a_shopper_signed_in_with_flask_login_reviews_a_book_and_the_owner_publishes_it(browser: Any, bookshop: str):
    shopper = browser.new_context(viewport=PHONE)
    page = shopper.new_page()
    page.goto(f"{bookshop}/books/1")
    reviews = page.locator("journeykit-reviews")
    expect(reviews.get_by_role("region", name="Customer reviews of The Left Hand of Darkness")).to_be_visible()
    expect(reviews.get_by_role("button", name="Write a review")).to_have_count(0)  # anonymous: the shop asks to sign in
    _sign_in(page, bookshop, "iris@example.com", "/books/1")
    assert page.url == f"{bookshop}/books/1"
    reviews.get_by_role("button", name="Write a review").click()  # the shop's login alone: no token plumbing
    page.get_by_role("radio", name="5 stars").check(force=True)
    reviews.get_by_label("Your review").fill("Read it twice; better the second time.")
    reviews.get_by_role("button", name="Send review").click()
    expect(reviews.get_by_role("status").filter(has_text="Thanks — your review is waiting for approval.")).to_be_visible()
    expect(reviews.get_by_label("Your review")).to_be_hidden()  # sent: the form closes, the review shows in place
    expect(reviews.locator(".journeykit-own")).to_contain_text("Read it twice; better the second time.")
    expect(reviews.get_by_role("button", name="Edit your review")).to_be_focused()
    assert _fits(page)
    screenshot(page, "bookshop-review-sent-phone.png")
    shopper.close()

    owner = browser.new_context(viewport=DESKTOP)
    page = owner.new_page()
    _sign_in(page, bookshop, "owner@example.com", "/")
    page.get_by_role("link", name="Shop admin").click()
    page.goto(f"{bookshop}/journeykit/admin/reviews")
    row = page.locator("li.review", has_text="Read it twice")
    expect(row).to_contain_text("The Left Hand of Darkness")  # the product loader names the book
    expect(row).to_contain_text("Iris Murdoch")  # the loader's third value, the shopper's name
    row.get_by_role("button", name="Publish").click()
    expect(row).to_contain_text("Published")
    owner.close()

    visitor = browser.new_context(viewport=DESKTOP)
    page = visitor.new_page()
    page.goto(f"{bookshop}/books/1")
    expect(page.locator("journeykit-reviews")).to_contain_text("Read it twice; better the second time.")
    expect(page.get_by_role("img", name="Rated 5 out of 5, 1 review").first).to_be_visible()
    assert _fits(page)
    screenshot(page, "bookshop-book-desktop.png")
    visitor.close()


def test_the_shops_own_csrf_still_guards_its_forms_beside_journeykit(bookshop: str):
    import requests

    refused = requests.post(f"{bookshop}/login", data={"email": "iris@example.com", "password": PASSWORD}, timeout=10)
    assert refused.status_code == 400 and "CSRF" in refused.text
