"""A large PNG poster over HTTP, on both databases: decoded a band at a time, answered with its
renditions; one whose image data is cut or damaged is a clear 422 that changes nothing."""

from __future__ import annotations

import io
import zlib
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw

from backend.core import jobs, png_bands
from tests.core.test_png_bands import idat, with_idat
from tests.events.catalogue.test_posters import org, stored_poster, upload  # noqa: F401  (org: a fixture)

Client = httpx.AsyncClient


def drawn_poster(size: tuple[int, int] = (3900, 2600)) -> bytes:
    """A designer's poster of 10 MP with a clear margin: gradients and blocks (a small file), red
    blocks on an opaque blue field, the left tenth transparent."""
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGBA", (ramp.point(lambda v: v // 8), ramp.point(lambda v: v // 4), ramp, ramp.point(lambda v: 255))
    )
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, size[0] // 10, size[1]], fill=(0, 0, 0, 0))
    for left in range(size[0] // 5, size[0], size[0] // 6):
        draw.rectangle([left, size[1] // 3, left + size[0] // 12, size[1] * 2 // 3], fill=(230, 30, 30, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def band_decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The height of every band Pillow decodes from an upload."""
    heights: list[int] = []
    frombytes = Image.frombytes

    def recorded(mode: str, size: tuple[int, int], data: bytes, *args: object) -> Image.Image:
        if args[:1] == ("zip",):
            heights.append(size[1])
        return frombytes(mode, size, data, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(png_bands.Image, "frombytes", recorded)
    return heights


async def test_a_large_png_poster_is_decoded_in_bands_and_served(
    client: Client, org: dict[str, Any], band_decodes: list[int]
) -> None:
    response = await upload(client, org["event"].id, drawn_poster(), org["auth"], "poster.png", "image/png")
    assert response.status_code == 200, response.text
    assert len(band_decodes) > 20 and max(band_decodes) <= 90  # 2600 rows, never more than a band
    urls = response.json()["poster_urls"]
    assert set(urls) == {f"w{w}.{ext}" for w in (240, 480, 960) for ext in ("webp", "jpg")}
    served = await client.get(urls["w960.jpg"])
    assert served.status_code == 200
    image = Image.open(io.BytesIO(served.content)).convert("RGB")
    assert image.size == (960, 640)
    assert all(channel >= 245 for channel in image.getpixel((20, 320)))  # the clear margin is white
    red = image.getpixel((int(960 * (0.2 + 1 / 24)), 320))
    assert red[0] > 180 and red[1] < 80 and red[2] < 80  # a red block, where it was drawn


@pytest.mark.parametrize("damage", ["cut", "ends-early", "corrupt"])
async def test_a_large_png_with_damaged_image_data_is_422_and_changes_nothing(
    client: Client, org: dict[str, Any], damage: str
) -> None:
    first = await upload(client, org["event"].id, drawn_poster((2000, 1500)), org["auth"], "a.png", "image/png")
    assert first.status_code == 200, first.text
    await jobs.drain()  # its 1440 px renditions made: nothing else will change the poster
    before = await stored_poster(org["event"].id)
    data = drawn_poster()
    if damage == "cut":
        broken = data[: len(data) * 2 // 3]
    elif damage == "ends-early":
        broken = with_idat(data, zlib.compress(zlib.decompress(idat(data))[: 1000 * (1 + 4 * 3900)]))
    else:
        middle = data.index(b"IDAT") + (len(data) - data.index(b"IDAT")) // 2
        broken = data[:middle] + bytes(64) + data[middle + 64 :]
    response = await upload(
        client, org["event"].id, broken, {**org["auth"], "Accept-Language": "en"}, "b.png", "image/png"
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "image_invalid"
    assert problem["detail"] == "The image file is damaged or incomplete."
    assert await stored_poster(org["event"].id) == before
