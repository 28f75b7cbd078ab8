"""``flask --app examples.bookshop seed``: the shop's tables, JourneyKit's, two customers and a few books."""

from __future__ import annotations

import click
import sqlalchemy as sa

from .extensions import db, journey
from .models import Book, User

BOOKS = [
    ("The Left Hand of Darkness", "Ursula K. Le Guin", "9780441478125", 650),
    ("Middlemarch", "George Eliot", "9780141439549", 500),
    ("A Wizard of Earthsea", "Ursula K. Le Guin", "9780547773742", 550),
    ("The Remains of the Day", "Kazuo Ishiguro", "9780571258246", 600),
]
#: Sign in as a customer (iris@example.com) or the owner (owner@example.com); the password of both.
PASSWORD = "second-chapter"


def seed() -> None:
    """Create the tables (the shop's, then JourneyKit's) and fill an empty shop; safe to run again."""
    db.create_all()
    journey.create_all()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Book)):
        return
    for title, author, isbn, price in BOOKS:
        db.session.add(Book(title=title, author=author, isbn=isbn, price_pence=price))
    for email, name, is_owner in (("iris@example.com", "Iris Murdoch", False), ("owner@example.com", "Sam Owner", True)):
        user = User(email=email, name=name, is_owner=is_owner)
        user.set_password(PASSWORD)
        db.session.add(user)
    db.session.commit()


@click.command("seed")
def seed_command() -> None:
    """Create the tables and seed an empty shop."""
    seed()
    click.echo(f"Seeded. Sign in as iris@example.com or owner@example.com, password {PASSWORD!r}.")
