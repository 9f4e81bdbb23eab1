"""A public event page in a real browser right after a big poster was uploaded (the wider
renditions not made yet) and after the job made them, in Chinese and English: the poster is drawn
both times, from renditions that exist."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pytest
from litestar import Litestar
from PIL import Image, ImageDraw
from playwright.async_api import Page

from backend.accounts.tables import Role
from backend.core.fonts import cjk_font
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE
from tests.events.catalogue.test_poster_renditions import HeldJobs

LANGS = ("zh-Hans", "en")
# The <img>'s chosen source once it has loaded: (URL, natural width), or null.
_SHOWN = """() => {
  const image = document.querySelector(".public-poster img");
  return image && image.complete && image.naturalWidth > 0 ? [image.currentSrc, image.naturalWidth] : null;
}"""


def festival_poster() -> bytes:
    """A 2400 x 3200 poster as a designer exports it (about 7.7 MP): warm bands, a sun, the
    festival's name; a random mark keeps its bytes unique."""
    width, height = 2400, 3200
    picture = Image.new("RGB", (width, height), (250, 236, 214))
    draw = ImageDraw.Draw(picture)
    for band in range(8):  # roofs and canals at the foot, the sun and the name above them
        top = 2240 + band * 120
        draw.rectangle((0, top, width, top + 120), fill=(200 - band * 12, 60 + band * 8, 40 + band * 6))
    draw.ellipse((width // 2 - 380, 420, width // 2 + 380, 1180), fill=(236, 120, 40))
    title, subtitle = cjk_font(260, locale="zh-Hans", bold=True), cjk_font(120, locale="zh-Hans")
    draw.text((width // 2, 1560), "邻里文化节", font=title, fill=(120, 36, 24), anchor="mm")
    draw.text((width // 2, 1900), "社区共建 · 文化共享", font=subtitle, fill=(150, 80, 40), anchor="mm")
    draw.text((40, 40), uuid.uuid4().hex[:6], font=cjk_font(24, locale="en"), fill=(250, 236, 214))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=88)
    return out.getvalue()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_event_page_shows_the_poster_before_and_after_the_job(
    page: Page, served: str, client: httpx.AsyncClient, app: Litestar, outside: list[str], screenshot: Any
) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    event = await factories.published_event(tree["street_a"], venue)
    current = app.state.runtime
    held = HeldJobs()
    previous, current.runner = current.runner, held
    try:
        uploaded = await client.post(
            f"/api/v1/events/{event.id}/poster",
            files={"file": ("poster.jpg", festival_poster(), "image/jpeg")},
            headers=factories.token_for(organiser),
        )
        assert uploaded.status_code == 200, uploaded.text
        assert uploaded.json()["coming"] == ["w1440.webp", "w1440.jpg"]
        await look(page, served, f"/events/{event.id}", "before", screenshot, wide=False)
        assert await held.run() == ["made"]
        await look(page, served, f"/events/{event.id}?seen=after", "after", screenshot, wide=True)
    finally:
        current.runner = previous
    assert outside == []


async def look(page: Page, served: str, path: str, moment: str, screenshot: Any, *, wide: bool) -> None:
    joiner = "&" if "?" in path else "?"
    for lang in LANGS:
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            await page.set_viewport_size(viewport)
            answer = await page.goto(f"{served}{path}{joiner}lang={lang}")
            assert answer is not None and answer.status == 200
            await page.wait_for_function(_SHOWN)  # the poster loaded: its source exists
            shown_url, natural_width = await page.evaluate(_SHOWN)
            assert "/media/posters/" in shown_url and natural_width >= 240
            offered = await page.locator(".public-poster source").get_attribute("srcset") or ""
            assert ("w1440" in offered) is wide, offered
            await screenshot(f"public-event-poster-{moment}-{lang}-{size}")
