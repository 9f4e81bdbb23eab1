"""A large PNG decoded a band of rows at a time, so that its full bitmap never exists.

Pillow decodes a PNG whole: a 24-megapixel poster becomes a 92 MiB bitmap before anything can
shrink it. Its decoder is still the one to use (the unfiltering is C), so we feed it a band at a
time. The original's image data is inflated here a band of rows at a time, still filtered: each row
is a filter byte and the row's bytes, and the Up, Average and Paeth filters refer to the row above.
Each band is handed to Pillow's PNG row decoder (``Image.frombytes(..., "zip", mode)``) as a zlib
stream of its own whose first row is the band before's last row, already unfiltered (filter 0 and
the decoded bytes, from ``tobytes``), followed by the band's rows as they came; that stream is
*stored* (deflate's uncompressed blocks), so making it costs a copy and a checksum. The borrowed
first row makes every filter come out right; the caller leaves it out when it shrinks the band.

Only plain PNGs are banded: 8 bits a channel, not interlaced, grey, RGB or palette, with alpha or
not, one image (no APNG), nothing but IEND after the image data. For anything else ``plan`` answers
None and the caller decodes the whole picture, as before. Sizes are the header's: the caller has
checked them against its pixel limit, and nothing here inflates more than the header's rows (image
data that would make more is ``Broken``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from concurrent.futures import Executor, wait
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Colour type: (Pillow's mode, bytes a pixel at 8 bits a channel).
_COLOUR_TYPES = {0: ("L", 1), 2: ("RGB", 3), 3: ("P", 1), 4: ("LA", 2), 6: ("RGBA", 4)}
_CHUNK_HEAD = struct.Struct(">I4s")
_STORED_BLOCK = 65_535  # the most a stored deflate block holds
T = TypeVar("T")


class Broken(ValueError):
    """The image data is damaged, ends early, or makes more rows than the header says."""


@dataclass(frozen=True)
class Plan:
    """Where a PNG's pixels are, found by walking its chunks (no pixel decoded)."""

    width: int
    height: int
    mode: str
    stride: int  # bytes in a row, after its filter byte
    palette: bytes  # the PLTE chunk's body (empty if none)
    data: tuple[memoryview, ...]  # the IDAT chunks' bodies, in order


