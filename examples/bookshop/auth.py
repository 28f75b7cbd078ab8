"""Signing in and out with Flask-Login (the form is CSRF-protected by Flask-WTF)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from .extensions import db
from .models import User

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "POST":
        user = db.session.scalar(sa.select(User).where(User.email == request.form.get("email", "")))
        if user is not None and user.check_password(request.form.get("password", "")):
            login_user(user)
            return redirect(_safe_next() or url_for("catalog.index"))
        flash("That e-mail and password do not match.")
    return render_template("bookshop/login.html")


def _safe_next() -> str | None:
    """Only a path on this site (no open redirect)."""
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("catalog.index"))
