"""The organisers' room after sign-up: the masked list and its CSV (the API's, audited alike), and
the door, through the API's check-in service (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from backend.accounts.tables import Role, User
from backend.core import clock
from backend.core.tables import AuditEntry
from tests import factories
from tests.web.console import sign_in
from tests.web.test_console_events import post


async def soon_event(**overrides: object) -> tuple[dict[str, object], object, User]:
    tree = await factories.city_tree()
    place = await factories.venue(tree["community_a"], tree["community_a"])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)  # the door is open
    event = await factories.published_event(
        tree["community_a"],
        place,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
        capacity=3,
        max_party_size=2,
        **overrides,
    )
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    return tree, event, organiser


async def signed_up(client: httpx.AsyncClient, event_id: object, name: str, party: int = 1) -> str:
    """A resident signs up through the API; the ticket's code, as its QR code holds it."""
    resident = await factories.resident(name)
    await User.update({User.phone: "13812345678"}).where(User.id == resident.id)
    place = await client.post(
        f"/api/v1/events/{event_id}/registrations", json={"party_size": party}, headers=factories.token_for(resident)
    )
    assert place.status_code == 201, place.text
    if place.json()["status"] != "confirmed":
        return ""
    ticket = await client.get(
        f"/api/v1/registrations/{place.json()['id']}/ticket", headers=factories.token_for(resident)
    )
    return str(ticket.json()["ticket"])


async def test_sign_ups_are_masked_filtered_and_exported_as_the_api_does(client: httpx.AsyncClient) -> None:
    _tree, event, organiser = await soon_event()
    await signed_up(client, event.id, "李晓梅", party=2)
    await signed_up(client, event.id, "王建国", party=2)  # one seat left: waits
    csrf = await sign_in(client, organiser)

    listed = await client.get(f"/console/events/{event.id}/signups")
    assert listed.status_code == 200
    assert "李*梅" in listed.text and "李晓梅" not in listed.text and "138****5678" in listed.text
    assert "候补第 1 位" in listed.text
    waiting = await client.get(f"/console/events/{event.id}/signups?status=waitlisted")
    assert "王*国" in waiting.text and "李*梅" not in waiting.text

    csv = await client.get(f"/console/events/{event.id}/signups.csv")
    api = await client.get(
        f"/api/v1/events/{event.id}/registrations?format=csv", headers=factories.token_for(organiser)
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content == api.content and csv.content.startswith(b"\xef\xbb\xbf")
    reads = await AuditEntry.select(AuditEntry.action, AuditEntry.changes).where(
        AuditEntry.action == "events.attendees_read"
    )
    assert len(reads) == 4  # the page, its filtered view, the console's CSV and the API's
    assert csrf


async def test_another_organisations_sign_ups_and_door_are_refused(client: httpx.AsyncClient) -> None:
    tree, event, _organiser = await soon_event()
    stranger = await factories.staff(Role.organiser, tree["community_b"])
    csrf = await sign_in(client, stranger)
    assert (await client.get(f"/console/events/{event.id}/signups")).status_code == 404
    assert (await client.get(f"/console/events/{event.id}/signups.csv")).status_code == 404
    door = await client.get(f"/console/events/{event.id}/door")
    api = await client.post(
        f"/api/v1/events/{event.id}/check-ins", json={"ticket": "x"}, headers=factories.token_for(stranger)
    )
    assert door.status_code == api.status_code == 403  # a published event: it exists, not theirs
    scan = await post(client, f"/console/events/{event.id}/door", csrf, {"ticket": "L1.x.y"})
    assert scan.status_code == 403


async def test_the_door_welcomes_once_then_says_when_and_refuses_what_is_not_a_ticket(
    client: httpx.AsyncClient,
) -> None:
    tree, event, organiser = await soon_event()
    ticket = await signed_up(client, event.id, "陈美玲", party=2)
    _tree, other, _ = await soon_event()
    other_ticket = await signed_up(client, other.id, "赵一")
    csrf = await sign_in(client, organiser)

    door = await client.get(f"/console/events/{event.id}/door")
    assert door.status_code == 200
    assert "data-door" in door.text and "/static/js/door.js" in door.text and "jsQR-1.4.0.js" in door.text
    assert "已到场：0 / 2 人" in door.text

    welcome = await post(client, f"/console/events/{event.id}/door", csrf, {"ticket": ticket})
    assert welcome.status_code == 200
    assert 'class="result good"' in welcome.text and "2" in welcome.text and "陈*玲" in welcome.text
    assert "已到场：2 / 2 人" in welcome.text
    again = await post(client, f"/console/events/{event.id}/door?lang=en", csrf, {"ticket": ticket})
    assert again.status_code == 200 and 'class="result warn"' in again.text and "Already checked in at" in again.text

    cases = [
        (other_ticket, 422, "ticket_other_event"),
        ("L1.forged.ticket", 422, "ticket_invalid"),
        ("", 422, "ticket_invalid"),
    ]
    for code, status, error in cases:
        refused = await post(client, f"/console/events/{event.id}/door", csrf, {"ticket": code})
        api = await client.post(
            f"/api/v1/events/{event.id}/check-ins", json={"ticket": code or "?"}, headers=factories.token_for(organiser)
        )
        assert refused.status_code == api.status_code == status
        assert f'data-code="{error}"' in refused.text and 'class="result bad"' in refused.text
        assert api.json()["detail"] in refused.text

    without_token = await client.post(f"/console/events/{event.id}/door", data={"ticket": ticket})
    assert without_token.status_code == 403

    registrations = (
        await client.get(f"/api/v1/events/{event.id}/registrations", headers=factories.token_for(organiser))
    ).json()
    assert registrations["people"]["attended"] == 2
    assert tree


async def test_too_early_at_the_door_and_the_counts_after_the_event(client: httpx.AsyncClient) -> None:
    _tree, event, organiser = await soon_event()
    first = await signed_up(client, event.id, "周一")
    await signed_up(client, event.id, "吴二", party=2)
    csrf = await sign_in(client, organiser)
    with clock.frozen(event.starts_at - timedelta(hours=3)):
        early = await post(client, f"/console/events/{event.id}/door?lang=ja", csrf, {"ticket": first})
    assert early.status_code == 409 and 'data-code="check_in_not_open"' in early.text and "受付" in early.text
    await post(client, f"/console/events/{event.id}/door", csrf, {"ticket": first})

    with clock.frozen(event.ends_at + timedelta(hours=4)):
        from backend.events.api import mark_no_shows

        assert await mark_no_shows() == 1
        after = await client.get(f"/console/events/{event.id}/signups?lang=en")
    assert "People attended" in after.text and "People did not come" in after.text
    assert "<strong>1</strong> <span>People attended" in after.text
    assert "<strong>2</strong> <span>People did not come" in after.text
