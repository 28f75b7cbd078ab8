"""The storefront's pages: catalogue, product pages, cart, checkout, account, sign-in."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from . import cart, payments
from .images import product_svg
from .models import Customer, DiscountCode, Order, Product, db
from .web import current_customer, referral_code, sign_in, sign_out, visitor_id

bp = Blueprint("shop", __name__)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _product_or_404(sku: str) -> Product:
    product = db.session.scalars(sa.select(Product).where(Product.sku == sku)).first()
    if product is None:
        abort(404)
    return product


def _track(event: str, **fields: Any) -> None:
    """Record a journey event on the server side.

    ``journey.track`` (INTERFACE.md) arrives with the metrics issue; until it
    exists the demo records nothing here.
    """
    track = getattr(current_app.extensions["journeykit"].journey, "track", None)
    if track is not None:
        customer = current_customer()
        track(
            event, customer_id=customer.id if customer else None, visitor_id=visitor_id(), **fields
        )


@bp.get("/")
def home() -> str:
    products = db.session.scalars(sa.select(Product).order_by(Product.id)).all()
    return render_template("shop/home.html", products=products)


@bp.get("/products/<sku>")
def product(sku: str) -> str:
    item = _product_or_404(sku)
    _track("product_viewed", product_id=item.sku)
    others = db.session.scalars(
        sa.select(Product).where(Product.id != item.id).order_by(Product.id).limit(4)
    ).all()
    return render_template("shop/product.html", product=item, others=others)


@bp.get("/images/<sku>.svg")
def product_image(sku: str) -> Response:
    item = _product_or_404(sku)
    response = Response(product_svg(item.shape, item.color, item.name), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/cart")
def cart_page() -> str:
    lines = cart.lines()
    return render_template("shop/cart.html", lines=lines, total=cart.total_cents(lines))


def _row_id(text: str) -> bool:
    """Whether ``text`` can be a row id: ASCII digits (not "²" or "１"), within 64 bits."""
    return text.isascii() and text.isdigit() and int(text) < 2**63


@bp.post("/cart")
def cart_update() -> BaseResponse:
    """Add to the cart (``add=1``) or set a line's quantity (0 removes it)."""
    item = _product_or_404(request.form.get("sku", ""))
    quantity = request.form.get("quantity", "1")
    if not (quantity.isascii() and quantity.isdigit()) or int(quantity) > cart.MAX_QUANTITY:  # not "²"
        abort(400, f"Choose a quantity from 0 to {cart.MAX_QUANTITY}.")
    adding = request.form.get("add") == "1"
    cart.set_quantity(item, int(quantity), add=adding)
    if adding:
        flash(f"Added {item.name} to your cart.")
        return redirect(url_for("shop.product", sku=item.sku))
    return redirect(url_for("shop.cart_page"))


@bp.route("/checkout", methods=["GET", "POST"])
def checkout() -> str | BaseResponse | tuple[str, int]:
    lines = cart.lines()
    if not lines:
        flash("Your cart is empty.")
        return redirect(url_for("shop.cart_page"))
    customer = current_customer()
    form = {
        "email": customer.email if customer else request.form.get("email", "").strip(),
        "name": customer.name if customer else request.form.get("name", "").strip(),
        "code": request.form.get("code", "").strip()[:64],
    }
    friend_off = payments.friend_discount(form["email"] or None, visitor_id())
    total = max(cart.total_cents(lines) - friend_off, 0)
    if request.method == "GET":
        return render_template("shop/checkout.html", lines=lines, total=total, form=form, errors={}, friend_off=friend_off)
    errors = {}
    if not _EMAIL.match(form["email"]) or len(form["email"]) > 320:
        errors["email"] = "Enter an e-mail address for your receipt."
    if not form["name"] or len(form["name"]) > 120:
        errors["name"] = "Enter your name."
    discount = payments.usable_code(form["code"], customer.id if customer else None) if form["code"] else None
    if form["code"] and discount is None:
        errors["code"] = "This code does not work: it is used, expired, or made for another customer (sign in as them)."
    if errors:
        return render_template(
            "shop/checkout.html", lines=lines, total=total, form=form, errors=errors, friend_off=friend_off
        ), 400
    order = cart.place_order(
        lines, customer=customer, email=form["email"], name=form["name"], discount=discount, friend_off=friend_off
    )
    # Guests may see their own orders' pages (the latest few) from this browser.
    session["orders"] = [*session.get("orders", [])[-19:], order.id]
    try:
        next_url = payments.start_checkout(
            order, visitor_id=visitor_id(), referral_code=referral_code()
        )
    except payments.PaymentError as exc:
        if discount is not None:  # not paid: the code is the customer's to use again
            discount.order_id = None
            db.session.commit()
        flash(str(exc), "error")
        return redirect(url_for("shop.checkout"))
    cart.clear()
    return redirect(next_url)


@bp.get("/orders/<int:order_id>/complete")
def order_complete(order_id: int) -> str:
    order = db.session.get(Order, order_id) if order_id < 2**63 else None
    customer = current_customer()
    mine = order is not None and (
        order.id in session.get("orders", [])
        or (customer is not None and order.customer_id == customer.id)
    )
    if not mine:
        abort(404)
    payments.confirm_stripe_return(order, request.args.get("session_id"))
    discount = db.session.scalars(sa.select(DiscountCode).where(DiscountCode.order_id == order.id)).first()
    # What the lines cost beyond the total and the code: a referred friend's first-order discount.
    friend_off = sum(line.total_cents for line in order.lines) - order.total_cents - (discount.amount_off_cents if discount else 0)
    return render_template("shop/order_complete.html", order=order, discount=discount, friend_off=max(friend_off, 0))


@bp.get("/account")
def account() -> str | BaseResponse:
    customer = current_customer()
    if customer is None:
        return redirect(url_for("shop.signin", next=url_for("shop.account")))
    orders = db.session.scalars(
        sa.select(Order).where(Order.customer_id == customer.id).order_by(Order.created_at.desc())
    ).all()
    return render_template("shop/account.html", customer=customer, orders=orders)


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> str | BaseResponse:
    """The demo's stand-in for a login form: pick who to be."""
    target = request.values.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("shop.account")
    if request.method == "POST":
        customer_id = request.form.get("customer_id", "")
        customer = db.session.get(Customer, int(customer_id)) if _row_id(customer_id) else None
        if customer is None:
            abort(400, "Pick one of the demo customers.")
        kept_cart = session.get("cart")
        sign_in(customer)
        if kept_cart:
            session["cart"] = kept_cart
        flash(f"Signed in as {customer.name}.")
        return redirect(target)
    customers = db.session.scalars(
        sa.select(Customer).order_by(Customer.is_owner.desc(), Customer.name)
    ).all()
    return render_template("shop/signin.html", customers=customers, next=target)


@bp.post("/signout")
def signout() -> BaseResponse:
    sign_out()
    flash("Signed out.")
    return redirect(url_for("shop.home"))
