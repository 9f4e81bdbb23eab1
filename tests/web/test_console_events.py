"""The organisers' room over HTTP on both databases: the list, creating and editing an event,
its poster, publishing and cancelling, each read back through the API, and the refusals."""

from __future__ import annotations

import io
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from backend.accounts.tables import Role
from backend.core.i18n import CITY_TZ
from backend.core.tables import AuditEntry
from backend.events.catalogue.tables import Event
from tests import factories
from tests.web.console import sign_in


def png(width: int = 640, height: int = 900) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def local(moment: datetime) -> str:
    """As a datetime-local input sends it: Suzhou time, no offset."""
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M")


async def post(
    client: httpx.AsyncClient, path: str, csrf: str | None, fields: dict[str, Any] | None = None, **kw: Any
) -> httpx.Response:
    """A form sent with htmx (the token in its header), as the console's pages send it."""
    headers = {"HX-Request": "true"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    return await client.post(path, data=fields or {}, headers=headers, **kw)


async def world() -> dict[str, Any]:
    tree = await factories.city_tree()
    place = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    return {"tree": tree, "venue": place, "organiser": organiser}


def event_form(w: dict[str, Any], **changes: Any) -> dict[str, Any]:
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=5)
    form: dict[str, Any] = {
        "organisation_id": str(w["tree"]["community_a"].id),
        "title.zh-Hans": "社区合唱团新年音乐会",
        "title.ja": "地域合唱団のニューイヤーコンサート",
        "summary.zh-Hans": "邻里一起唱",
        "category": "performance",
        "venue_id": str(w["venue"].id),
        "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=2)),
        "capacity": "30",
        "max_party_size": "3",
        "audiences": ["seniors", "family"],
        "languages": ["zh"],
        "waitlist_enabled": "1",
        "is_free": "1",
    }
    form.update(changes)
    return form


async def create(client: httpx.AsyncClient, csrf: str, w: dict[str, Any], **changes: Any) -> uuid.UUID:
    answer = await post(client, "/console/events", csrf, event_form(w, **changes))
    assert answer.status_code == 200, answer.text
    location = answer.headers["hx-redirect"]
    return uuid.UUID(location.split("/")[3].split("?")[0])


async def test_an_organiser_creates_a_two_language_event_read_back_through_the_api(client: httpx.AsyncClient) -> None:
    w = await world()
    csrf = await sign_in(client, w["organiser"])
    form = await client.get("/console/events/new")
    assert form.status_code == 200
    assert 'id="field-title-ja"' in form.text and "南园社区活动中心" in form.text  # the venue in scope

    event_id = await create(client, csrf, w)
    api = await client.get(f"/api/v1/events/{event_id}?lang=ja", headers=factories.token_for(w["organiser"]))
    body = api.json()
    assert body["title"] == "地域合唱団のニューイヤーコンサート" and body["status"] == "draft"
    assert body["capacity"] == 30 and body["max_party_size"] == 3
    assert sorted(body["audiences"]) == ["family", "seniors"] and body["languages"] == ["zh"]
    starts = datetime.fromisoformat(body["starts_at"])
    assert local(starts) == event_form(w)["starts_at"]  # typed in Suzhou time, stored in UTC

    shown = await client.get(f"/console/events/{event_id}?said=event_created")
    assert shown.status_code == 200 and "社区合唱团新年音乐会" in shown.text and "草稿" in shown.text


async def test_bad_input_marks_the_field_in_the_readers_language_never_a_500(client: httpx.AsyncClient) -> None:
    w = await world()
    csrf = await sign_in(client, w["organiser"])
    start = datetime.now(UTC) + timedelta(days=5)
    cases = [
        ({"capacity": "many"}, "field-capacity"),
        ({"capacity": "0"}, "field-capacity"),
        ({"starts_at": "tomorrow"}, "field-starts_at"),
        ({"ends_at": local(start - timedelta(hours=1)), "starts_at": local(start)}, "field-ends_at"),
        ({"max_party_size": "40"}, "field-max_party_size"),
        ({"audiences": ["aliens"]}, "field-audiences"),
        ({"title.zh-Hans": "x" * 200}, "field-title"),
    ]
    for changes, anchor in cases:
        answer = await post(client, "/console/events?lang=en", csrf, event_form(w, **changes))
        assert answer.status_code == 422, (changes, answer.text)
        assert answer.headers["hx-retarget"] == "#problems"
        assert anchor in answer.text, (changes, answer.text)
    past = await post(
        client,
        "/console/events",
        csrf,
        event_form(w, starts_at=local(start - timedelta(days=10)), ends_at=local(start - timedelta(days=9))),
    )
    assert past.status_code == 422 and "field-starts_at" in past.text and "不能早于现在" in past.text
    assert await Event.count() == 0


async def test_a_form_without_its_token_changes_nothing(client: httpx.AsyncClient) -> None:
    w = await world()
    await sign_in(client, w["organiser"])
    refused = await post(client, "/console/events", None, event_form(w))
    assert refused.status_code == 403
    assert await Event.count() == 0


