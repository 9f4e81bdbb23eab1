"""Events aimed at places over HTTP (issue 19): an event for an alliance's estates with seats kept
per estate, for given estates or for a grid; sign-up refused with the reason from elsewhere or
without a residence; browsing for my estate and by alliance; two estates storming one event."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role
from backend.events.registrations.tables import Registration
from backend.places import alliances, grids, residences
from backend.places.schemas import GridAreaIn, MemberIn, ResidencePut
from tests import factories

Client = httpx.AsyncClient
V1 = "/api/v1"


@pytest.fixture
async def nanyuan(client: Client) -> dict[str, Any]:
    """南园社区 with four estates in its alliance, a fifth outside it in a grid, a neighbouring
    community's estate, a venue and an organiser."""
    tree = await factories.city_tree()
    community = tree["community_a"]
    names = {
        "jinxiu": ("南园·锦绣苑", "Jinxiu Garden", "commercial"),
        "anzhi": ("南园·安置小区", "Nanyuan Resettlement Estate", "resettlement"),
        "gaishan": ("南园·和园", "Heyuan", "improved"),
        "baozhang": ("南园·安居苑", "Anju Garden", "affordable"),
        "outside": ("南园·老新村", "Old New Village", "commercial"),
    }
    estates = {
        key: await factories.estate(community, name={"zh-Hans": zh, "en": en}, kind=kind)
        for key, (zh, en, kind) in names.items()
    }
    estates["elsewhere"] = await factories.estate(tree["community_b"], name={"zh-Hans": "莲花·新苑", "en": "Lianhua"})
    alliance = await alliances.create_alliance(
        user_id=None,
        community_id=community.id,
        name={"zh-Hans": "南园小区联盟", "en": "Nanyuan Estate Alliance"},
        members=[
            MemberIn(estate_id=estates["jinxiu"], role="flagship"),
            MemberIn(estate_id=estates["anzhi"], role="partner"),
            MemberIn(estate_id=estates["gaishan"], role="allied"),
            MemberIn(estate_id=estates["baozhang"], role="allied"),
        ],
    )
    grid = await grids.create_grid(
        user_id=None,
        community_id=community.id,
        name={"zh-Hans": "南园第三网格", "en": "Nanyuan Grid 3"},
        areas=[GridAreaIn(estate_id=estates["outside"])],
    )
    organiser = await factories.staff(Role.organiser, community)
    venue = await factories.venue(community, community)
    return {
        "tree": tree,
        "community": community,
        "estates": estates,
        "alliance": alliance,
        "grid": grid,
        "organiser": organiser,
        "auth": factories.token_for(organiser),
        "venue": venue,
    }


async def resident_of(estate: uuid.UUID | None) -> Any:
    person = await factories.resident()
    if estate is not None:
        await residences.set_residence(user_id=person.id, data=ResidencePut(estate_id=estate, consent=True))
    return person


