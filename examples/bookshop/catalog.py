"""The shelves: the list of books and each book's page (where the review widgets go)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from .extensions import db
from .models import Book

bp = Blueprint("catalog", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/bookshop")


@bp.get("/")
def index() -> str:
    books = db.session.scalars(sa.select(Book).order_by(Book.title)).all()
    return render_template("bookshop/index.html", books=books)


@bp.get("/books/<int:book_id>")
def book(book_id: int) -> str:
    return render_template("bookshop/book.html", book=db.get_or_404(Book, book_id))