async def test_the_list_is_scoped_filtered_sorted_and_counts_seats(client: httpx.AsyncClient) -> None:
    w = await world()
    tree = w["tree"]
    ours = await factories.published_event(tree["community_a"], w["venue"], title={"zh-Hans": "评弹欣赏会"})
    other_venue = await factories.venue(tree["community_b"], tree["community_b"], name="莲花活动室")
    theirs = await factories.published_event(tree["community_b"], other_venue, title={"zh-Hans": "别人的活动"})
    resident = await factories.resident()
    signed = await client.post(
        f"/api/v1/events/{ours.id}/registrations", json={"party_size": 2}, headers=factories.token_for(resident)
    )
    assert signed.status_code == 201
    csrf = await sign_in(client, w["organiser"])
    draft_id = await create(client, csrf, w, **{"title.zh-Hans": "草稿里的讲座"})

    everything = await client.get("/console/events")
    assert everything.status_code == 200
    assert "评弹欣赏会" in everything.text and "草稿里的讲座" in everything.text
    assert "别人的活动" not in everything.text and str(theirs.id) not in everything.text
    assert "2 / 20" in everything.text  # seats taken of the capacity

    drafts = await client.get("/console/events?state=draft")
    assert "草稿里的讲座" in drafts.text and "评弹欣赏会" not in drafts.text
    words = await client.get("/console/events?q=评弹")
    assert "评弹欣赏会" in words.text and "草稿里的讲座" not in words.text
    sorted_ = await client.get("/console/events?sort=seats_taken")
    assert sorted_.text.index(str(draft_id)) < sorted_.text.index(str(ours.id))
    assert 'aria-sort="ascending"' in sorted_.text
    nothing = await client.get("/console/events?state=cancelled&page=7&sort=nonsense")
    assert nothing.status_code == 200 and "没有符合" in nothing.text

    other = await client.get(f"/console/events/{theirs.id}")
    assert other.status_code == 404
    assert (await client.get(f"/console/events/{theirs.id}/edit")).status_code == 404
    changed = await post(client, f"/console/events/{theirs.id}", csrf, {"capacity": "99"})
    assert changed.status_code == 404


async def test_a_role_without_events_finds_no_room(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    coordinator = await factories.staff(Role.coordinator, tree["community_a"])
    await sign_in(client, coordinator)
    home = await client.get("/console")
    assert 'href="/console/events"' not in home.text
    assert (await client.get("/console/events")).status_code == 403
    assert (await client.get("/console/events/new")).status_code == 403


async def test_editing_publishing_and_a_cancellation_that_says_who_will_be_told(client: httpx.AsyncClient) -> None:
    w = await world()
    csrf = await sign_in(client, w["organiser"])
    event_id = await create(client, csrf, w)
    edit = await client.get(f"/console/events/{event_id}/edit")
    assert edit.status_code == 200 and 'value="社区合唱团新年音乐会"' in edit.text

    saved = await post(
        client,
        f"/console/events/{event_id}",
        csrf,
        event_form(w, capacity="2", max_party_size="2", **{"title.en": "New Year Concert", "audiences": ["youth"]}),
    )
    assert saved.status_code == 200, saved.text
    too_small = await post(client, f"/console/events/{event_id}", csrf, event_form(w, capacity="2", max_party_size="5"))
    assert too_small.status_code == 422 and "field-max_party_size" in too_small.text

    published = await post(client, f"/console/events/{event_id}/publish", csrf)
    assert published.headers["hx-redirect"].endswith("said=event_published")
    again = await post(client, f"/console/events/{event_id}/publish", csrf)
    assert again.status_code == 409

    body = (await client.get(f"/api/v1/events/{event_id}?lang=en")).json()
    assert (body["title"], body["status"], body["capacity"], body["audiences"], body["waitlist_length"]) == (
        "New Year Concert",
        "published",
        2,
        ["youth"],
        0,
    )
    for person in range(3):
        resident = await factories.resident(f"居民{person}")
        await client.post(f"/api/v1/events/{event_id}/registrations", headers=factories.token_for(resident))

    confirm = await client.get(f"/console/events/{event_id}/cancel?lang=en")
    assert confirm.status_code == 200
    assert "3 people who signed up will be told" in confirm.text  # two seats and one in line
    cancelled = await post(client, f"/console/events/{event_id}/cancel", csrf)
    assert cancelled.status_code == 200
    assert (await client.get(f"/api/v1/events/{event_id}")).json()["status"] == "cancelled"
    closed = await post(client, f"/console/events/{event_id}", csrf, {"capacity": "9"})
    assert closed.status_code == 409


async def test_a_poster_is_checked_like_the_apis_and_can_be_removed(client: httpx.AsyncClient) -> None:
    w = await world()
    csrf = await sign_in(client, w["organiser"])
    event_id = await create(client, csrf, w)

    not_an_image = await post(
        client,
        f"/console/events/{event_id}/poster",
        csrf,
        files={"file": ("poster.png", b"GIF89a nonsense", "image/png")},
    )
    assert not_an_image.status_code == 422
    uploaded = await post(
        client, f"/console/events/{event_id}/poster", csrf, files={"file": ("poster.png", png(), "image/png")}
    )
    assert uploaded.status_code == 200, uploaded.text
    body = (await client.get(f"/api/v1/events/{event_id}", headers=factories.token_for(w["organiser"]))).json()
    assert "w480.webp" in body["poster_urls"]
    shown = await client.get(f"/console/events/{event_id}")
    assert body["poster_urls"]["w480.webp"] in shown.text

    removed = await post(client, f"/console/events/{event_id}/poster/remove", csrf)
    assert removed.status_code == 200
    body = (await client.get(f"/api/v1/events/{event_id}", headers=factories.token_for(w["organiser"]))).json()
    assert body["poster_urls"] == {}
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action)]
    assert "events.poster_uploaded" in actions and "events.poster_removed" in actions