async def aimed_event(
    client: Client, place: dict[str, Any], audience: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    body = factories.event_body(place["community"], place["venue"], audience=audience, max_party_size=2, **overrides)
    made = await client.post(f"{V1}/events", json=body, headers=place["auth"])
    assert made.status_code == 201, made.text
    event = made.json()["events"][0]
    published = await client.post(f"{V1}/events/{event['id']}/publish", headers=place["auth"])
    assert published.status_code == 200, published.text
    return event


async def sign_up(client: Client, event_id: str, person: Any, party_size: int = 1, lang: str = "en") -> httpx.Response:
    return await client.post(
        f"{V1}/events/{event_id}/registrations",
        params={"lang": lang},
        json={"party_size": party_size},
        headers=factories.token_for(person),
    )


def fellowship_audience(place: dict[str, Any], **seats: int) -> dict[str, Any]:
    return {
        "kind": "alliance",
        "alliance_id": str(place["alliance"]),
        "seats_by_estate": {str(place["estates"][key]): n for key, n in seats.items()},
    }


async def test_an_alliance_fellowship_event_keeps_seats_per_estate(client: Client, nanyuan: dict[str, Any]) -> None:
    e = nanyuan["estates"]
    event = await aimed_event(
        client, nanyuan, fellowship_audience(nanyuan, jinxiu=2, anzhi=1), capacity=4, fellowship=True
    )
    assert event["fellowship"] is True
    assert event["audience"]["kind"] == "alliance"
    assert event["audience"]["alliance"]["name"] == "南园小区联盟"
    assert "南园小区联盟" in event["audience"]["label"]
    seats = {s["name"]: (s["seats"], s["seats_left"]) for s in event["seats_by_estate"]}
    assert seats == {"南园·锦绣苑": (2, 2), "南园·安置小区": (1, 1)}

    jinxiu = [await resident_of(e["jinxiu"]) for _ in range(3)]
    answers = [await sign_up(client, event["id"], person) for person in jinxiu]
    assert [a.json()["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted"]
    # The third waits although the event has seats: those left are the other estates'.
    assert answers[2].json()["seats_left"] == 2
    assert answers[2].json()["waitlist_reason"] == "estate_seats_taken"
    assert answers[2].json()["message"] == "The seats kept for your estate are taken; you are number 1 in line."
    anzhi = await resident_of(e["anzhi"])
    assert (await sign_up(client, event["id"], anzhi)).json()["status"] == "confirmed"
    heyuan = await resident_of(e["gaishan"])  # a member without a share: the seat the shares leave
    assert (await sign_up(client, event["id"], heyuan)).json()["status"] == "confirmed"
    read = (await client.get(f"{V1}/events/{event['id']}")).json()
    assert {s["name"]: s["seats_left"] for s in read["seats_by_estate"]} == {"南园·锦绣苑": 0, "南园·安置小区": 0}
    assert read["seats_left"] == 0

    # A 锦绣苑 place given up goes to the 锦绣苑 resident in line.
    cancelled = await client.delete(
        f"{V1}/registrations/{answers[0].json()['id']}", headers=factories.token_for(jinxiu[0])
    )
    assert cancelled.status_code == 200, cancelled.text
    third = await client.get(f"{V1}/registrations/{answers[2].json()['id']}", headers=factories.token_for(jinxiu[2]))
    assert third.json()["status"] == "confirmed"


async def test_a_freed_seat_of_one_estate_does_not_go_to_another_estates_line(
    client: Client, nanyuan: dict[str, Any]
) -> None:
    e = nanyuan["estates"]
    event = await aimed_event(client, nanyuan, fellowship_audience(nanyuan, jinxiu=1, anzhi=1), capacity=2)
    first_jinxiu, second_jinxiu = await resident_of(e["jinxiu"]), await resident_of(e["jinxiu"])
    anzhi = await resident_of(e["anzhi"])
    held = await sign_up(client, event["id"], anzhi)
    assert (await sign_up(client, event["id"], first_jinxiu)).json()["status"] == "confirmed"
    waiting = await sign_up(client, event["id"], second_jinxiu)
    assert waiting.json()["status"] == "waitlisted"
    await client.delete(f"{V1}/registrations/{held.json()['id']}", headers=factories.token_for(anzhi))
    still = await client.get(f"{V1}/registrations/{waiting.json()['id']}", headers=factories.token_for(second_jinxiu))
    assert still.json()["status"] == "waitlisted"  # the freed seat is 安置小区's
    assert (await client.get(f"{V1}/events/{event['id']}")).json()["seats_left"] == 1


async def test_sign_up_from_elsewhere_or_without_a_residence_is_refused_with_the_reason(
    client: Client, nanyuan: dict[str, Any]
) -> None:
    e = nanyuan["estates"]
    estates_event = await aimed_event(
        client, nanyuan, {"kind": "estates", "estate_ids": [str(e["jinxiu"]), str(e["anzhi"])]}
    )
    english = (await client.get(f"{V1}/events/{estates_event['id']}", params={"lang": "en"})).json()
    assert english["audience"]["label"] == "For residents of Jinxiu Garden and Nanyuan Resettlement Estate"
    nowhere = await resident_of(None)
    refused = await sign_up(client, estates_event["id"], nowhere, lang="zh-Hans")
    assert refused.status_code == 403
    assert refused.json()["code"] == "residence_required"
    assert "南园·锦绣苑" in refused.json()["detail"] and "南园·安置小区" in refused.json()["detail"]
    refused = await sign_up(client, estates_event["id"], nowhere)
    assert refused.json()["detail"] == (
        "This event is for residents of Jinxiu Garden and Nanyuan Resettlement Estate; set where you live in your "
        "profile."
    )
    elsewhere = await resident_of(e["gaishan"])
    refused = await sign_up(client, estates_event["id"], elsewhere)
    assert refused.status_code == 403 and refused.json()["code"] == "not_for_your_estate"
    assert refused.json()["detail"] == "This event is for residents of Jinxiu Garden and Nanyuan Resettlement Estate."
    assert await Registration.count() == 0
    assert (await sign_up(client, estates_event["id"], await resident_of(e["anzhi"]))).status_code == 201

    grid_event = await aimed_event(client, nanyuan, {"kind": "grid", "grid_id": str(nanyuan["grid"])})
    assert grid_event["audience"]["grid"]["name"] == "南园第三网格"
    assert (await sign_up(client, grid_event["id"], await resident_of(e["outside"]))).status_code == 201
    refused = await sign_up(client, grid_event["id"], elsewhere)
    assert refused.status_code == 403 and "Nanyuan Grid 3" in refused.json()["detail"]
    alliance_event = await aimed_event(client, nanyuan, {"kind": "alliance", "alliance_id": str(nanyuan["alliance"])})
    refused = await sign_up(client, alliance_event["id"], await resident_of(e["elsewhere"]))
    assert refused.status_code == 403 and "Nanyuan Estate Alliance" in refused.json()["detail"]
    assert (await sign_up(client, alliance_event["id"], elsewhere)).status_code == 201

    # The mini-program asks before showing the button.
    asked = await client.get(
        f"{V1}/events/{estates_event['id']}/for-me", params={"lang": "en"}, headers=factories.token_for(elsewhere)
    )
    assert asked.json() == {
        "for_you": False,
        "reason": "This event is for residents of Jinxiu Garden and Nanyuan Resettlement Estate.",
        "code": "not_for_your_estate",
    }
    asked = await client.get(f"{V1}/events/{alliance_event['id']}/for-me", headers=factories.token_for(elsewhere))
    assert asked.json() == {"for_you": True, "reason": None, "code": None}


async def test_an_aim_outside_the_organisers_reach_or_with_bad_seats_is_refused(
    client: Client, nanyuan: dict[str, Any]
) -> None:
    e = nanyuan["estates"]

    async def create(audience: dict[str, Any], **overrides: Any) -> httpx.Response:
        body = factories.event_body(nanyuan["community"], nanyuan["venue"], audience=audience, **overrides)
        return await client.post(f"{V1}/events", json=body, params={"lang": "en"}, headers=nanyuan["auth"])

    cases = [
        ({"kind": "estates", "estate_ids": [str(e["elsewhere"])]}, {}, "aim_out_of_reach"),
        ({"kind": "estates", "estate_ids": [str(uuid.uuid4())]}, {}, "aim_place_unknown"),
        ({"kind": "grid", "grid_id": str(nanyuan["community"].id)}, {}, "aim_place_unknown"),
        ({"kind": "alliance"}, {}, "aim_incomplete"),
        ({"kind": "everyone", "grid_id": str(nanyuan["grid"])}, {}, "aim_incomplete"),
        (fellowship_audience(nanyuan, jinxiu=15, anzhi=10), {}, "seats_by_estate_over_capacity"),
        (fellowship_audience(nanyuan, outside=2), {}, "seats_estate_outside_audience"),
        (
            {"kind": "grid", "grid_id": str(nanyuan["grid"]), "seats_by_estate": {str(e["outside"]): 2}},
            {},
            "seats_by_estate_unexpected",
        ),
        ({"kind": "estates", "estate_ids": [str(e["jinxiu"])]}, {"fellowship": True}, "fellowship_needs_alliance"),
    ]
    for audience, overrides, code in cases:
        answer = await create(audience, **overrides)
        assert answer.status_code == 422, (code, answer.text)
        assert answer.json()["code"] == code
    assert "more than the capacity of 20" in (await create(cases[5][0])).json()["detail"]
    # An organiser of the neighbouring community cannot aim at 南园's alliance.
    neighbour = await factories.staff(Role.organiser, nanyuan["tree"]["community_b"])
    venue_b = await factories.venue(nanyuan["tree"]["community_b"], nanyuan["tree"]["community_b"])
    body = factories.event_body(
        nanyuan["tree"]["community_b"], venue_b, audience={"kind": "alliance", "alliance_id": str(nanyuan["alliance"])}
    )
    answer = await client.post(f"{V1}/events", json=body, headers=factories.token_for(neighbour))
    assert answer.status_code == 422 and answer.json()["code"] == "aim_out_of_reach"
    # The street's station above may aim at its community's estates.
    station = await factories.staff(Role.organiser, nanyuan["tree"]["street_a"])
    body = factories.event_body(
        nanyuan["tree"]["street_a"], nanyuan["venue"], audience={"kind": "estates", "estate_ids": [str(e["anzhi"])]}
    )
    answer = await client.post(f"{V1}/events", json=body, headers=factories.token_for(station))
    assert answer.status_code == 201, answer.text


async def test_changing_the_audience_and_a_smaller_room(client: Client, nanyuan: dict[str, Any]) -> None:
    e = nanyuan["estates"]
    event = await aimed_event(client, nanyuan, fellowship_audience(nanyuan, jinxiu=6, anzhi=4), capacity=12)
    smaller = await client.patch(f"{V1}/events/{event['id']}", json={"capacity": 8}, headers=nanyuan["auth"])
    assert smaller.status_code == 422 and smaller.json()["code"] == "seats_by_estate_over_capacity"
    moved = await client.patch(
        f"{V1}/events/{event['id']}",
        json={"audience": {"kind": "estates", "estate_ids": [str(e["anzhi"])]}, "capacity": 8},
        headers=nanyuan["auth"],
    )
    assert moved.status_code == 200, moved.text
    shown = moved.json()[0]
    assert shown["audience"]["kind"] == "estates" and shown["seats_by_estate"] == []
    assert [p["name"] for p in shown["audience"]["estates"]] == ["南园·安置小区"]
    flagged = await client.patch(f"{V1}/events/{event['id']}", json={"fellowship": True}, headers=nanyuan["auth"])
    assert flagged.status_code == 422 and flagged.json()["code"] == "fellowship_needs_alliance"
    opened = await client.patch(
        f"{V1}/events/{event['id']}", json={"audience": {"kind": "everyone"}}, headers=nanyuan["auth"]
    )
    assert opened.json()[0]["audience"] == {
        "kind": "everyone",
        "label": "对所有人开放",
        "estates": [],
        "alliance": None,
        "grid": None,
    }
    assert (await sign_up(client, event["id"], await resident_of(None))).status_code == 201


async def test_browsing_for_my_estate_and_an_alliances_events(client: Client, nanyuan: dict[str, Any]) -> None:
    e = nanyuan["estates"]
    open_event = await aimed_event(client, nanyuan, {"kind": "everyone"}, title={"zh-Hans": "社区电影"})
    fellowship = await aimed_event(
        client, nanyuan, fellowship_audience(nanyuan, anzhi=5), title={"zh-Hans": "联谊会"}, fellowship=True
    )
    for_anzhi = await aimed_event(
        client, nanyuan, {"kind": "estates", "estate_ids": [str(e["anzhi"])]}, title={"zh-Hans": "安置小区议事会"}
    )
    for_grid = await aimed_event(
        client, nanyuan, {"kind": "grid", "grid_id": str(nanyuan["grid"])}, title={"zh-Hans": "网格议事会"}
    )

    async def ids(person: Any | None, **params: Any) -> list[str]:
        headers = factories.token_for(person) if person else {}
        answer = await client.get(f"{V1}/events", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    everything = await ids(None)
    assert set(everything) == {open_event["id"], fellowship["id"], for_anzhi["id"], for_grid["id"]}
    anzhi = await resident_of(e["anzhi"])
    assert set(await ids(anzhi, for_my_estate="true")) == {open_event["id"], fellowship["id"], for_anzhi["id"]}
    outside = await resident_of(e["outside"])
    assert set(await ids(outside, for_my_estate="true")) == {open_event["id"], for_grid["id"]}
    assert await ids(await resident_of(None), for_my_estate="true") == [open_event["id"]]
    refused = await client.get(f"{V1}/events", params={"for_my_estate": "true"})
    assert refused.status_code == 401
    assert await ids(None, alliance=str(nanyuan["alliance"])) == [fellowship["id"]]
    assert await ids(None, fellowship="true") == [fellowship["id"]]
    # The alliance's page links to its events (places comes before events and cannot read them).
    page = (await client.get(f"{V1}/alliances/{nanyuan['alliance']}")).json()
    linked = (await client.get(page["fellowship_events_url"])).json()["items"]
    assert [item["id"] for item in linked] == [fellowship["id"]]
    assert [i["id"] for i in (await client.get(page["events_url"])).json()["items"]] == [fellowship["id"]]
    listed = (await client.get(f"{V1}/events", params={"lang": "en"})).json()["items"]
    labels = {item["id"]: item["audience"]["label"] for item in listed}
    assert labels[for_anzhi["id"]] == "For residents of Nanyuan Resettlement Estate"
    assert labels[open_event["id"]] == "Open to everyone"
    mine = await client.get(f"{V1}/events", params={"for_my_estate": "true"}, headers=factories.token_for(anzhi))
    assert all(item["for_you"] is True for item in mine.json()["items"])


async def test_two_estates_storming_one_event_each_keeps_to_its_seats(client: Client, nanyuan: dict[str, Any]) -> None:
    e = nanyuan["estates"]
    event = await aimed_event(client, nanyuan, fellowship_audience(nanyuan, jinxiu=3, anzhi=2), capacity=6)
    jinxiu = [await resident_of(e["jinxiu"]) for _ in range(7)]
    anzhi = [await resident_of(e["anzhi"]) for _ in range(5)]
    others = [await resident_of(e["baozhang"]) for _ in range(3)]
    # Interleaved, so both estates' residents arrive together.
    people = [*jinxiu[::2], *anzhi, *jinxiu[1::2], *others]
    answers = await asyncio.gather(*(sign_up(client, event["id"], p) for p in people))
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers if a.status_code != 201]
    rows = await Registration.select(Registration.estate, Registration.status, Registration.party_size).where(
        Registration.event == uuid.UUID(event["id"])
    )
    confirmed: dict[Any, int] = {}
    for row in rows:
        if row["status"] == "confirmed":
            confirmed[row["estate"]] = confirmed.get(row["estate"], 0) + row["party_size"]
    assert confirmed.get(e["jinxiu"], 0) == 3
    assert confirmed.get(e["anzhi"], 0) == 2
    assert confirmed.get(e["baozhang"], 0) == 1  # the estates without a share: the seat left
    assert sum(confirmed.values()) == 6
    read = (await client.get(f"{V1}/events/{event['id']}")).json()
    assert read["seats_left"] == 0 and read["waitlist_length"] == len(rows) - len(
        [r for r in rows if r["status"] == "confirmed"]
    )


async def test_without_a_waitlist_a_full_estate_share_is_refused(client: Client, nanyuan: dict[str, Any]) -> None:
    e = nanyuan["estates"]
    event = await aimed_event(
        client, nanyuan, fellowship_audience(nanyuan, jinxiu=1), capacity=3, waitlist_enabled=False
    )
    assert (await sign_up(client, event["id"], await resident_of(e["jinxiu"]))).status_code == 201
    refused = await sign_up(client, event["id"], await resident_of(e["jinxiu"]))
    assert refused.status_code == 409 and refused.json()["code"] == "estate_seats_taken"
    assert refused.json()["detail"] == "The seats kept for residents of Jinxiu Garden are taken."
    # The other member estates share the two seats the share leaves.
    assert (await sign_up(client, event["id"], await resident_of(e["anzhi"]), party_size=2)).status_code == 201
    assert (await client.get(f"{V1}/events/{event['id']}")).json()["seats_left"] == 0


async def test_recommendations_use_where_a_resident_lives(client: Client, nanyuan: dict[str, Any]) -> None:
    """Where a resident lives is used for recommendations: an event aimed at another estate is not
    suggested (they could not sign up), one aimed at their own comes first, saying why."""
    estates = nanyuan["estates"]
    ours = await aimed_event(client, nanyuan, {"kind": "estates", "estate_ids": [str(estates["anzhi"])]})
    theirs = await aimed_event(client, nanyuan, {"kind": "estates", "estate_ids": [str(estates["jinxiu"])]})
    everyone = await aimed_event(client, nanyuan, {"kind": "everyone"})
    grid = await aimed_event(client, nanyuan, {"kind": "grid", "grid_id": str(nanyuan["grid"])})

    async def suggested(person: Any) -> list[dict[str, Any]]:
        answer = await client.get(f"{V1}/recommendations", params={"lang": "en"}, headers=factories.token_for(person))
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    items = await suggested(await resident_of(estates["anzhi"]))
    ids = [item["event"]["id"] for item in items]
    assert ids[0] == ours["id"] and everyone["id"] in ids
    assert theirs["id"] not in ids and grid["id"] not in ids
    assert "For residents where you live" in [reason["text"] for reason in items[0]["reasons"]]
    assert items[0]["event"]["audience"]["label"] == "For residents of Nanyuan Resettlement Estate"

    nowhere = [item["event"]["id"] for item in await suggested(await resident_of(None))]
    assert nowhere == [everyone["id"]]
    in_the_grid = [item["event"]["id"] for item in await suggested(await resident_of(estates["outside"]))]
    assert set(in_the_grid) == {grid["id"], everyone["id"]}
