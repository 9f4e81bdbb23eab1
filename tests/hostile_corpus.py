"""Hostile input, made at test time: images an attacker (or a broken phone) would upload, and
JSON bodies no client should ever send. Everything is built with Pillow or by hand, once per
session (``functools.cache``): no binary file is kept in the repository.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import cache

from PIL import ExifTags, Image

from tests.core.test_images import _png_chunk, encoded, gif_bomb, jpeg_with_gps, png_bomb

# --- images -------------------------------------------------------------------------------------------

HTML = b"<!doctype html><html><body><script>fetch('/api/v1/me').then(r=>r.text()).then(alert)</script></body></html>"
SCRIPT = b"*/=alert(document.domain);//"


@cache
def small_png() -> bytes:
    image = Image.new("RGB", (320, 200), (20, 120, 60))
    image.paste((200, 40, 40), (0, 0, 160, 200))
    return encoded(image, "PNG")


@cache
def photo_with_gps() -> bytes:
    """A sideways phone photo (orientation 6) carrying GPS, a maker and a comment: 360×240 stored."""
    return jpeg_with_gps((360, 240))


@cache
def bomb_png() -> bytes:
    """30000×30000 pixels of one colour, about 100 KB: 900 megapixels once decoded."""
    return png_bomb(30_000, 30_000)


@cache
def bomb_gif() -> bytes:
    return gif_bomb()


@cache
def bomb_webp() -> bytes:
    """A real lossless WebP whose header is rewritten to declare 16383×16383 (268 megapixels)."""
    data = bytearray(encoded(Image.new("RGB", (16, 16), (0, 0, 255)), "WEBP", lossless=True))
    start = data.index(b"VP8L") + 8
    assert data[start] == 0x2F  # the VP8L signature byte
    (bits,) = struct.unpack("<I", bytes(data[start + 1 : start + 5]))
    bits = (bits & ~0x0FFFFFFF) | (16382 << 14) | 16382  # width-1 and height-1, 14 bits each
    data[start + 1 : start + 5] = struct.pack("<I", bits)
    return bytes(data)


@cache
def truncated_jpeg() -> bytes:
    source = encoded(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG", quality=90)
    return source[: len(source) // 2]


@cache
def truncated_png() -> bytes:
    source = encoded(Image.effect_noise((400, 300), 60).convert("RGB"), "PNG")
    return source[: len(source) // 2]


@cache
def png_then_zip() -> bytes:
    """A valid PNG with a zip archive (holding an HTML page) glued after its IEND."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("index.html", HTML)
    return small_png() + archive.getvalue()


@cache
def jpeg_then_html() -> bytes:
    return photo_with_gps() + HTML


@cache
def text_chunk_bomb() -> bytes:
    """A small valid PNG with a zTXt comment that inflates to 20 MB (Pillow stops at 1 MB)."""
    data = small_png()
    at = data.index(b"IDAT") - 4
    comment = _png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"A" * 20_000_000, 9))
    return data[:at] + comment + data[at:]


def html_named_jpg() -> bytes:
    return HTML


def gif_header_then_html() -> bytes:
    return b"GIF89a" + HTML


def svg_with_script() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


@cache
def gif_javascript() -> bytes:
    """The classic GIF/JavaScript polyglot: ``GIF89a/*`` opens a comment (the width bytes), the
    image follows, and ``*/=alert(…)`` after the trailer makes the whole file a valid script."""
    gif = bytearray(encoded(Image.new("P", (10, 10), 0), "GIF"))
    gif[6:8] = b"/*"  # logical screen width 0x2A2F = 10799
    return bytes(gif) + SCRIPT


@cache
def animated_gif(frames: int = 300) -> bytes:
    """Hundreds of frames: only the first may be decoded."""
    images = []
    for index in range(frames):
        frame = Image.new("P", (64, 48), index % 2)
        frame.putpalette([230, 20, 20, 20, 20, 230] + [0] * 762)
        images.append(frame)
    return encoded(images[0], "GIF", save_all=True, append_images=images[1:], duration=20, loop=0)


@cache
def cmyk_jpeg() -> bytes:
    return encoded(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG")  # pure red in CMYK


@cache
def sixteen_bit_png() -> bytes:
    return encoded(Image.new("I;16", (300, 200), 40000), "PNG")


def over_limit(limit: int) -> bytes:
    """JPEG magic and then zeros, a little over ``limit`` bytes."""
    return b"\xff\xd8\xff" + b"\0" * (limit + 1024)


def has_gps(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data))
    return bool(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


# --- JSON ---------------------------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    """``{"x": [[[[…]]]]}``: ``depth`` levels of arrays inside an object."""
    return b'{"x": ' + b"[" * depth + b"]" * depth + b"}"


def invalid_utf8(body: bytes) -> bytes:
    """A body with bytes that are not UTF-8 inside a string (an overlong '/' and a lone 0xFF)."""
    return body.replace(b'"', b'"\xc0\xaf\xff', 1)


def huge_body(over: int) -> bytes:
    return b'{"title": {"en": "' + b"x" * over + b'"}}'
