"""Uploaded images: checked by content, stripped of metadata, re-encoded in a few widths.

The type comes from what Pillow finds in the bytes (only JPEG, PNG, WebP and GIF are even tried),
never from the file name or the declared content type. Sizes are checked before any pixel is
decoded, so a small file that declares a huge picture (a decompression bomb) costs nothing.
What we store is always our own re-encoding: EXIF (GPS included), XMP, comments and anything
smuggled after the image data are gone, and a file that is "also" HTML is served as an image
that no longer contains the HTML.

Decoding and resizing run in worker threads, at most ``MAX_CONCURRENT`` uploads at a time per
process, so a burst of uploads never blocks the event loop. One upload's work is shared with a
small pool of helper threads (``HELPERS``; Pillow and zlib release the GIL): the renditions are
encoded there while the next width is resampled, and a banded PNG's image data is inflated there
one band ahead of Pillow's decoder while the band before is reduced. On an idle machine one
upload answers in about two thirds of its CPU time; a process never has more than
``MAX_CONCURRENT + HELPERS`` threads at image work.

A caller may ask for some renditions only (``choose``): the picture is then decoded no larger
than the widest of them needs. A JPEG decodes at 1/2, 1/4 or 1/8 scale (``draft``), so a
24-megapixel photo never becomes a 24-megapixel bitmap; a PNG or WebP, which cannot, is decoded
once and shrunk by whole factors (``reduce``) before it is turned upright, converted to sRGB and
resampled. ``ProcessedImage.planned`` names every rendition the full set has, so the caller
knows what is left for later (posters make the rest in a job).

A PNG at least twice as large as needed is not even decoded whole: ``png_bands`` hands Pillow its
rows a band at a time, each band reduced as it comes, so a 24-megapixel poster never becomes a
92 MiB bitmap either (a PNG that is interlaced, animated, 16-bit or otherwise unusual is decoded
whole, as before).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import struct
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from PIL import Image, ImageCms, ImageOps

from backend.core import png_bands
from backend.core.errors import DomainError
from backend.core.i18n import N_

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
DEFAULT_WIDTHS = (240, 480, 960, 1440)
FORMATS = ("webp", "jpg")  # each width in both: <picture> offers WebP with JPEG as the fallback
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
MAX_CONCURRENT = 2
HELPERS = 2
JPEG_QUALITY = 80
WEBP_QUALITY = 80
# WebP cannot encode a side longer than 16383 pixels; a long scroll poster is shrunk to fit.
MAX_OUTPUT_SIDE = 16_383
EXIF_ORIENTATION = 0x0112
# Rows are reduced a band at a time, about this many bytes of bitmap each (4 a pixel): small
# enough to stay in the processor's cache between decoding, laying on white and reducing.
BAND_BYTES = 1 << 20

_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
_SRGB = ImageCms.createProfile("sRGB")
_limiter = anyio.CapacityLimiter(MAX_CONCURRENT)
# Shared by every upload of the process; its tasks never wait on each other, so none can deadlock.
_helpers = ThreadPoolExecutor(max_workers=HELPERS, thread_name_prefix="linli-image")
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
    renditions: list[Rendition]  # what was asked for (``choose``), narrowest first
    planned: tuple[str, ...] = ()  # every rendition of the full set, narrowest first ("w240.webp", …)

    @property
    def rest(self) -> tuple[str, ...]:
        """The planned renditions not made this time."""
        made = {r.key for r in self.renditions}
        return tuple(key for key in self.planned if key not in made)


# Given the planned keys (narrowest first), the ones to make now.
Chooser = Callable[[Sequence[str]], Collection[str]]


def rendition_key(width: int, ext: str) -> str:
    return f"w{width}.{ext}"


def rendition_width(key: str) -> int:
    """480 for "w480.webp"."""
    return int(key[1:].split(".", 1)[0])


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


async def process_image(
    data: bytes, *, limits: ImageLimits = ImageLimits(), choose: Chooser | None = None
) -> ProcessedImage:
    """Check and re-encode an upload (off the event loop); 413 or 422 DomainError when refused.
    ``choose`` picks which of the planned renditions to make (all of them by default)."""
    if len(data) > limits.max_bytes:
        raise _file_too_large(limits)
    return await anyio.to_thread.run_sync(process_image_sync, data, limits, choose, limiter=_limiter)


def process_image_sync(
    data: bytes, limits: ImageLimits = ImageLimits(), choose: Chooser | None = None
) -> ProcessedImage:
    """The blocking work of ``process_image``: decode once, then encode every chosen rendition."""
    if len(data) > limits.max_bytes:
        raise _file_too_large(limits)
    digest = hashlib.sha256(data).hexdigest()[:16]
    with _open(data, limits) as source:
        bands = _png_plan(data) if source.format == "PNG" else None
        # The plan comes from the header's size, turned as the picture will be shown.
        sizes = _sizes(_upright_size(source, bands), limits.widths)
        planned = tuple(rendition_key(w, ext) for w, _h in sizes for ext in FORMATS)
        chosen = set(choose(planned)) if choose is not None else set(planned)
        wanted = [(w, h) for w, h in sizes if any(rendition_key(w, ext) in chosen for ext in FORMATS)]
        if not wanted:
            return ProcessedImage(digest, str(source.format), [], planned)
        image, source_format = _decode(source, bands, limits, max(wanted))
    widths: list[Future[list[Rendition]]] = []  # each width's encodings, widest first
    try:
        base = image
        # Widest first, each from the one before: a big original is shrunk once, not per width.
        # Each width is encoded by a helper while the next one is resampled here (its formats one
        # after the other: Pillow's ``save`` keeps its options on the picture it saves).
        for size in sorted(wanted, reverse=True):
            if size != base.size:
                base = base.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            formats = [ext for ext in FORMATS if rendition_key(size[0], ext) in chosen]
            widths.append(_helpers.submit(_encode, base, digest, formats))
        renditions = [rendition for done in reversed(widths) for rendition in done.result()]
        return ProcessedImage(digest, source_format, renditions, planned)
    finally:
        wait(widths)  # none still reads ``image``
        image.close()


def _open(data: bytes, limits: ImageLimits) -> Image.Image:
    """Open by content and check the declared size: nothing decoded yet."""
    try:
        source = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError:
        raise _too_many_pixels(limits) from None
    except _DECODE_ERRORS:  # UnidentifiedImageError is an OSError
        raise (_invalid() if _looks_like_ours(data) else _unsupported()) from None
    width, height = source.size
    if width < 1 or height < 1:
        source.close()
        raise _invalid()
    if width * height > limits.max_pixels:  # declared in the header: nothing decoded yet
        source.close()
        raise _too_many_pixels(limits)
    return source


def _png_plan(data: bytes) -> png_bands.Plan | None:
    """Where a PNG's pixels are, if it can be decoded a band at a time."""
    try:
        return png_bands.plan(data)
    except png_bands.Broken:
        raise _invalid() from None


