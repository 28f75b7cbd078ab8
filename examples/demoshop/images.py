"""Product pictures drawn as SVG on the fly: no image files, no CDN, no network.

Each product names a ``shape`` and a ``color``; the drawing is a simple flat
illustration on a tint of that colour.  Colours come from the shop's own
catalogue and are checked anyway, since they are written into markup.
"""

from __future__ import annotations

import io
import re

from markupsafe import escape

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

#: Each shape's drawing in a 200 × 200 box, in parts; ``{c}`` is the colour, ``{d}`` a darker shade.
SHAPES = {
    "mug": (
        '<rect x="52" y="70" width="80" height="86" rx="10" fill="{c}"/>',
        '<path d="M132 88 h14 a16 16 0 0 1 0 40 h-14" fill="none" stroke="{d}" stroke-width="9"/>',
        '<path d="M76 58 q-8 -12 0 -24 M96 58 q-8 -12 0 -24 M116 58 q-8 -12 0 -24" fill="none" ',
        'stroke="{d}" stroke-width="4" stroke-linecap="round" opacity=".5"/>',
    ),
    "tee": (
        '<path d="M70 48 l-34 20 14 30 16 -8 v74 h68 v-74 l16 8 14 -30 -34 -20 q-14 14 -30 0 z" ',
        'fill="{c}"/>',
        '<path d="M86 48 q14 14 28 0" fill="none" stroke="{d}" stroke-width="4"/>',
    ),
    "notebook": (
        '<rect x="58" y="38" width="92" height="126" rx="6" fill="{c}"/>',
        '<rect x="58" y="38" width="14" height="126" rx="3" fill="{d}"/>',
        '<rect x="88" y="64" width="46" height="22" rx="3" fill="#fff" opacity=".85"/>',
        '<rect x="136" y="38" width="6" height="140" fill="#c0392b"/>',
    ),
    "candle": (
        '<rect x="60" y="82" width="80" height="84" rx="12" fill="{c}"/>',
        '<rect x="60" y="104" width="80" height="34" fill="#fff" opacity=".8"/>',
        '<path d="M100 48 q14 16 0 30 q-14 -14 0 -30 z" fill="#f2b134"/>',
        '<rect x="98" y="74" width="4" height="10" fill="{d}"/>',
    ),
    "planter": (
        '<path d="M64 104 h72 l-10 62 h-52 z" fill="{c}"/>',
        '<rect x="58" y="96" width="84" height="14" rx="4" fill="{d}"/>',
        '<path d="M100 96 q-30 -30 -12 -56 q16 24 12 56 q4 -34 30 -46 q4 30 -30 46" ',
        'fill="#5b8c51"/>',
    ),
    "tote": (
        '<path d="M76 78 q0 -40 24 -40 q24 0 24 40" fill="none" stroke="{d}" stroke-width="7"/>',
        '<path d="M52 78 h96 l-8 90 h-80 z" fill="{c}"/>',
        '<rect x="82" y="110" width="36" height="26" rx="3" fill="#fff" opacity=".7"/>',
    ),
    "bottle": (
        '<rect x="78" y="60" width="44" height="112" rx="18" fill="{c}"/>',
        '<rect x="84" y="34" width="32" height="30" rx="6" fill="#c9a36b"/>',
        '<rect x="78" y="96" width="44" height="10" fill="{d}" opacity=".6"/>',
    ),
    "socks": (
        '<path d="M78 36 h36 v84 l26 22 q12 14 -2 26 q-12 10 -26 0 l-40 -34 q-6 -6 -6 -14 z" ',
        'fill="{c}"/>',
        '<rect x="78" y="36" width="36" height="16" fill="{d}"/>',
        '<path d="M78 64 h36 M78 76 h36" stroke="{d}" stroke-width="4"/>',
    ),
    "board": (
        '<rect x="40" y="70" width="112" height="66" rx="14" fill="{c}"/>',
        '<rect x="148" y="92" width="26" height="22" rx="8" fill="{c}"/>',
        '<circle cx="164" cy="103" r="4" fill="#f7f1e8"/>',
        '<path d="M56 86 q40 10 80 0 M56 118 q40 -10 80 0" fill="none" stroke="{d}" ',
        'stroke-width="2" opacity=".6"/>',
    ),
    "towel": (
        '<rect x="56" y="36" width="88" height="132" rx="4" fill="#f7f1e8"/>',
        '<path d="M56 60 h88 M56 72 h88 M56 140 h88 M56 152 h88" stroke="{c}" stroke-width="7"/>',
        '<rect x="92" y="28" width="16" height="14" rx="4" fill="{d}"/>',
    ),
}
#: Anything without a drawing of its own is a parcel.
PARCEL = ('<rect x="50" y="60" width="100" height="90" rx="8" fill="{c}"/>',)


def _mix(color: str, other: str, share: float) -> str:
    """``color`` moved ``share`` of the way towards ``other`` (both ``#rrggbb``)."""
    channels = [
        round(int(color[i : i + 2], 16) * (1 - share) + int(other[i : i + 2], 16) * share)
        for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{value:02x}" for value in channels)


def product_svg(shape: str, color: str, label: str = "") -> str:
    """A square SVG picture of a product (unknown shapes get a plain parcel)."""
    if not _HEX.match(color):
        color = "#888888"
    dark = _mix(color, "#000000", 0.35)
    body = "".join(part.format(c=color, d=dark) for part in SHAPES.get(shape, PARCEL))
    title = escape(label)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" role="img">'
        f"<title>{title}</title>"
        f'<rect width="200" height="200" fill="{_mix(color, "#ffffff", 0.82)}"/>'
        f'<ellipse cx="100" cy="176" rx="62" ry="8" fill="{color}" opacity=".15"/>'
        f"{body}</svg>"
    )


def customer_photo_png(color: str, size: tuple[int, int] = (480, 360)) -> bytes:
    """A shopper's "photo" of a product for the seeded reviews: the product's colour on a table, as PNG.

    Review photos must be JPEG, PNG or WebP (never SVG), so this one is drawn with Pillow.
    """
    from PIL import Image, ImageDraw  # noqa: PLC0415 - only the seed needs it

    if not _HEX.match(color):
        color = "#888888"
    width, height = size
    image = Image.new("RGB", size, _mix(color, "#ffffff", 0.85))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill="#c9a36b")  # the table
    draw.ellipse((width // 4, height // 5, width * 3 // 4, height * 5 // 6), fill=color)
    draw.ellipse((width * 3 // 8, height // 3, width // 2, height // 2), fill=_mix(color, "#ffffff", 0.4))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