def plan(data: bytes) -> Plan | None:
    """The plan of a PNG that can be decoded in bands, or None to decode it whole."""
    if not data.startswith(SIGNATURE):
        return None
    view = memoryview(data)
    header: bytes | None = None
    palette = b""
    idat: list[memoryview] = []
    pos = len(SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = _CHUNK_HEAD.unpack_from(data, pos)
        body, end = pos + 8, pos + 8 + length + 4
        if end > len(data):
            if idat or kind == b"IDAT":
                raise Broken("the file ends in its image data")
            return None
        if kind == b"IDAT":
            idat.append(view[body : body + length])
        elif idat:
            if kind != b"IEND":  # metadata after the pixels: Pillow reads it only when it decodes
                return None
            break
        elif kind == b"IHDR":
            header = bytes(view[body : body + length])
        elif kind == b"PLTE":
            palette = bytes(view[body : body + length])
        elif kind == b"acTL":  # an animation: its frames are not ours to band
            return None
        pos = end
    if header is None or len(header) != 13 or not idat:
        return None
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in _COLOUR_TYPES or (compression, filtering, interlace) != (0, 0, 0):
        return None
    if width < 1 or height < 1 or (colour == 3 and not palette):
        return None
    mode, size = _COLOUR_TYPES[colour]
    # An RGB picture may suggest a palette for screens with few colours: not its pixels.
    return Plan(width, height, mode, width * size, palette if mode == "P" else b"", tuple(idat))


def bands(
    plan: Plan, rows: int, transparency: object = None, ahead: Executor | None = None
) -> Iterator[tuple[int, Image.Image, int]]:
    """Each band of ``rows`` rows (the last may be shorter), decoded by Pillow in the PNG's own mode
    (with its palette, and ``transparency`` as Pillow read it from the header), with the number of
    its top row in the picture and how many rows above that it carries (1 from the second band on:
    the row the filters refer to). Raises ``Broken`` for damaged image data.

    With ``ahead`` (a thread pool), the next band's image data is inflated and checksummed there
    while Pillow decodes this one: both release the GIL, so one picture's two halves of the work
    run on two cores, one band apart (one more band of image data held)."""
    above = b""  # the band before's last row, unfiltered
    top = 0
    for filtered, checksum in _one_ahead(_inflated(plan, rows), ahead):
        count = len(filtered) // (1 + plan.stride)
        skip = 1 if above else 0
        stream = _stored(b"\0" + above if above else b"", filtered, checksum)
        band = Image.frombytes(plan.mode, (plan.width, count + skip), stream, "zip", plan.mode)
        if plan.palette:
            band.putpalette(plan.palette, "RGB")
        if transparency is not None:
            band.info["transparency"] = transparency
        above = band.crop((0, count + skip - 1, plan.width, count + skip)).tobytes()
        yield top, band, skip
        top += count


def _inflated(plan: Plan, rows: int) -> Iterator[tuple[bytes, int]]:
    """The bands' filtered rows, each with its Adler-32 (the larger part of the stored stream's)."""
    for filtered in _filtered_rows(plan, rows):
        yield filtered, zlib.adler32(filtered)


def _one_ahead(items: Iterator[T], ahead: Executor | None) -> Iterator[T]:
    """``items``, each next one made in ``ahead`` while the caller works on the one before."""
    if ahead is None:
        yield from items
        return
    end = object()

    def following() -> object:
        return next(items, end)

    pending = ahead.submit(following)
    try:
        while (item := pending.result()) is not end:
            pending = ahead.submit(following)
            yield item  # type: ignore[misc]  # not ``end``: one of ``items``
    finally:
        # Stopped early (damaged data, or the caller gave up): the band being made is waited for,
        # so nothing runs on after the picture is done with.
        if not pending.cancel():
            wait([pending])


def _filtered_rows(plan: Plan, rows: int) -> Iterator[bytes]:
    """The inflated image data, ``rows`` filtered rows at a time; never more than the header's."""
    row_bytes = 1 + plan.stride
    inflater = zlib.decompressobj()
    chunks = iter(plan.data)
    pending: bytes | memoryview = b""
    left = plan.height
    try:
        while left:
            want = min(rows, left) * row_bytes
            parts, got = [], 0
            while got < want:
                if not pending:
                    following = None if inflater.eof else next(chunks, None)
                    if following is None:
                        raise Broken("the image data ends early")
                    pending = following
                part = inflater.decompress(pending, want - got)
                pending = inflater.unconsumed_tail
                parts.append(part)
                got += len(part)
            left -= want // row_bytes
            yield b"".join(parts)
        for rest in (pending, *chunks):
            if not inflater.eof and inflater.decompress(rest, 1):
                raise Broken("the image data makes more rows than the header says")
    except zlib.error as error:
        raise Broken(str(error)) from None


def _stored(above: bytes, filtered: bytes, checksum: int) -> bytes:
    """A zlib stream of ``above`` (empty, or a filter byte 0 and a row) then ``filtered``, stored
    as they are (deflate's uncompressed blocks): no compression to pay for, here or in Pillow.
    ``checksum`` is ``filtered``'s Adler-32, already made (see ``bands``)."""
    pieces = [
        view[start : start + _STORED_BLOCK]
        for view in (memoryview(above), memoryview(filtered))
        for start in range(0, len(view), _STORED_BLOCK)
    ]
    blocks: list[bytes | memoryview] = [b"\x78\x01"]  # deflate, 32 KiB window, no dictionary
    for number, piece in enumerate(pieces):
        size = len(piece)
        blocks += [struct.pack("<BHH", number == len(pieces) - 1, size, size ^ 0xFFFF), piece]
    blocks.append(struct.pack(">I", _adler32_combine(zlib.adler32(above), checksum, len(filtered))))
    return b"".join(blocks)


_ADLER_BASE = 65_521


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two pieces one after the other, from each one's (zlib's ``adler32_combine``,
    which Python's ``zlib`` does not offer)."""
    rem = second_length % _ADLER_BASE
    low = first & 0xFFFF
    high = (rem * low) % _ADLER_BASE
    low += (second & 0xFFFF) + _ADLER_BASE - 1
    high += ((first >> 16) & 0xFFFF) + ((second >> 16) & 0xFFFF) + _ADLER_BASE - rem
    return (low % _ADLER_BASE) | ((high % _ADLER_BASE) << 16)
