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
from dataclasses import dataclass

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Colour type: (Pillow's mode, bytes a pixel at 8 bits a channel).
_COLOUR_TYPES = {0: ("L", 1), 2: ("RGB", 3), 3: ("P", 1), 4: ("LA", 2), 6: ("RGBA", 4)}
_CHUNK_HEAD = struct.Struct(">I4s")
_STORED_BLOCK = 65_535  # the most a stored deflate block holds


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


def bands(plan: Plan, rows: int, transparency: object = None) -> Iterator[tuple[int, Image.Image, int]]:
    """Each band of ``rows`` rows (the last may be shorter), decoded by Pillow in the PNG's own mode
    (with its palette, and ``transparency`` as Pillow read it from the header), with the number of
    its top row in the picture and how many rows above that it carries (1 from the second band on:
    the row the filters refer to). Raises ``Broken`` for damaged image data."""
    above = b""  # the band before's last row, unfiltered
    top = 0
    for filtered in _filtered_rows(plan, rows):
        count = len(filtered) // (1 + plan.stride)
        skip = 1 if above else 0
        band = Image.frombytes(
            plan.mode, (plan.width, count + skip), _stored(b"\0" + above if above else b"", filtered), "zip", plan.mode
        )
        if plan.palette:
            band.putpalette(plan.palette, "RGB")
        if transparency is not None:
            band.info["transparency"] = transparency
        above = band.crop((0, count + skip - 1, plan.width, count + skip)).tobytes()
        yield top, band, skip
        top += count


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


def _stored(above: bytes, filtered: bytes) -> bytes:
    """A zlib stream of ``above`` (empty, or a filter byte 0 and a row) then ``filtered``, stored
    as they are (deflate's uncompressed blocks): no compression to pay for, here or in Pillow."""
    pieces = [
        view[start : start + _STORED_BLOCK]
        for view in (memoryview(above), memoryview(filtered))
        for start in range(0, len(view), _STORED_BLOCK)
    ]
    blocks: list[bytes | memoryview] = [b"\x78\x01"]  # deflate, 32 KiB window, no dictionary
    for number, piece in enumerate(pieces):
        size = len(piece)
        blocks += [struct.pack("<BHH", number == len(pieces) - 1, size, size ^ 0xFFFF), piece]
    blocks.append(struct.pack(">I", zlib.adler32(filtered, zlib.adler32(above))))
    return b"".join(blocks)
