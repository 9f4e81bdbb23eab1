"""The points supermarket over HTTP: the catalogue, redemptions under races, refunds, pickup."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from backend.accounts.tables import Role, User
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.inclusion.rewards import queries, redemptions
from backend.inclusion.rewards.redemptions import CODE_ALPHABET, CODE_LENGTH
from backend.inclusion.rewards.tables import Redemption, Reward
from tests import factories

Client = httpx.AsyncClient


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    return {"tree": tree, "admin": admin, "auth": factories.token_for(admin)}


async def give_points(user: User, points: int) -> None:
    await ledger.append(
        user_id=user.id, points=points, reason=PointReason.adjustment, source_key=f"test:{uuid.uuid4()}"
    )


async def resident_with(points: int) -> User:
    user = await factories.resident()
    if points:
        await give_points(user, points)
    return user


def reward_body(place: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "community_id": str(place["tree"]["community_a"].id),
        "name": {"zh-Hans": "环保购物袋", "en": "Reusable shopping bag"},
        "description": {"zh-Hans": "凭取货码领取", "en": "Collect with your pickup code"},
        "points_cost": 100,
        "stock": 10,
    }
    body.update(overrides)
    return body


async def new_reward(client: Client, place: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/rewards", json=reward_body(place, **overrides), headers=place["auth"])
    assert response.status_code == 201, response.text
    return response.json()


async def redeem(client: Client, reward_id: str, user: User, **headers: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/rewards/{reward_id}/redemptions", headers={**factories.token_for(user), **headers}
    )


async def stock_of(reward_id: str) -> int:
    row = await Reward.select(Reward.stock).where(Reward.id == uuid.UUID(reward_id)).first()
    return row["stock"]


async def balance(user: User) -> int:
    return await ledger.balance(user.id)


# --- the catalogue ---------------------------------------------------------------------------------


async def test_staff_add_a_reward_and_residents_read_it_in_their_language(
    client: Client, place: dict[str, Any]
) -> None:
    created = await new_reward(client, place, per_resident_limit=2)
    assert (created["name"], created["locale"], created["stock"], created["in_stock"]) == (
        "环保购物袋",
        "zh-Hans",
        10,
        True,
    )
    assert (created["available"], created["image_urls"], created["per_resident_limit"]) == (True, {}, 2)

    community = place["tree"]["community_a"].id
    english = await client.get(f"/api/v1/rewards?community_id={community}", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    [item] = english.json()
    assert (item["name"], item["description"], item["locale"]) == (
        "Reusable shopping bag",
        "Collect with your pickup code",
        "en",
    )
    assert item["my_redemptions_left"] is None  # nobody logged in
    japanese = (await client.get(f"/api/v1/rewards/{created['id']}?lang=ja")).json()
    assert (japanese["name"], japanese["locale"]) == ("环保购物袋", "zh-Hans")

    resident = await factories.resident()
    mine = await client.get(f"/api/v1/rewards?community_id={community}", headers=factories.token_for(resident))
    assert mine.json()[0]["my_redemptions_left"] == 2
    other = await client.get(f"/api/v1/rewards?community_id={place['tree']['community_b'].id}")
    assert other.json() == []


async def test_reward_input_is_checked(client: Client, place: dict[str, Any]) -> None:
    async def create(**overrides: Any) -> httpx.Response:
        return await client.post("/api/v1/rewards", json=reward_body(place, **overrides), headers=place["auth"])

    for bad in (
        {"name": {}},
        {"name": {"fr": "Sac"}},
        {"name": {"zh-Hans": ""}},
        {"name": {"zh-Hans": "袋" * 61}},
        {"description": {"en": "x" * 501}},
        {"points_cost": 0},
        {"points_cost": 100_001},
        {"stock": -1},
        {"per_resident_limit": 101},
        {"active_from": "2026-12-01T00:00:00"},  # a time without its offset
    ):
        response = await create(**bad)
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), bad
    start = datetime.now(UTC) + timedelta(days=1)
    backwards = await create(active_from=start.isoformat(), active_until=(start - timedelta(hours=1)).isoformat())
    assert (backwards.status_code, backwards.json()["code"]) == (422, "reward_dates_invalid")
    city_admin = await factories.staff(Role.admin, place["tree"]["city"])
    street = await client.post(
        "/api/v1/rewards",
        json=reward_body(place, community_id=str(place["tree"]["street_a"].id)),
        headers=factories.token_for(city_admin),
    )
    assert (street.status_code, street.json()["code"]) == (422, "reward_community_invalid")


async def test_only_staff_who_manage_rewards_there_add_or_change_them(client: Client, place: dict[str, Any]) -> None:
    outsider = factories.token_for(await factories.staff(Role.admin, place["tree"]["community_b"]))
    organiser = factories.token_for(await factories.staff(Role.organiser, place["tree"]["community_a"]))
    resident = factories.token_for(await factories.resident())
    for headers in (outsider, organiser, resident):
        assert (await client.post("/api/v1/rewards", json=reward_body(place), headers=headers)).status_code == 403
    assert (await client.post("/api/v1/rewards", json=reward_body(place))).status_code == 401
    reward = await new_reward(client, place)
    for headers in (outsider, resident):
        refused = await client.patch(f"/api/v1/rewards/{reward['id']}", json={"stock": 0}, headers=headers)
        assert refused.status_code == 403
    street_admin = factories.token_for(await factories.staff(Role.admin, place["tree"]["street_a"]))
    changed = await client.patch(f"/api/v1/rewards/{reward['id']}", json={"points_cost": 80}, headers=street_admin)
    assert (changed.status_code, changed.json()["points_cost"]) == (200, 80)
    assert (
        await client.patch(f"/api/v1/rewards/{uuid.uuid4()}", json={"stock": 1}, headers=street_admin)
    ).status_code == 404


async def test_stock_is_set_or_moved_but_never_below_zero(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, stock=3)
    url = f"/api/v1/rewards/{reward['id']}"
    assert (await client.patch(url, json={"stock_change": 5}, headers=place["auth"])).json()["stock"] == 8
    assert (await client.patch(url, json={"stock_change": -6}, headers=place["auth"])).json()["stock"] == 2
    below = await client.patch(url, json={"stock_change": -3}, headers=place["auth"])
    assert (below.status_code, below.json()["code"], below.json()["params"]) == (
        409,
        "stock_out_of_range",
        {"max": 100_000, "stock": 2},
    )
    assert (await client.patch(url, json={"stock": -1}, headers=place["auth"])).status_code == 422
    both = await client.patch(url, json={"stock": 4, "stock_change": 1}, headers=place["auth"])
    assert (both.status_code, both.json()["code"]) == (422, "stock_change_conflict")
    emptied = await client.patch(url, json={"stock": 0}, headers=place["auth"])
    assert (emptied.json()["stock"], emptied.json()["in_stock"]) == (0, False)
    assert await stock_of(reward["id"]) == 0


async def test_rewards_not_on_offer_are_neither_listed_nor_redeemable(client: Client, place: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    on_offer = await new_reward(client, place)
    withdrawn = await new_reward(client, place)
    await client.patch(f"/api/v1/rewards/{withdrawn['id']}", json={"withdrawn": True}, headers=place["auth"])
    future = await new_reward(client, place, active_from=(now + timedelta(days=2)).isoformat())
    ended = await new_reward(
        client,
        place,
        active_from=(now - timedelta(days=9)).isoformat(),
        active_until=(now - timedelta(days=1)).isoformat(),
    )
    resident = await resident_with(1000)
    community = place["tree"]["community_a"].id

    listed = await client.get(f"/api/v1/rewards?community_id={community}", headers=factories.token_for(resident))
    assert [r["id"] for r in listed.json()] == [on_offer["id"]]
    for hidden in (withdrawn, future, ended):
        assert (
            await client.get(f"/api/v1/rewards/{hidden['id']}", headers=factories.token_for(resident))
        ).status_code == 404
        refused = await redeem(client, hidden["id"], resident)
        assert (refused.status_code, refused.json()["code"]) == (409, "reward_not_available")
        seen_by_staff = await client.get(f"/api/v1/rewards/{hidden['id']}", headers=place["auth"])
        assert (seen_by_staff.status_code, seen_by_staff.json()["available"]) == (200, False)
    assert await balance(resident) == 1000

    everything = await client.get(
        f"/api/v1/rewards?community_id={community}&include_inactive=true", headers=place["auth"]
    )
    assert len(everything.json()) == 4
    nosy = await client.get(
        f"/api/v1/rewards?community_id={community}&include_inactive=true", headers=factories.token_for(resident)
    )
    assert nosy.status_code == 403
    assert (await client.get(f"/api/v1/rewards?community_id={community}&include_inactive=true")).status_code == 401
    assert (await redeem(client, str(uuid.uuid4()), resident)).status_code == 404


async def test_the_reward_image_loses_its_exif(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place)
    picture = Image.effect_noise((900, 600), 40).convert("RGB")
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    exif[ExifTags.Base.ImageDescription] = uuid.uuid4().hex
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, quality=85)
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif()  # the upload does carry EXIF
    files = {"file": ("bag.jpg", buffer.getvalue(), "image/jpeg")}

    resident = factories.token_for(await factories.resident())
    assert (
        await client.post(f"/api/v1/rewards/{reward['id']}/image", files=files, headers=resident)
    ).status_code == 403
    uploaded = await client.post(f"/api/v1/rewards/{reward['id']}/image", files=files, headers=place["auth"])
    assert uploaded.status_code == 200, uploaded.text
    urls = uploaded.json()["image_urls"]
    assert urls and all(url.startswith("/media/rewards/") for url in urls.values())
    for url in urls.values():
        served = await client.get(url)
        assert served.status_code == 200
        image = Image.open(io.BytesIO(served.content))
        image.load()
        assert not image.getexif() and "exif" not in image.info
    listed = (await client.get(f"/api/v1/rewards/{reward['id']}")).json()
    assert listed["image_urls"] == urls
    junk = await client.post(
        f"/api/v1/rewards/{reward['id']}/image",
        files={"file": ("bag.jpg", b"<html>not an image</html>", "image/jpeg")},
        headers=place["auth"],
    )
    assert junk.status_code == 422
    assert (await client.get(f"/api/v1/rewards/{reward['id']}")).json()["image_urls"] == urls


# --- redeeming -------------------------------------------------------------------------------------


async def test_a_resident_redeems_and_gets_a_pickup_code(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=120, stock=5)
    resident = await resident_with(300)
    response = await redeem(client, reward["id"], resident)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["points"], body["reward"]["id"], body["reward"]["name"]) == (
        "reserved",
        120,
        reward["id"],
        "环保购物袋",
    )
    assert len(body["pickup_code"]) == CODE_LENGTH and set(body["pickup_code"]) <= set(CODE_ALPHABET)
    assert body["pickup_qr"].startswith("data:image/png;base64,")
    assert (await balance(resident), await stock_of(reward["id"])) == (180, 4)

    entry = (
        await PointEntry.objects().output(load_json=True).where(PointEntry.source_key == f"redeem:{body['id']}").first()
    )
    assert (entry.points, entry.reason, entry.community) == (-120, "redemption", place["tree"]["community_a"].id)
    assert entry.reason_params == {"reward": {"zh-Hans": "环保购物袋", "en": "Reusable shopping bag"}}

    mine = await client.get(
        "/api/v1/me/redemptions", headers={**factories.token_for(resident), "Accept-Language": "en"}
    )
    assert [(r["id"], r["reward"]["name"], r["pickup_code"]) for r in mine.json()] == [
        (body["id"], "Reusable shopping bag", body["pickup_code"])
    ]
    again = await client.get(f"/api/v1/rewards/{reward['id']}", headers=factories.token_for(resident))
    assert (again.json()["my_redemptions_left"], again.json()["stock"]) == (0, 4)
    other = await client.get("/api/v1/me/redemptions", headers=factories.token_for(await factories.resident()))
    assert other.json() == []


async def test_not_enough_points_and_the_per_resident_limit(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=120, per_resident_limit=2)
    poor = await resident_with(50)
    refused = await redeem(client, reward["id"], poor)
    assert (refused.status_code, refused.json()["code"], refused.json()["params"]) == (
        409,
        "not_enough_points",
        {"balance": 50, "cost": 120},
    )
    assert "50" in refused.json()["detail"] and "120" in refused.json()["detail"]

    rich = await resident_with(1000)
    first = (await redeem(client, reward["id"], rich)).json()
    assert (await redeem(client, reward["id"], rich)).status_code == 201
    third = await redeem(client, reward["id"], rich)
    assert (third.status_code, third.json()["code"], third.json()["params"]) == (
        409,
        "redemption_limit_reached",
        {"limit": 2},
    )
    await client.delete(f"/api/v1/redemptions/{first['id']}", headers=factories.token_for(rich))
    assert (await redeem(client, reward["id"], rich)).status_code == 201  # a cancelled one no longer counts
    assert (await balance(rich), await balance(poor), await stock_of(reward["id"])) == (760, 50, 8)


async def test_eight_residents_race_for_the_last_item(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=200, stock=1)
    residents = [await resident_with(500) for _ in range(8)]
    answers = await asyncio.gather(*(redeem(client, reward["id"], user) for user in residents))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"reward_out_of_stock"}
    assert await stock_of(reward["id"]) == 0
    winner = next(user for user, answer in zip(residents, answers, strict=True) if answer.status_code == 201)
    assert sorted([await balance(user) for user in residents]) == [300] + [500] * 7
    assert await balance(winner) == 300
    assert await Redemption.count().where(Redemption.reward == uuid.UUID(reward["id"])) == 1
    listed = (await client.get(f"/api/v1/rewards/{reward['id']}")).json()
    assert (listed["stock"], listed["in_stock"]) == (0, False)


async def test_one_residents_concurrent_redemptions_never_overspend(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=100, stock=10, per_resident_limit=5)
    resident = await resident_with(100)
    answers = await asyncio.gather(*(redeem(client, reward["id"], resident) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 4
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"not_enough_points"}
    assert (await balance(resident), await stock_of(reward["id"])) == (0, 9)


async def test_the_per_resident_limit_holds_under_concurrency(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=10, stock=10, per_resident_limit=2)
    resident = await resident_with(1000)
    answers = await asyncio.gather(*(redeem(client, reward["id"], resident) for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [201, 201] + [409] * 4
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"redemption_limit_reached"}
    assert (await balance(resident), await stock_of(reward["id"])) == (980, 8)


async def test_an_idempotency_key_makes_a_retry_safe(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=10, per_resident_limit=5)
    other_reward = await new_reward(client, place, points_cost=10)
    resident = await resident_with(100)
    first = await redeem(client, reward["id"], resident, **{"Idempotency-Key": "k-1"})
    retry = await redeem(client, reward["id"], resident, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"] and retry.json()["pickup_code"] == first.json()["pickup_code"]
    assert (await balance(resident), await stock_of(reward["id"])) == (90, 9)

    storm = await asyncio.gather(
        *(redeem(client, reward["id"], resident, **{"Idempotency-Key": "k-2"}) for _ in range(5))
    )
    assert {a.status_code for a in storm} == {201}
    assert len({a.json()["id"] for a in storm}) == 1
    assert (await balance(resident), await stock_of(reward["id"])) == (80, 8)

    reused = await redeem(client, other_reward["id"], resident, **{"Idempotency-Key": "k-1"})
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    someone_else = await resident_with(100)
    assert (await redeem(client, reward["id"], someone_else, **{"Idempotency-Key": "k-1"})).json()[
        "id"
    ] != first.json()["id"]


async def test_a_pickup_code_that_is_taken_rolls_back_and_tries_a_new_one(
    client: Client, place: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reward = await new_reward(client, place, points_cost=100, stock=5)
    codes = iter(["KEEP2345", "KEEP2345", "NEXT6789"])
    monkeypatch.setattr(redemptions, "new_pickup_code", lambda: next(codes))
    first, second = await resident_with(100), await resident_with(100)
    assert (await redeem(client, reward["id"], first)).json()["pickup_code"] == "KEEP2345"
    retried = await redeem(client, reward["id"], second)
    assert (retried.status_code, retried.json()["pickup_code"]) == (201, "NEXT6789")
    # The attempt that collided left nothing behind: one item and one charge per person.
    assert (await balance(first), await balance(second), await stock_of(reward["id"])) == (0, 0, 3)
    assert await PointEntry.count().where(PointEntry.reason == "redemption") == 2


# --- cancelling and refunds ------------------------------------------------------------------------


async def test_cancelling_refunds_points_and_stock_once(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=100, stock=3)
    resident = await resident_with(250)
    redemption = (await redeem(client, reward["id"], resident)).json()
    url = f"/api/v1/redemptions/{redemption['id']}"
    stranger = await client.delete(url, headers=factories.token_for(await factories.resident()))
    assert (stranger.status_code, stranger.json()["code"]) == (404, "redemption_not_found")

    cancelled = await client.delete(url, headers=factories.token_for(resident))
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["pickup_qr"]) == ("cancelled", None)
    assert cancelled.json()["cancelled_at"] is not None
    assert (await balance(resident), await stock_of(reward["id"])) == (250, 3)
    refund = await PointEntry.objects().where(PointEntry.source_key == f"refund:{redemption['id']}").first()
    assert (refund.points, refund.reason) == (100, "redemption_refund")
    twice = await client.delete(url, headers=factories.token_for(resident))
    assert (twice.status_code, twice.json()["code"]) == (409, "redemption_cancelled")
    assert (await balance(resident), await stock_of(reward["id"])) == (250, 3)


async def test_concurrent_cancels_refund_once(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=100, stock=3)
    resident = await resident_with(100)
    redemption = (await redeem(client, reward["id"], resident)).json()
    code = redemption["pickup_code"]
    answers = await asyncio.gather(
        client.delete(f"/api/v1/redemptions/{redemption['id']}", headers=factories.token_for(resident)),
        client.delete(f"/api/v1/redemptions/{redemption['id']}", headers=factories.token_for(resident)),
        client.post(f"/api/v1/redemptions/{code}/cancel", headers=place["auth"]),
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    assert (await balance(resident), await stock_of(reward["id"])) == (100, 3)
    assert await PointEntry.count().where(PointEntry.reason == "redemption_refund") == 1


# --- pickup ------------------------------------------------------------------------------------------


async def test_staff_fulfil_by_pickup_code(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=100, per_resident_limit=3)
    resident = await resident_with(500)
    redemption = (await redeem(client, reward["id"], resident)).json()
    code = redemption["pickup_code"]

    # To staff who may not use it, a valid code answers as an unknown one does: trying codes
    # confirms none. Residents are turned away before any code is looked at.
    outsider = factories.token_for(await factories.staff(Role.admin, place["tree"]["community_b"]))
    as_outsider = await client.post(f"/api/v1/redemptions/{code}/fulfil", headers=outsider)
    assert (as_outsider.status_code, as_outsider.json()["code"]) == (404, "redemption_not_found")
    as_resident = await client.post(f"/api/v1/redemptions/{code}/fulfil", headers=factories.token_for(resident))
    assert (as_resident.status_code, as_resident.json()["code"]) == (403, "staff_only")
    assert (await client.post(f"/api/v1/redemptions/{code}/fulfil")).status_code == 401
    unknown = await client.post("/api/v1/redemptions/ZZZZ2222/fulfil", headers=place["auth"])
    assert (unknown.status_code, unknown.json()["code"]) == (404, "redemption_not_found")

    fulfilled = await client.post(f"/api/v1/redemptions/{code.lower()}/fulfil", headers=place["auth"])
    assert fulfilled.status_code == 200, fulfilled.text
    assert (fulfilled.json()["id"], fulfilled.json()["status"], fulfilled.json()["pickup_qr"]) == (
        redemption["id"],
        "fulfilled",
        None,
    )
    row = await Redemption.objects().where(Redemption.id == uuid.UUID(redemption["id"])).first()
    assert (row.fulfilled_by, row.fulfilled_at is not None) == (place["admin"].id, True)
    twice = await client.post(f"/api/v1/redemptions/{code}/fulfil", headers=place["auth"])
    assert (twice.status_code, twice.json()["code"]) == (409, "redemption_already_fulfilled")
    late = await client.delete(f"/api/v1/redemptions/{redemption['id']}", headers=factories.token_for(resident))
    assert (late.status_code, late.json()["code"]) == (409, "redemption_already_fulfilled")
    assert await balance(resident) == 400  # a fulfilled redemption is never refunded

    given_back = (await redeem(client, reward["id"], resident)).json()
    await client.delete(f"/api/v1/redemptions/{given_back['id']}", headers=factories.token_for(resident))
    refused = await client.post(f"/api/v1/redemptions/{given_back['pickup_code']}/fulfil", headers=place["auth"])
    assert (refused.status_code, refused.json()["code"]) == (409, "redemption_cancelled")


async def test_staff_cancel_at_the_counter_refunds(client: Client, place: dict[str, Any]) -> None:
    reward = await new_reward(client, place, points_cost=100, stock=2)
    resident = await resident_with(100)
    redemption = (await redeem(client, reward["id"], resident)).json()
    outsider = factories.token_for(await factories.staff(Role.admin, place["tree"]["community_b"]))
    assert (
        await client.post(f"/api/v1/redemptions/{redemption['pickup_code']}/cancel", headers=outsider)
    ).status_code == 404
    cancelled = await client.post(
        f"/api/v1/redemptions/{redemption['pickup_code'].lower()}/cancel", headers=place["auth"]
    )
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert (await balance(resident), await stock_of(reward["id"])) == (100, 2)
    mine = (await client.get("/api/v1/me/redemptions", headers=factories.token_for(resident))).json()
    assert [r["status"] for r in mine] == ["cancelled"]


# --- the person's rights ---------------------------------------------------------------------------


async def test_an_export_lists_redemptions_and_closing_an_account_releases_reserved_ones(
    client: Client, place: dict[str, Any]
) -> None:
    reward = await new_reward(client, place, points_cost=100, stock=2, per_resident_limit=2)
    resident = await resident_with(300)
    kept = (await redeem(client, reward["id"], resident)).json()
    await client.post(f"/api/v1/redemptions/{kept['pickup_code']}/fulfil", headers=place["auth"])
    held = (await redeem(client, reward["id"], resident)).json()
    exported = await queries.export_redemptions(resident.id)
    assert [(r["id"], r["status"], r["reward_name"]["en"]) for r in exported] == [
        (kept["id"], "fulfilled", "Reusable shopping bag"),
        (held["id"], "reserved", "Reusable shopping bag"),
    ]
    json.dumps(exported)  # plain JSON
    assert await queries.export_redemptions((await factories.resident()).id) == []
    assert await redemptions.release_redemptions(resident.id) == 1
    assert (await balance(resident), await stock_of(reward["id"])) == (200, 1)
