"""JourneyKit's answers leave the shop's cookies as the browser has them (the owner's pages excepted).

The embed script's beacon leaves as a page closes (as a shopper sends the
shop's sign-in form, say) with the cookies of the page it leaves, and its
answer may come after the sign-in's.  Had that answer a session cookie, the
browser would keep it, and the shopper would be signed out again: Flask-Login,
for one, rewrites a session it finds on any request that loads the user, and
so does a shop whose sessions are permanent.  JourneyKit never means to change
the shop's cookies outside the owner's pages (whose forms keep their CSRF token
in the session), so its other answers drop every cookie but JourneyKit's own
visitor cookie, whatever the shop's hooks or session interface added.

The views mark their requests (:func:`keep_for_this_request`, from the one
``before_request`` every JourneyKit route runs) and :class:`KeepShopCookies`, a
WSGI middleware, filters the answer's headers: the session is written after the
last ``after_request`` hook, so no hook could take its cookie out.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from flask import Flask, current_app, request

#: The WSGI environ key that marks a request whose answer sets no cookie of the shop's.
MARK = "journeykit.keep_shop_cookies"
#: The blueprint whose pages may write the shop's session.
OWNER_PAGES = "journeykit.admin"


def keep_for_this_request() -> None:
    """Mark this JourneyKit request, unless it is for one of the owner's pages."""
    if OWNER_PAGES not in request.blueprints:
        request.environ[MARK] = current_app.config["JOURNEYKIT_VISITOR_COOKIE"]


def install(app: Flask) -> None:
    """Put :class:`KeepShopCookies` in front of the shop's app."""
    app.wsgi_app = KeepShopCookies(app.wsgi_app)  # type: ignore[method-assign]


class KeepShopCookies:
    """WSGI middleware: a marked request's answer loses every ``Set-Cookie`` but the visitor cookie's."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            own = environ.get(MARK)
            if own is not None:
                headers = [(name, value) for name, value in headers if not _foreign_cookie(name, value, own)]
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def _foreign_cookie(name: str, value: str, own: str) -> bool:
    return name.lower() == "set-cookie" and value.partition("=")[0].strip() != own
