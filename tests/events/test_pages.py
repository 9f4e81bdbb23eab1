"""What the public pages read from events (``events.api.event_page``, ``share_link``): the API's
answer and what the page adds, in the reader's language, drafts for their organisers only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from backend.accounts.tables import Role
from backend.core import jobs
from backend.core.context import Principal
from backend.core.errors import NotFound
from backend.core.i18n import format_datetime, use_locale
from backend.events import api
from backend.events.catalogue.tables import Event
from backend.events.sharing.services import share_link_code
from tests import factories

Client = httpx.AsyncClient


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    return {"tree": tree, "venue": venue, "organiser": organiser}


async def test_the_page_of_an_event_in_the_readers_language(client: Client, place: dict[str, Any]) -> None:
    event = await factories.published_event(
        place["tree"]["street_a"], place["venue"], accessibility=["wheelchair"], languages=["zh", "wuu"]
    )
    photo = io.BytesIO()
    Image.new("RGB", (1000, 700), (20, 120, 200)).save(photo, format="JPEG")
    uploaded = await client.post(
        f"/api/v1/events/{event.id}/poster",
        files={"file": ("p.jpg", photo.getvalue(), "image/jpeg")},
        headers=factories.token_for(place["organiser"]),
    )
    assert uploaded.status_code == 200
    await jobs.drain()  # the 1000 px renditions are made after the answer
    with use_locale("ja"):
        page = await api.event_page(event.id, None)
    answer = (await client.get(f"/api/v1/events/{event.id}", headers={"Accept-Language": "ja"})).json()
    assert page.event.title == answer["title"] == "評弾の夕べ"
    assert (page.event.locale, page.event.converted) == ("ja", False)
    assert page.organiser_name == "双塔街道"  # no Japanese name: the chain reaches the Chinese one
    assert page.venue.name == "Nanyuan Community Centre"
    assert (page.seats_left, page.waitlist_length, page.availability) == (20, 0, "open")
    assert page.availability_text == "残り20席"
    assert [(t.code, t.name) for t in page.languages] == [("zh", "中国語"), ("wuu", "呉語")]
    assert [t.code for t in page.accessibility] == ["wheelchair"] and page.accessibility[
        0
    ].name != "Wheelchair accessible"
    assert [(r.width, r.format) for r in page.poster] == [
        (240, "jpg"),
        (240, "webp"),
        (480, "jpg"),
        (480, "webp"),
        (960, "jpg"),
        (960, "webp"),
        (1000, "jpg"),
        (1000, "webp"),
    ]
    assert set(page.event.poster_urls.values()) == {r.url for r in page.poster}
    assert page.calendar_url == f"/api/v1/events/{event.id}/calendar.ics"
    assert (await client.get(page.calendar_url)).status_code == 200


async def test_a_converted_title_is_marked(client: Client, place: dict[str, Any]) -> None:
    event = await factories.published_event(
        place["tree"]["street_a"], place["venue"], title={"zh-Hans": "苏州评弹欣赏会"}
    )
    with use_locale("zh-Hant"):
        page = await api.event_page(event.id, None)
    assert (page.event.title, page.event.locale, page.event.converted) == ("蘇州評彈欣賞會", "zh-Hant", True)


async def test_what_a_visitor_can_do_is_said_for_them(client: Client, place: dict[str, Any]) -> None:
    event = await factories.published_event(place["tree"]["street_a"], place["venue"], capacity=1, max_party_size=1)
    for _ in range(3):
        resident = factories.token_for(await factories.resident())
        await client.post(f"/api/v1/events/{event.id}/registrations", json={}, headers=resident)
    with use_locale("en"):
        page = await api.event_page(event.id, None)
    assert (page.availability, page.availability_text) == ("waitlist", "Full; 2 parties on the waitlist")
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    await Event.update({Event.registration_opens_at: opens}).where(Event.id == event.id)
    await client.patch(f"/api/v1/events/{event.id}", json={}, headers=factories.token_for(place["organiser"]))
    with use_locale("en"):
        waiting = await api.event_page(event.id, None)
    assert (waiting.availability, waiting.availability_text) == (
        "not_open_yet",
        f"Registration opens at {format_datetime(opens, 'en')}.",
    )
    await client.post(f"/api/v1/events/{event.id}/cancel", headers=factories.token_for(place["organiser"]))
    with use_locale("en"):
        cancelled = await api.event_page(event.id, None)
    assert (cancelled.availability, cancelled.availability_text) == ("cancelled", "This event has been cancelled.")


async def test_a_draft_is_shown_to_its_organisers_only(client: Client, place: dict[str, Any]) -> None:
    event = await factories.published_event(place["tree"]["street_a"], place["venue"])
    await Event.update({Event.status: "draft"}).where(Event.id == event.id)
    with pytest.raises(NotFound):
        await api.event_page(event.id, None)
    resident = Principal(id=(await factories.resident()).id, kind="resident", locale=None, display_name="")
    with pytest.raises(NotFound):
        await api.event_page(event.id, resident)
    organiser = Principal(id=place["organiser"].id, kind="staff", locale=None, display_name="")
    assert (await api.event_page(event.id, organiser)).event.status == "draft"


async def test_a_share_link_leads_to_its_event(client: Client, place: dict[str, Any]) -> None:
    event = await factories.published_event(place["tree"]["street_a"], place["venue"])
    sharer = await factories.resident()
    code = await share_link_code(event_id=event.id, sharer_id=sharer.id)
    for given in (code, f"e={code}"):
        found = await api.share_link(given)
        assert (found.event_id, found.share_code) == (event.id, code)
    with pytest.raises(NotFound):
        await api.share_link("nosuchcode")
