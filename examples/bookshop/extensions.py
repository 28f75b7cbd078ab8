"""The shop's extensions, created unbound and bound by :func:`examples.bookshop.create_app`."""

from __future__ import annotations

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from journeykit import JourneyKit


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
csrf = CSRFProtect()
journey = JourneyKit()
