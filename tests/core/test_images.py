"""The image pipeline and the media store, on real images made with Pillow (no HTTP, no database)."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageFile

from backend.core import images
from backend.core.errors import DomainError
from backend.core.images import ImageLimits, process_image, process_image_sync
from backend.core.media import MediaStore, content_name, media_type_of, media_url

# --- images a phone, an editor or an attacker would send -------------------------------------------


def jpeg_with_gps(size: tuple[int, int] = (1200, 800), orientation: int = 6) -> bytes:
    """A photo as a phone stores it: sideways pixels, an orientation tag, GPS, a maker, a comment.

    The left half is blue and the right half red, so the rotation can be seen in the output.
    """
    image = Image.new("RGB", size, (220, 30, 30))
    image.paste((30, 30, 220), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Phone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 17.0, 40.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 37.0, 42.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"taken at home", quality=90)
    return buffer.getvalue()


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A real, valid 1-bit PNG of width×height black pixels: ~100 KB that decodes to gigabytes."""
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    block = row * 256
    parts = [compressor.compress(block) for _ in range(height // 256)]
    parts += [compressor.compress(row * (height % 256)), compressor.flush()]
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def gif_bomb() -> bytes:
    """A GIF of a few dozen bytes declaring a 65535×65535 canvas."""
    return (
        b"GIF89a"
        + struct.pack("<HH", 65535, 65535)
        + b"\x00\x00\x00"
        + b",\x00\x00\x00\x00\xff\xff\xff\xff\x00\x02\x02D\x01\x00;"
    )


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def refused(data: bytes, limits: ImageLimits = ImageLimits()) -> DomainError:
    with pytest.raises(DomainError) as caught:
        process_image_sync(data, limits)
    return caught.value


# --- what comes out --------------------------------------------------------------------------------


def test_a_phone_photo_comes_out_upright_and_without_exif_or_gps() -> None:
    source = jpeg_with_gps()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input has GPS
    result = process_image_sync(source)
    assert result.source_format == "JPEG"
    for rendition in result.renditions:
        assert b"Exif" not in rendition.data and b"taken at home" not in rendition.data
        image = reopen(rendition.data)
        assert not image.getexif()
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
        # 1200×800 stored with orientation 6 is an 800×1200 portrait; blue was left, is now top.
        assert image.height > image.width
        top, bottom = (
            image.convert("RGB").getpixel((image.width // 2, 5)),
            image.convert("RGB").getpixel((image.width // 2, image.height - 5)),
        )
        assert top[2] > 150 > top[0] and bottom[0] > 150 > bottom[2]


def test_webp_and_jpeg_in_every_width_never_wider_than_the_original() -> None:
    result = process_image_sync(encoded(Image.new("RGB", (1000, 500), (10, 120, 200)), "PNG"))
    keys = [r.key for r in result.renditions]
    assert keys == [
        "w240.webp",
        "w240.jpg",
        "w480.webp",
        "w480.jpg",
        "w960.webp",
        "w960.jpg",
        "w1000.webp",
        "w1000.jpg",
    ]
    for rendition in result.renditions:
        image = reopen(rendition.data)
        assert image.format == ("WEBP" if rendition.key.endswith(".webp") else "JPEG")
        assert image.size == (rendition.width, rendition.height) and image.width <= 1000
        assert image.height == round(500 * image.width / 1000)
        assert rendition.filename == f"{result.digest}-{rendition.key}" and len(result.digest) == 16
    assert reopen(result.renditions[1].data).info.get("progressive")


def test_a_large_image_stops_at_the_widest_rendition() -> None:
    result = process_image_sync(encoded(Image.new("RGB", (3000, 2000), (90, 90, 90)), "JPEG"))
    assert max(r.width for r in result.renditions) == 1440
    assert sorted({r.width for r in result.renditions}) == [240, 480, 960, 1440]


def test_a_small_image_is_never_upscaled() -> None:
    result = process_image_sync(encoded(Image.new("RGB", (120, 90), (0, 0, 0)), "GIF"))
    assert [(r.key, r.width, r.height) for r in result.renditions] == [("w120.webp", 120, 90), ("w120.jpg", 120, 90)]


def test_transparent_png_lands_on_white() -> None:
    picture = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    picture.paste((200, 0, 0, 255), (0, 0, 100, 200))
    for rendition in process_image_sync(encoded(picture, "PNG")).renditions:
        image = reopen(rendition.data)
        assert image.mode == "RGB"
        assert all(channel > 245 for channel in image.getpixel((image.width - 3, image.height // 2)))
        assert image.getpixel((2, image.height // 2))[0] > 150


def test_gif_takes_its_first_frame_and_its_transparency_turns_white() -> None:
    first = Image.new("P", (200, 100), 0)
    first.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    second = Image.new("P", (200, 100), 1)
    second.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    data = encoded(first, "GIF", save_all=True, append_images=[second], transparency=1)
    first_white = encoded(first, "GIF", transparency=0)
    assert reopen(process_image_sync(data).renditions[-1].data).getpixel((10, 10))[0] > 200  # red frame 1
    assert reopen(process_image_sync(first_white).renditions[-1].data).getpixel((10, 10)) == (255, 255, 255)


def test_cmyk_and_sixteen_bit_images_become_rgb() -> None:
    cmyk = encoded(Image.new("CMYK", (500, 300), (0, 255, 255, 0)), "JPEG")
    red = reopen(process_image_sync(cmyk).renditions[-1].data).getpixel((10, 10))
    assert red[0] > 200 and red[1] < 40
    deep = encoded(Image.new("I;16", (300, 200), 30000), "PNG")
    assert reopen(process_image_sync(deep).renditions[-1].data).mode == "RGB"


def test_identical_uploads_get_identical_names_and_bytes() -> None:
    source = jpeg_with_gps()
    first, second = process_image_sync(source), process_image_sync(source)
    assert [r.filename for r in first.renditions] == [r.filename for r in second.renditions]
    assert [r.data for r in first.renditions] == [r.data for r in second.renditions]
    other = process_image_sync(jpeg_with_gps(orientation=1))
    assert other.digest != first.digest


async def test_the_async_entry_point_runs_off_the_event_loop() -> None:
    result = await process_image(jpeg_with_gps())
    assert result.renditions


# --- what is refused ----------------------------------------------------------------------------


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any pixel is decoded: bombs must be stopped on their header alone."""

    def forbidden(self: Image.Image) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", forbidden)


@pytest.mark.usefixtures("no_decoding")
@pytest.mark.parametrize(
    "make",
    [png_bomb, lambda: png_bomb(8_000, 6_000), gif_bomb],
    ids=["png-30000x30000", "png-48-megapixels", "gif-65535x65535"],
)
def test_decompression_bombs_are_refused_before_decoding(make: object) -> None:
    data = make()  # type: ignore[operator]
    assert len(data) < 200_000
    error = refused(data)
    assert (error.status, error.code) == (422, "image_too_large")
    assert error.params == {"limit_mp": 40}


def test_the_pixel_limit_is_configurable() -> None:
    data = encoded(Image.new("RGB", (1000, 1000)), "PNG")
    assert refused(data, ImageLimits(max_pixels=999_999)).code == "image_too_large"
    assert process_image_sync(data, ImageLimits(max_pixels=1_000_000)).renditions


def test_a_truncated_jpeg_is_invalid() -> None:
    source = jpeg_with_gps()
    for cut in (len(source) // 2, len(source) - 40, 200):
        error = refused(source[:cut])
        assert (error.status, error.code) == (422, "image_invalid"), cut


def test_a_truncated_png_is_invalid() -> None:
    source = encoded(Image.effect_noise((400, 300), 50).convert("RGB"), "PNG")
    assert refused(source[: len(source) // 2]).code == "image_invalid"


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is a holiday photo.jpg but really text\n" * 20,
        b"",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n",
        encoded(Image.new("RGB", (64, 48)), "BMP"),
        encoded(Image.new("RGB", (64, 48)), "TIFF"),
    ],
    ids=["text", "empty", "svg", "eps", "bmp", "tiff"],
)
def test_what_is_not_an_allowed_image_is_unsupported(data: bytes) -> None:
    error = refused(data)
    assert (error.status, error.code) == (422, "image_unsupported")


@pytest.mark.parametrize(
    "data",
    [b"GIF89a<html><script>alert(1)</script></html>", b"\xff\xd8\xff\xe0" + b"<html>garbage</html>" * 50],
    ids=["gif-header-then-html", "jpeg-magic-then-garbage"],
)
def test_polyglots_with_an_image_header_are_refused_as_invalid(data: bytes) -> None:
    error = refused(data)
    assert (error.status, error.code) == (422, "image_invalid")


def test_a_real_image_carrying_html_is_stored_without_it() -> None:
    payload = b"<html><script>alert(document.cookie)</script></html>"
    result = process_image_sync(jpeg_with_gps() + payload)
    assert result.renditions and not any(b"<script" in r.data for r in result.renditions)


def test_an_oversized_file_is_413_before_any_work(no_decoding: None) -> None:
    limits = ImageLimits(max_bytes=1000)
    error = refused(b"\xff\xd8\xff" + b"\0" * 1000, limits)
    assert (error.status, error.code, error.params) == (413, "image_file_too_large", {"limit_mb": 0})
    assert refused(b"\0" * (images.DEFAULT_MAX_BYTES + 1)).status == 413


async def test_the_async_entry_point_refuses_oversized_files_without_a_thread() -> None:
    with pytest.raises(DomainError) as caught:
        await process_image(b"x" * 11, limits=ImageLimits(max_bytes=10))
    assert caught.value.status == 413


# --- the media store ---------------------------------------------------------------------------


def test_the_store_writes_once_atomically_and_names_by_content(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    name = content_name(b"poster bytes", ".webp")
    assert name == content_name(b"poster bytes", ".webp") != content_name(b"other bytes", ".webp")
    assert store.write(f"posters/{name}", b"poster bytes") is True
    assert store.write(f"posters/{name}", b"poster bytes") is False  # already there: stored once
    assert (tmp_path / "media" / "posters" / name).read_bytes() == b"poster bytes"
    assert [p.name for p in (tmp_path / "media" / "posters").iterdir()] == [name]  # no temporary left
    assert store.locate(f"posters/{name}") == (tmp_path / "media" / "posters" / name).resolve()
    assert store.url(f"posters/{name}") == media_url(f"posters/{name}") == f"/media/posters/{name}"


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = MediaStore(tmp_path)

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        store.write("posters/a.webp", b"data")
    assert list((tmp_path / "posters").iterdir()) == []


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "posters/../../secret.txt",
        "/etc/passwd",
        "posters//a.webp",
        "posters/.tmp-abc",
        ".hidden",
        "posters/a\0.webp",
        "",
        "posters/",
    ],
)
def test_the_store_never_reaches_outside_its_root(tmp_path: Path, path: str) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    root = tmp_path / "media"
    (root / "posters").mkdir(parents=True)
    (root / "posters" / ".tmp-abc").write_bytes(b"half a file")
    (root / ".hidden").write_bytes(b"x")
    store = MediaStore(root)
    assert store.locate(path) is None
    if path:
        with pytest.raises(ValueError):
            store.write(path, b"x")


def test_a_symlink_out_of_the_root_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    root = tmp_path / "media"
    root.mkdir()
    (root / "link.webp").symlink_to(tmp_path / "secret.txt")
    assert MediaStore(root).locate("link.webp") is None


def test_media_types_come_from_our_extensions() -> None:
    assert media_type_of("posters/a-w480.webp") == "image/webp"
    assert media_type_of("posters/a-w480.jpg") == "image/jpeg"
    assert media_type_of("x.unknownext") == "application/octet-stream"


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_a_big_transparent_picture_is_laid_on_white_while_it_shrinks(mode: str) -> None:
    """Asked for narrow renditions only, a 2400 x 1800 picture is reduced before the colour work,
    band by band when it has transparency: the same white and the same blue as unreduced."""
    image = Image.new("RGBA", (2400, 1800), (0, 0, 0, 0))
    image.paste((20, 40, 220, 255), (0, 900, 2400, 1800))  # the lower half opaque, the upper clear
    image.paste((20, 40, 220, 128), (0, 1700, 2400, 1800))  # a half-transparent strip at the foot
    if mode == "LA":
        image = image.convert("LA")
    elif mode == "P":
        image = image.convert("RGB").quantize(4)
        image.info["transparency"] = image.getpixel((0, 0))
    narrow = process_image_sync(encoded(image, "PNG"), choose=lambda planned: ["w240.jpg"])
    whole = process_image_sync(encoded(image, "PNG"))  # 960 and 1440 too: not reduced first
    [small] = narrow.renditions
    reference = next(r for r in whole.renditions if r.key == "w240.jpg")
    assert narrow.planned == whole.planned and len(narrow.rest) == len(narrow.planned) - 1
    got, expected = reopen(small.data).convert("RGB"), reopen(reference.data).convert("RGB")
    assert got.size == expected.size == (240, 180)
    for point in ((120, 40), (120, 130), (120, 176)):
        assert all(abs(a - b) <= 10 for a, b in zip(got.getpixel(point), expected.getpixel(point), strict=True)), point
    assert all(channel >= 245 for channel in got.getpixel((120, 40)))  # the clear half is white
