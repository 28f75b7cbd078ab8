"""JourneyKit in this shop: the README's mounting lines, nothing more."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_login import current_user

from .extensions import db, journey
from .models import Book


def mount(app: Flask) -> None:
    journey.init_app(app, db=db)  # after db.init_app(app)


@journey.customer_loader
def signed_in() -> tuple[int, str, str] | None:
    if not current_user.is_authenticated:  # Flask-Login's anonymous user is truthy
        return None
    return current_user.id, current_user.email, current_user.name


@journey.product_loader
def book(product_id: str) -> dict[str, Any] | None:
    found = db.session.get(Book, int(product_id)) if product_id.isdigit() else None
    return {"name": found.title, "url": url_for("catalog.book", book_id=found.id), "gtin": found.isbn,
            "brand": found.author} if found else None


@journey.admin_guard
def owner() -> str | None:
    return current_user.email if current_user.is_authenticated and current_user.is_owner else None
