"""PIPL rights across domains: a full export of the caller's data, and closing the account."""

from __future__ import annotations

import httpx

from backend.accounts.tables import User
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration
from tests import factories


async def test_export_holds_every_domain_part_about_the_caller_only(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    event = await factories.published_event(tree["street_a"], venue)
    me, other = await factories.resident("me"), await factories.resident("other")
    for person in (me, other):
        signed = await client.post(
            f"/api/v1/events/{event.id}/registrations", json={}, headers=factories.token_for(person)
        )
        assert signed.status_code == 201
    export = (await client.get("/api/v1/me/export", headers=factories.token_for(me))).json()
    registrations = export["domains"]["events"]["registrations"]
    assert [r["event"] for r in registrations] == [str(event.id)]
    mine = await Registration.select(Registration.id).where(Registration.user == me.id)
    assert {r["id"] for r in registrations} == {str(row["id"]) for row in mine}
    assert str(other.id) not in str(export)


async def test_closing_the_account_frees_seats_and_erases_the_person(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    event = await factories.published_event(tree["street_a"], venue, capacity=1, max_party_size=1)
    leaving, waiting = await factories.resident("leaving"), await factories.resident("waiting")
    await client.patch(
        "/api/v1/me", json={"phone": "13812345678", "birth_year": 1990}, headers=factories.token_for(leaving)
    )
    first = await client.post(f"/api/v1/events/{event.id}/registrations", json={}, headers=factories.token_for(leaving))
    second = await client.post(
        f"/api/v1/events/{event.id}/registrations", json={}, headers=factories.token_for(waiting)
    )
    assert (first.json()["status"], second.json()["status"]) == ("confirmed", "waitlisted")

    closed = await client.delete("/api/v1/me", headers=factories.token_for(leaving))
    assert closed.status_code == 204

    # The seat went to the next in line; the event's counts still add up.
    statuses = {row["user"]: row["status"] for row in await Registration.select(Registration.user, Registration.status)}
    assert statuses == {leaving.id: "cancelled", waiting.id: "confirmed"}
    assert (await Event.select(Event.seats_taken).where(Event.id == event.id).first())["seats_taken"] == 1
    # The person is gone; the row that ledgers point at stays, without them.
    row = await User.select().where(User.id == leaving.id).first()
    assert row["deleted_at"] is not None
    assert (row["openid"], row["phone"], row["birth_year"], row["display_name"]) == (None, None, None, "")
    assert (await client.get("/api/v1/me", headers=factories.token_for(leaving))).status_code == 401
