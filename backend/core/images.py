"""Uploaded images: checked by content, stripped of metadata, re-encoded in a few widths.

The type comes from what Pillow finds in the bytes (only JPEG, PNG, WebP and GIF are even tried),
never from the file name or the declared content type. Sizes are checked before any pixel is
decoded, so a small file that declares a huge picture (a decompression bomb) costs nothing.
What we store is always our own re-encoding: EXIF (GPS included), XMP, comments and anything
smuggled after the image data are gone, and a file that is "also" HTML is served as an image
that no longer contains the HTML.

Decoding and resizing run in worker threads, at most ``MAX_CONCURRENT`` at a time per process,
so a burst of uploads neither blocks the event loop nor takes every core.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from PIL import Image, ImageCms, ImageOps

from backend.core.errors import DomainError
from backend.core.i18n import N_

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
DEFAULT_WIDTHS = (240, 480, 960, 1440)
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
MAX_CONCURRENT = 2
JPEG_QUALITY = 80
WEBP_QUALITY = 80
# WebP cannot encode a side longer than 16383 pixels; a long scroll poster is shrunk to fit.
MAX_OUTPUT_SIDE = 16_383
EXIF_ORIENTATION = 0x0112

_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
_SRGB = ImageCms.createProfile("sRGB")
_limiter = anyio.CapacityLimiter(MAX_CONCURRENT)
# What Pillow's decoders raise on hostile or broken input.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error)


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    widths: Sequence[int] = DEFAULT_WIDTHS


@dataclass(frozen=True)
class Rendition:
    key: str  # "w480.webp": what clients pick by
    filename: str  # "<digest>-w480.webp": where it is stored
    width: int
    height: int
    media_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ProcessedImage:
    digest: str  # the first 16 hex digits of the original's SHA-256
    source_format: str  # what Pillow found: JPEG, PNG, WEBP or GIF
    renditions: list[Rendition]


def _shown(value: float) -> float | int:
    """8 rather than 8.0 in a message; one decimal when the limit is not whole."""
    rounded = round(value, 1)
    return int(rounded) if rounded == int(rounded) else rounded


def _file_too_large(limits: ImageLimits) -> DomainError:
    return DomainError(
        "image_file_too_large",
        N_("The image file is too large; the limit is {limit_mb} MB."),
        {"limit_mb": _shown(limits.max_bytes / (1024 * 1024))},
        status=413,
    )


def _too_many_pixels(limits: ImageLimits) -> DomainError:
    return DomainError(
        "image_too_large",
        N_("The image is too large; the limit is {limit_mp} megapixels."),
        {"limit_mp": _shown(limits.max_pixels / 1_000_000)},
        status=422,
    )


def _invalid() -> DomainError:
    return DomainError("image_invalid", N_("The image file is damaged or incomplete."), status=422)


def _unsupported() -> DomainError:
    return DomainError(
        "image_unsupported",
        N_("This file is not a supported image. Upload a JPEG, PNG, WebP or GIF picture."),
        status=422,
    )


def _looks_like_ours(data: bytes) -> bool:
    """Magic bytes of an allowed format: only to tell "damaged" from "not an image" in the message."""
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


async def process_image(data: bytes, *, limits: ImageLimits = ImageLimits()) -> ProcessedImage:
    """Check and re-encode an upload (off the event loop); 413 or 422 DomainError when refused."""
    if len(data) > limits.max_bytes:
        raise _file_too_large(limits)
    return await anyio.to_thread.run_sync(process_image_sync, data, limits, limiter=_limiter)


def process_image_sync(data: bytes, limits: ImageLimits = ImageLimits()) -> ProcessedImage:
    """The blocking work of ``process_image``: decode once, then encode every rendition."""
    if len(data) > limits.max_bytes:
        raise _file_too_large(limits)
    digest = hashlib.sha256(data).hexdigest()[:16]
    image, source_format = _decode(data, limits)
    try:
        renditions: list[Rendition] = []
        base = image
        # Widest first, each from the one before: a big original is shrunk once, not per width.
        for size in sorted(_sizes(image.size, limits.widths), reverse=True):
            if size != base.size:
                base = base.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            renditions[:0] = _encode(base, digest)
        return ProcessedImage(digest, source_format, renditions)
    finally:
        image.close()


def _decode(data: bytes, limits: ImageLimits) -> tuple[Image.Image, str]:
    """Open by content, check the declared size, then decode one frame, upright, as plain RGB."""
    try:
        source = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError:
        raise _too_many_pixels(limits) from None
    except _DECODE_ERRORS:  # UnidentifiedImageError is an OSError
        raise (_invalid() if _looks_like_ours(data) else _unsupported()) from None
    with source:
        width, height = source.size
        if width < 1 or height < 1:
            raise _invalid()
        if width * height > limits.max_pixels:  # declared in the header: nothing decoded yet
            raise _too_many_pixels(limits)
        source_format = str(source.format)
        try:
            _draft(source, max(limits.widths))
            source.load()
        except Image.DecompressionBombError:
            raise _too_many_pixels(limits) from None
        except _DECODE_ERRORS:
            raise _invalid() from None
        try:
            upright = ImageOps.exif_transpose(source)
        except _DECODE_ERRORS:  # a broken EXIF block: the picture itself is fine
            upright = source.copy()
        return _to_plain_rgb(upright), source_format


def _draft(source: Image.Image, widest: int) -> None:
    """Let a JPEG decode at 1/2, 1/4 or 1/8 scale when even the widest rendition needs no more."""
    if source.format != "JPEG":
        return
    try:
        turned = source.getexif().get(EXIF_ORIENTATION) in (5, 6, 7, 8)
    except _DECODE_ERRORS:  # a broken EXIF block only costs the shortcut
        turned = False
    source.draft(None, (1, widest) if turned else (widest, 1))


def _to_plain_rgb(image: Image.Image) -> Image.Image:
    """sRGB pixels on white, with no metadata left on the image."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        image = _to_srgb(image, icc)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    # Conversions copy ``info`` (EXIF, XMP, ICC, comments); renditions must carry none of it.
    image.info = {}
    return image


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Phone photos are often Display P3; without their profile they would look dull as sRGB."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    try:
        source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            image.convert("RGB") if alpha is not None else image, source_profile, _SRGB, outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # an unreadable profile: keep the pixels as they are
    if converted is None:
        return image
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _sizes(size: tuple[int, int], widths: Sequence[int]) -> list[tuple[int, int]]:
    """Each configured width narrower than the original, and the original's width when it is
    narrower than the widest; never upscaled, never taller than an encoder allows."""
    width, height = size
    chosen = [w for w in sorted(set(widths)) if w < width]
    if width <= max(widths):
        chosen.append(width)
    sizes = []
    for w in chosen:
        h = max(1, round(height * w / width))
        if h > MAX_OUTPUT_SIDE:
            w, h = max(1, round(w * MAX_OUTPUT_SIDE / h)), MAX_OUTPUT_SIDE
        if (w, h) not in sizes:
            sizes.append((w, h))
    return sizes


def _encode(image: Image.Image, digest: str) -> list[Rendition]:
    webp, jpeg = io.BytesIO(), io.BytesIO()
    image.save(webp, "WEBP", quality=WEBP_QUALITY, method=4)
    image.save(jpeg, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    return [
        Rendition(
            f"w{image.width}.{ext}",
            f"{digest}-w{image.width}.{ext}",
            image.width,
            image.height,
            media_type,
            buffer.getvalue(),
        )
        for ext, media_type, buffer in (("webp", "image/webp", webp), ("jpg", "image/jpeg", jpeg))
    ]