def _turned(source: Image.Image, bands: png_bands.Plan | None = None) -> bool:
    """Whether EXIF says the picture is shown a quarter turn from how it is stored."""
    try:
        # A PNG's own ``getexif`` decodes every pixel first, to find EXIF stored after them; a
        # band plan has made sure nothing but the end comes after them.
        exif = Image.Image.getexif(source) if bands is not None else source.getexif()
        return exif.get(EXIF_ORIENTATION) in (5, 6, 7, 8)
    except _DECODE_ERRORS:  # a broken EXIF block: shown as stored
        return False


def _upright_size(source: Image.Image, bands: png_bands.Plan | None = None) -> tuple[int, int]:
    width, height = source.size
    return (height, width) if _turned(source, bands) else (width, height)


def _decode(
    source: Image.Image, bands: png_bands.Plan | None, limits: ImageLimits, widest: tuple[int, int]
) -> tuple[Image.Image, str]:
    """Decode one frame no larger than ``widest`` (upright width, height) needs, then turn it
    upright and make it plain sRGB."""
    source_format = str(source.format)
    turned = _turned(source, bands)
    needed = (widest[1], widest[0]) if turned else widest  # as stored, before turning
    # Shrink by the largest whole factor that keeps at least twice ``needed`` for the resampling
    # to start from, before the colour work: every copy after that is small.
    factor = min(source.width // (2 * needed[0]), source.height // (2 * needed[1]))
    try:
        if bands is not None and factor >= 2:
            decoded = png_bands.bands(
                bands, _band_rows(source.width, factor), source.info.get("transparency"), ahead=_helpers
            )
            image = _assembled(decoded, source.size, factor)
            image.info = dict(source.info)  # the ICC profile and EXIF orientation still apply
        else:
            if source.format == "JPEG":
                # The decoder itself scales by 1/2, 1/4 or 1/8, never below ``needed``.
                source.draft(None, needed)
            source.load()
            image = None
    except Image.DecompressionBombError:
        raise _too_many_pixels(limits) from None
    except _DECODE_ERRORS:
        raise _invalid() from None
    if image is None:
        image = _reduced(source, factor)
    if image is source:  # the opened file's bitmap: turned into a copy of its own
        try:
            image = ImageOps.exif_transpose(source)
        except _DECODE_ERRORS:  # a broken EXIF block: the picture itself is fine
            image = source.copy()
    else:  # already our own (reduced) copy: turned where it is, not copied once more
        with contextlib.suppress(*_DECODE_ERRORS):
            ImageOps.exif_transpose(image, in_place=True)
    return _to_plain_rgb(image), source_format


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """A decoded picture shrunk by ``factor`` (when it is 2 or more) before the colour work: a PNG
    or WebP cannot decode small, but every copy after this point is small. (A JPEG's ``draft``
    already did the same in its decoder.) A picture with transparency or a palette is converted a
    band of rows at a time as it shrinks, never copied whole."""
    if factor < 2:
        return image
    if _transparent(image) or image.mode == "P":
        rows = _band_rows(image.width, factor)
        crops = (
            (top, image.crop((0, top, image.width, min(image.height, top + rows))), 0)
            for top in range(0, image.height, rows)
        )
        reduced = _assembled(crops, image.size, factor)
    elif image.mode in ("L", "I", "F", "RGB", "CMYK", "YCbCr"):  # what Pillow's reduce takes
        reduced = image.reduce(factor)
    else:
        return image
    reduced.info = dict(image.info)  # the ICC profile and EXIF orientation still apply
    return reduced


def _transparent(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _band_rows(width: int, factor: int) -> int:
    """Rows in a band: a multiple of ``factor``, about ``BAND_BYTES`` of bitmap."""
    return factor * max(1, BAND_BYTES // (4 * width * factor))


def _assembled(bands: Iterable[tuple[int, Image.Image, int]], size: tuple[int, int], factor: int) -> Image.Image:
    """The picture of ``size``, given as bands of rows, reduced by ``factor`` one band at a time.
    Each band comes with its top row's number and how many rows above it it also holds (to be
    left out); every band but the last is a multiple of ``factor`` high. Each band is reduced by
    the helpers while the next one is decoded (at most two bands at a time)."""
    out: Image.Image | None = None
    shrinking: deque[tuple[int, Future[Image.Image]]] = deque()

    def paste(top: int, small: Image.Image) -> None:
        nonlocal out
        if out is None:
            out = Image.new(small.mode, (-(-size[0] // factor), -(-size[1] // factor)))
        out.paste(small, (0, top // factor))

    try:
        for top, rows, skip in bands:
            shrinking.append((top, _helpers.submit(_shrunk_closing, rows, factor, skip)))
            if len(shrinking) > 1:
                paste(shrinking[0][0], shrinking.popleft()[1].result())
        while shrinking:
            paste(shrinking[0][0], shrinking.popleft()[1].result())
    finally:
        wait([done for _top, done in shrinking])  # stopped early: nothing left running
    if out is None:
        raise png_bands.Broken("no rows")
    return out


def _shrunk_closing(rows: Image.Image, factor: int, skip: int) -> Image.Image:
    try:
        return _shrunk(rows, factor, skip)
    finally:
        rows.close()


def _shrunk(rows: Image.Image, factor: int, skip: int = 0) -> Image.Image:
    """Rows reduced by ``factor``, the first ``skip`` left out: laid on white first if they have
    transparency, in RGB if they have a palette."""
    box = (0, skip, rows.width, rows.height)
    if _transparent(rows):
        rgba = rows if rows.mode == "RGBA" else rows.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat.reduce(factor, box)
    if rows.mode == "P":
        return rows.convert("RGB").reduce(factor, box)
    return rows.reduce(factor, box)


def _to_plain_rgb(image: Image.Image) -> Image.Image:
    """sRGB pixels on white, with no metadata left on the image."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        image = _to_srgb(image, icc)
    if _transparent(image):
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


_SAVE = {
    "webp": ("WEBP", "image/webp", {"quality": WEBP_QUALITY, "method": 4}),
    "jpg": ("JPEG", "image/jpeg", {"quality": JPEG_QUALITY, "progressive": True, "optimize": True}),
}


def _encode(image: Image.Image, digest: str, formats: Sequence[str] = FORMATS) -> list[Rendition]:
    renditions = []
    for ext in formats:
        pillow_format, media_type, options = _SAVE[ext]
        buffer = io.BytesIO()
        image.save(buffer, pillow_format, **options)
        key = rendition_key(image.width, ext)
        renditions.append(Rendition(key, f"{digest}-{key}", image.width, image.height, media_type, buffer.getvalue()))
    return renditions