async def test_a_venue_added_from_the_form_is_chosen_at_once(client: httpx.AsyncClient) -> None:
    w = await world()
    csrf = await sign_in(client, w["organiser"])
    adding = await client.get("/console/events/venue-picker?adding=true", headers={"HX-Request": "true"})
    assert 'id="field-new_venue_latitude"' in adding.text
    organisation = str(w["tree"]["community_a"].id)
    refused = await post(
        client,
        "/console/events/venues",
        csrf,
        {"organisation_id": organisation, "new_venue_name_zh": "小礼堂", "new_venue_latitude": "north"},
    )
    assert refused.status_code == 422 and "field-new_venue_latitude" in refused.text
    added = await post(
        client,
        "/console/events/venues",
        csrf,
        {
            "organisation_id": organisation,
            "new_venue_name_zh": "南园小礼堂",
            "new_venue_latitude": "31.29",
            "new_venue_longitude": "120.63",
        },
    )
    assert added.status_code == 200, added.text
    assert "南园小礼堂" in added.text and "selected" in added.text
    venues = (await client.get("/api/v1/venues")).json()
    assert any(v["name"] == "南园小礼堂" for v in venues)


async def test_a_weekly_programme_made_edited_and_published_this_and_following(client: httpx.AsyncClient) -> None:
    """周周演 from the form: every occurrence its own draft; an edit or a publication applies to
    one occurrence or to it and every later one, as the API's ``?scope=following``."""
    w = await world()
    csrf = await sign_in(client, w["organiser"])
    form = await client.get("/console/events/new?lang=ja")
    assert 'name="recurrence.freq"' in form.text and "月曜日" in form.text  # weekdays in the reader's language
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=5)
    weekday = str(start.astimezone(CITY_TZ).weekday())
    unbounded = await post(
        client,
        "/console/events?lang=en",
        csrf,
        event_form(w, **{"recurrence.freq": "weekly", "recurrence.weekdays": weekday}),
    )
    assert unbounded.status_code == 422 and "field-recurrence-until" in unbounded.text
    assert "end date or a number of times" in unbounded.text
    bad = await post(
        client, "/console/events", csrf, event_form(w, **{"recurrence.freq": "hourly", "recurrence.count": "3"})
    )
    assert bad.status_code == 422 and "field-recurrence-freq" in bad.text
    assert await Event.count() == 0

    first = await create(
        client, csrf, w, **{"recurrence.freq": "weekly", "recurrence.weekdays": weekday, "recurrence.count": "4"}
    )
    rows = await Event.select(Event.id, Event.series, Event.starts_at, Event.status).order_by(Event.starts_at)
    assert len(rows) == 4 and len({row["series"] for row in rows}) == 1 and rows[0]["id"] == first
    assert all(row["status"] == "draft" for row in rows)
    assert all((b["starts_at"] - a["starts_at"]) == timedelta(days=7) for a, b in itertools.pairwise(rows))

    second = rows[1]["id"]
    edit = await client.get(f"/console/events/{second}/edit")
    assert 'name="apply_to"' in edit.text
    moved = local(rows[1]["starts_at"] + timedelta(hours=1))
    ends = local(rows[1]["starts_at"] + timedelta(hours=3))
    saved = await post(
        client, f"/console/events/{second}", csrf, event_form(w, starts_at=moved, ends_at=ends, apply_to="following")
    )
    assert saved.status_code == 200, saved.text
    after = await Event.select(Event.starts_at).order_by(Event.starts_at)
    assert after[0]["starts_at"] == rows[0]["starts_at"]  # the earlier one stays
    assert [a["starts_at"] - b["starts_at"] for a, b in zip(after[1:], rows[1:], strict=True)] == [
        timedelta(hours=1)
    ] * 3

    shown = await client.get(f"/console/events/{second}?lang=en")
    assert "Publish this and every later one" in shown.text
    published = await post(client, f"/console/events/{second}/publish", csrf, {"apply_to": "following"})
    assert published.status_code == 200, published.text
    statuses = [row["status"] for row in await Event.select(Event.status).order_by(Event.starts_at)]
    assert statuses == ["draft", "published", "published", "published"]
