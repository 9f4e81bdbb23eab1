"""A large PNG decoded a band of rows at a time (``backend/core/png_bands.py``): the same pixels as
Pillow's whole decode, the same renditions, and nothing larger than a band ever decoded."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile

from backend.core import images, png_bands
from backend.core.errors import DomainError
from backend.core.images import ImageLimits, process_image_sync

NARROW = ["w240.webp", "w240.jpg"]  # asked for alone, a picture of 960 px or more is reduced first

# --- pictures --------------------------------------------------------------------------------------


def picture(mode: str, size: tuple[int, int]) -> Image.Image:
    """Gradients, hard edges and noise: Pillow's encoder picks different filters row by row."""
    grain = random.Random(f"{mode} {size}").randbytes(size[0] * size[1])  # the same on every run
    noise = Image.frombytes("L", size, grain).point(lambda v: 64 + v // 2)
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (noise, ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    image.paste((250, 20, 20), (size[0] // 3, size[1] // 4, size[0] // 2, size[1] // 2))
    if mode in ("RGBA", "LA"):
        image = image.convert("RGBA")
        alpha = Image.radial_gradient("L").resize(size)
        alpha.paste(0, (0, 0, size[0] // 5, size[1]))  # a clear strip down the left
        image.putalpha(alpha)
        return image if mode == "RGBA" else image.convert("LA")
    if mode.startswith("P"):
        image = image.quantize(48)
        if mode == "P+tRNS":  # one colour clear
            image.info["transparency"] = image.getpixel((size[0] // 2, size[1] // 3))
        elif mode == "P+alphas":  # every colour its own alpha
            image.info["transparency"] = bytes(range(0, 256, 5))
        return image
    if mode == "RGB+PLTE":
        image.info["suggested_palette"] = True
        return image
    return image.convert(mode)


def png(image: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **params)
    data = buffer.getvalue()
    if image.info.get("suggested_palette"):  # an RGB picture's palette for screens with few colours
        at = data.index(b"IDAT") - 4
        data = data[:at] + chunk(b"PLTE", bytes(range(48))) + data[at:]
    return data


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        yield kind, data[pos + 8 : pos + 8 + length]
        pos += 12 + length


def idat(data: bytes) -> bytes:
    return b"".join(body for kind, body in chunks(data) if kind == b"IDAT")


def with_idat(data: bytes, stream: bytes) -> bytes:
    """The same PNG with its image data replaced (one IDAT chunk)."""
    head = data[: data.index(b"IDAT") - 4]
    return head + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


def filter_types(data: bytes, stride: int) -> set[int]:
    raw = zlib.decompress(idat(data))
    return {raw[row] for row in range(0, len(raw), 1 + stride)}


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def handmade(image: Image.Image, filters: Callable[[int], int], extra_rows: int = 0) -> bytes:
    """An RGB PNG filtered by hand: row ``y`` with filter type ``filters(y)`` (0 None, 1 Sub, 2 Up,
    3 Average, 4 Paeth; anything else is not a filter)."""
    width, height = image.size
    rows = [image.crop((0, y, width, y + 1)).tobytes() for y in range(height)]
    out = bytearray()
    for y in range(height + extra_rows):
        row, prior = rows[y % height], rows[y % height - 1] if y else bytes(len(rows[0]))
        kind = filters(y)
        out.append(kind)
        for i, x in enumerate(row):
            a, b, c = (row[i - 3] if i >= 3 else 0), prior[i], (prior[i - 3] if i >= 3 else 0)
            predicted = {1: a, 2: b, 3: (a + b) // 2, 4: _paeth(a, b, c)}.get(kind, 0)
            out.append((x - predicted) % 256)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(out), 6))
        + chunk(b"IEND", b"")
    )


def decoded_whole(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def put_together(data: bytes, rows: int, ahead: Executor | None = None) -> Image.Image:
    """The bands of a PNG pasted back into one picture (only a test does that)."""
    plan = png_bands.plan(data)
    assert plan is not None
    whole = Image.new(plan.mode, (plan.width, plan.height))
    for top, band, skip in png_bands.bands(plan, rows, ahead=ahead):
        assert band.height - skip == min(rows, plan.height - top)
        whole.paste(band.crop((0, skip, band.width, band.height)), (0, top))
        if band.mode == "P":
            whole.putpalette(band.getpalette() or [])
    return whole


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    with ThreadPoolExecutor(max_workers=1) as executor:
        yield executor


def refused(data: bytes, choose: list[str] = NARROW) -> DomainError:
    with pytest.raises(DomainError) as caught:
        process_image_sync(data, choose=lambda planned: choose)
    return caught.value


@pytest.fixture
def whole_decoded_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's path without bands: what the band decoder must match."""
    monkeypatch.setattr(png_bands, "plan", lambda data: None)


@pytest.fixture
def never_whole(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Fail the test if the uploaded PNG itself is decoded (Pillow's whole decode); record the size
    of every band Pillow decodes instead."""
    sizes: list[tuple[int, int]] = []
    frombytes = Image.frombytes

    def forbidden(self: Image.Image) -> None:
        raise AssertionError("the whole picture was decoded")

    def recorded(mode: str, size: tuple[int, int], data: bytes, *args: object) -> Image.Image:
        if args[:1] == ("zip",):  # a PNG band (a test's own pictures are made from raw bytes)
            sizes.append(size)
        return frombytes(mode, size, data, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageFile.ImageFile, "load", forbidden)
    monkeypatch.setattr(png_bands.Image, "frombytes", recorded)
    return sizes


# --- the same pixels -------------------------------------------------------------------------------

MODES = ["RGB", "RGBA", "L", "LA", "P", "P+tRNS", "P+alphas", "RGB+PLTE"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", [(1, 300), (37, 101), (300, 64)], ids=["width-1", "37x101", "300x64"])
@pytest.mark.parametrize("rows", [1, 4, 7, 64])
@pytest.mark.parametrize("ahead", [False, True], ids=["in-turn", "inflated-ahead"])
def test_the_bands_put_together_are_the_whole_decode(
    mode: str, size: tuple[int, int], rows: int, ahead: bool, pool: Executor
) -> None:
    data = png(picture(mode, size))
    whole = decoded_whole(data)
    banded = put_together(data, rows, pool if ahead else None)
    assert banded.mode == whole.mode and banded.size == whole.size
    assert banded.tobytes() == whole.tobytes()
    if whole.mode == "P":
        assert banded.getpalette() == whole.getpalette()


def test_pillows_own_encoder_gives_the_bands_every_kind_of_filter() -> None:
    """So the test above meets Sub, Up and Paeth at a band's first row, not only None (Average,
    which Pillow's encoder does not pick here, is in the hand-made test below)."""
    for mode, pixel_bytes in (("RGB", 3), ("RGBA", 4), ("L", 1)):
        assert filter_types(png(picture(mode, (37, 101))), 37 * pixel_bytes) >= {1, 2, 4}, mode


@pytest.mark.parametrize("rows", [1, 2, 3, 5, 8])
def test_each_of_the_five_filter_types_by_hand(rows: int) -> None:
    """Rows filtered None, Sub, Up, Average, Paeth in turn: with bands of 1 to 8 rows each type
    is, somewhere, the first row of a band (the one that needs the row above from the band before)."""
    original = picture("RGB", (29, 40))
    data = handmade(original, lambda y: y % 5)
    assert filter_types(data, 29 * 3) == {0, 1, 2, 3, 4}
    assert decoded_whole(data).tobytes() == original.tobytes()
    assert put_together(data, rows).tobytes() == original.tobytes()


@pytest.mark.parametrize("mode", MODES)
def test_a_large_png_gives_the_same_renditions_as_decoded_whole(
    mode: str, monkeypatch: pytest.MonkeyPatch, never_whole: list[tuple[int, int]]
) -> None:
    """1203 x 905 asked for 240 px is reduced by 2 while it is decoded, in bands of 20 rows (the
    height is no multiple of that, nor of 2): byte for byte the renditions of the whole decode."""
    data = png(picture(mode, (1203, 905)))
    monkeypatch.setattr(images, "BAND_BYTES", 4 * 1203 * 20)
    banded = process_image_sync(data, choose=lambda planned: NARROW)
    assert never_whole and max(height for _width, height in never_whole) <= 21
    monkeypatch.undo()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(png_bands, "plan", lambda data: None)
        whole = process_image_sync(data, choose=lambda planned: NARROW)
    assert [(r.key, r.width, r.height) for r in banded.renditions] == [("w240.webp", 240, 181), ("w240.jpg", 240, 181)]
    assert [r.data for r in banded.renditions] == [r.data for r in whole.renditions]
    assert banded.planned == whole.planned


def test_a_turned_png_with_a_colour_profile_is_banded_upright_and_in_srgb(
    never_whole: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """EXIF orientation and the ICC profile are read from the header, not from a whole decode."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = png(picture("RGB", (1100, 1500)), exif=exif, icc_profile=profile)
    banded = process_image_sync(data, choose=lambda planned: NARROW)
    assert never_whole
    monkeypatch.undo()
    monkeypatch.setattr(png_bands, "plan", lambda data: None)
    whole = process_image_sync(data, choose=lambda planned: NARROW)
    [webp, jpeg] = banded.renditions
    assert (jpeg.width, jpeg.height) == (240, 176)  # 1500 x 1100 once turned
    assert [r.data for r in banded.renditions] == [r.data for r in whole.renditions]


def test_a_png_no_larger_than_needed_is_decoded_whole(never_whole: list[tuple[int, int]]) -> None:
    """Banding pays only from a factor of 2: a 900 px picture asked for 240 px is decoded whole."""
    with pytest.raises(AssertionError, match="the whole picture was decoded"):
        process_image_sync(png(picture("RGB", (900, 600))), choose=lambda planned: NARROW)


# --- what is not banded ----------------------------------------------------------------------------


def _interlaced() -> bytes:
    data = png(picture("RGB", (40, 30)))
    header = bytearray(dict(chunks(data))[b"IHDR"])
    header[12] = 1
    return data[:8] + chunk(b"IHDR", bytes(header)) + data[33:]


def _text_after_the_pixels() -> bytes:
    data = png(picture("RGB", (40, 30)))
    return data[:-12] + chunk(b"tEXt", b"Comment\0after") + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "make",
    [
        _interlaced,
        lambda: png(Image.new("I;16", (40, 30), 30000)),
        lambda: png(Image.new("1", (40, 30), 1)),
        lambda: png(Image.new("RGB", (40, 30)), save_all=True, append_images=[Image.new("RGB", (40, 30), "red")]),
        _text_after_the_pixels,
        lambda: b"GIF89a" + bytes(40),
    ],
    ids=["interlaced", "16-bit", "1-bit", "animated", "text-after-pixels", "not-png"],
)
def test_an_unusual_png_is_left_to_the_whole_decode(make: Callable[[], bytes]) -> None:
    assert png_bands.plan(make()) is None


@pytest.mark.parametrize("mode", ["I;16", "1"])
def test_an_unusual_large_png_still_makes_its_renditions(mode: str) -> None:
    """16-bit and 1-bit pictures, which Pillow cannot ``reduce``, are resampled unreduced (they
    were a 500 when asked for narrow renditions only)."""
    data = png(Image.new(mode, (1000, 800), 30000 if mode == "I;16" else 1))
    [webp, jpeg] = process_image_sync(data, choose=lambda planned: NARROW).renditions
    assert (jpeg.width, jpeg.height) == (240, 192)
    assert min(decoded_whole(jpeg.data).convert("L").getextrema()) > 100


# --- damaged and hostile image data ----------------------------------------------------------------


def large() -> bytes:
    return png(picture("RGB", (1000, 800)))


def test_a_png_cut_short_in_its_image_data_is_invalid(never_whole: list[tuple[int, int]]) -> None:
    data = large()
    start = data.index(b"IDAT")
    for cut in (start + 100, len(data) // 2, len(data) - 40):
        error = refused(data[:cut])
        assert (error.status, error.code) == (422, "image_invalid"), cut


def test_image_data_that_ends_early_is_invalid(never_whole: list[tuple[int, int]]) -> None:
    """A whole, well-formed file whose image data stops halfway (the zlib stream ends there)."""
    data = large()
    half = zlib.compress(zlib.decompress(idat(data))[: 400 * (1 + 3000)])
    assert refused(with_idat(data, half)).code == "image_invalid"
    assert refused(with_idat(data, b"")).code == "image_invalid"


def test_corrupt_image_data_is_invalid(never_whole: list[tuple[int, int]]) -> None:
    data = bytearray(large())
    middle = data.index(b"IDAT") + (len(data) - data.index(b"IDAT")) // 2
    data[middle : middle + 64] = bytes(64)  # IDAT CRCs go unchecked, as Pillow leaves them
    assert refused(bytes(data)).code == "image_invalid"


def test_a_row_with_no_such_filter_is_invalid(never_whole: list[tuple[int, int]]) -> None:
    data = handmade(picture("RGB", (1000, 800)), lambda y: 7 if y == 500 else y % 5)
    assert refused(data).code == "image_invalid"


def test_image_data_longer_than_the_header_says_is_refused(never_whole: list[tuple[int, int]]) -> None:
    data = handmade(picture("RGB", (1000, 800)), lambda y: y % 5, extra_rows=1)
    assert refused(data).code == "image_invalid"
    plan = png_bands.plan(data)
    assert plan is not None
    with pytest.raises(png_bands.Broken):
        list(png_bands.bands(plan, 64))


def test_a_header_that_lies_small_inflates_no_more_than_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """1000 x 1000 declared, 100 MB of zeros in the image data: refused after the header's
    million bytes (and a row's filter bytes) and one more, never the rest."""
    width = height = 1000
    compressor = zlib.compressobj(9)
    stream = b"".join(compressor.compress(bytes(1 << 20)) for _ in range(100)) + compressor.flush()
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", stream)
        + chunk(b"IEND", b"")
    )
    assert len(data) < 200_000
    inflated = [0]
    decompressobj = zlib.decompressobj

    class Counting:
        def __init__(self) -> None:
            self.inner = decompressobj()

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            out = self.inner.decompress(data, max_length)
            inflated[0] += len(out)
            return out

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    monkeypatch.setattr(png_bands.zlib, "decompressobj", Counting)
    assert refused(data).code == "image_invalid"
    assert inflated[0] == height * (1 + width) + 1


def test_a_decompression_bomb_is_refused_before_any_inflate(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 8-bit RGB PNG of 8000 x 6000 black pixels (48 MP, about 140 KB): the pixel limit refuses
    it on its header, before the band decoder inflates a byte."""
    width, height = 8000, 6000
    compressor = zlib.compressobj(9)
    row = bytes(1 + 3 * width)
    stream = b"".join(compressor.compress(row * 100) for _ in range(height // 100)) + compressor.flush()
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", stream)
        + chunk(b"IEND", b"")
    )
    assert len(data) < 200_000

    def forbidden(*args: object) -> None:
        raise AssertionError("image data was inflated")

    monkeypatch.setattr(png_bands, "_filtered_rows", forbidden)
    monkeypatch.setattr(ImageFile.ImageFile, "load", forbidden)
    error = refused(data, choose=NARROW)
    assert (error.status, error.code, error.params) == (422, "image_too_large", {"limit_mp": 40})
    # Under a higher limit the same file is a plain black picture, decoded a band at a time.
    monkeypatch.undo()
    [webp, jpeg] = process_image_sync(
        data, ImageLimits(max_pixels=50_000_000), choose=lambda planned: NARROW
    ).renditions
    assert decoded_whole(jpeg.data).convert("L").getextrema()[1] < 8


# --- one band ahead --------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [b"", b"\0", bytes(range(256)) * 300])
@pytest.mark.parametrize("second_length", [1, 5_551, 65_521, 65_522, 1_000_003])
def test_the_checksum_of_two_pieces_is_made_from_each_ones(first: bytes, second_length: int) -> None:
    """The stored stream's Adler-32 comes from the band's own (made ahead) and the row above's: the
    same as zlib's over the two together, at lengths around its modulus and past a stored block."""
    second = random.Random(second_length).randbytes(second_length)
    combined = png_bands._adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second))
    assert combined == zlib.adler32(first + second)


def test_the_next_band_is_made_ahead_but_never_two(pool: Executor) -> None:
    """While the caller holds band n, band n + 1 may be inflated, never n + 2 (so at most one more
    band of image data is held); and a caller that stops leaves nothing running."""
    made: list[int] = []

    def produced() -> Iterator[int]:
        for number in range(10):
            made.append(number)
            yield number

    taken = png_bands._one_ahead(produced(), pool)
    for expected in range(3):
        assert next(taken) == expected
        assert len(made) <= expected + 2
    taken.close()
    settled = len(made)
    pool.submit(lambda: None).result()  # anything still queued would have run by now
    assert len(made) == settled <= 4


def test_damage_found_ahead_reaches_the_caller_at_its_band(pool: Executor) -> None:
    """A band that cannot be inflated fails where the caller asks for it, as without the pool."""

    def produced() -> Iterator[int]:
        yield 1
        raise png_bands.Broken("damaged")

    taken = png_bands._one_ahead(produced(), pool)
    assert next(taken) == 1
    with pytest.raises(png_bands.Broken):
        next(taken)
