"""What one request costs the worker, without a server: each storefront read called as WSGI, against hello-world.

    .venv/bin/python bench/wsgi_cost.py            # 3,000 calls each, CPU µs per call (the shop's route with and
                                                   # without JourneyKit mounted, then each read)
    .venv/bin/python bench/wsgi_cost.py --no-early # the same with JOURNEYKIT_EARLY_READS off: every read through Flask

The demo shop on a throwaway SQLite file (its own seed), each read called
with a prebuilt environ (as gunicorn's worker hands it over), first once to
fill the caches.  CPU time of this process only: no sockets, no server, no
load generator, so the figures show what the app adds, not what a request
costs end to end (``scripts/bench`` measures that).
"""

from __future__ import annotations

import argparse
import io
import os
import pathlib
import sys
import tempfile
import time
from typing import Any, Callable, Iterable

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench import apps  # noqa: E402

HEADERS = {"Accept-Encoding": "gzip, deflate, br", "User-Agent": "Mozilla/5.0 (bench)"}
App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def call(app: App, environ: dict[str, Any]) -> str:
    """One request: a fresh copy of ``environ`` (the app may write to it), the body read to its end."""
    statuses: list[str] = []
    request = {**environ, "wsgi.input": io.BytesIO(b"")}
    body = app(request, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    return statuses[0]


def cost(app: App, path: str, calls: int) -> float:
    """CPU µs per call of ``path``, after one call to warm it up (and 200 more to settle)."""
    environ = EnvironBuilder(path=path, headers=HEADERS).get_environ()
    status = call(app, environ)
    if not status.startswith(("200", "304")):
        raise SystemExit(f"{path} answered {status}")
    for _ in range(200):
        call(app, environ)
    started = time.process_time()
    for _ in range(calls):
        call(app, environ)
    return (time.process_time() - started) / calls * 1e6


def first_sku(shop: Any) -> str:
    import sqlalchemy as sa

    from examples.demoshop.models import Product, db

    with shop.app_context():
        return db.session.scalars(sa.select(Product.sku).order_by(Product.id)).first()


def picture_path(shop: Any) -> str:
    """The shop's own route of ``scripts/bench``: a product's picture, which renders no widget."""
    return f"/images/{first_sku(shop)}.svg"


def reads(shop: Any) -> dict[str, str]:
    """The storefront reads of ``scripts/bench``, for the demo's first product."""
    from journeykit.widgets import EMBED_JS, assets

    sku = first_sku(shop)
    api = "/journeykit/api/v1"
    return {"reviews list": f"{api}/products/{sku}/reviews?limit=10", "rating": f"{api}/products/{sku}/rating",
            "reviews fragment": f"/journeykit/widgets/reviews?product={sku}", "testimonials": f"{api}/testimonials",
            "loyalty program": f"{api}/loyalty/program", "referral program": f"{api}/referrals/program",
            "embed.js": f"/journeykit/embed.js?v={assets.version(assets.FOLDER, EMBED_JS)}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--no-early", action="store_true", help="JOURNEYKIT_EARLY_READS = False")
    options = parser.parse_args()
    from examples.demoshop import create_app

    with tempfile.TemporaryDirectory(prefix="journeykit-wsgi-cost-") as folder:
        database = f"sqlite:///{folder}/shop.sqlite3"
        shop = create_app({"SQLALCHEMY_DATABASE_URI": database, **apps.UNLIMITED,
                           "JOURNEYKIT_EARLY_READS": not options.no_early})
        figures = {"hello-world": cost(apps.hello(), "/", options.calls)}
        picture = picture_path(shop)
        figures["shop route, mounted"] = cost(shop, picture, options.calls)
        os.environ["BENCH_DATABASE_URL"] = database
        figures["shop route, not mounted"] = cost(apps.shop_without_journeykit(), picture, options.calls)
        figures.update((name, cost(shop, path, options.calls)) for name, path in reads(shop).items())
    for name, micros in figures.items():
        print(f"{name:24s} {micros:7.1f} µs")


if __name__ == "__main__":
    main()
