"""The library room over HTTP (both databases): the branches a librarian keeps, details and rooms,
weekly hours and date exceptions with the calendar's preview, live seats — each change read back
through the API, each refusal as the API's, another library's branch not found."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.core import clock
from tests import factories
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
NINE_TO_FIVE = {str(d): [{"opens": "09:00", "closes": "17:00"}] for d in range(7)}


@pytest.fixture
async def lib(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    other = await factories.organisation(OrganisationKind.library, tree["street_b"], "莲花分馆")
    librarian = await factories.staff(Role.library_staff, tree["library_a"])
    stranger = await factories.staff(Role.library_staff, other)
    ours = await make_branch(client, tree["library_a"], librarian, "双塔分馆", e_reading_seats=20)
    theirs = await make_branch(client, other, stranger, "莲花分馆")
    return {"tree": tree, "librarian": librarian, "stranger": stranger, "ours": ours, "theirs": theirs}


async def make_branch(client: Client, library: Any, keeper: Any, name: str, **overrides: Any) -> dict[str, Any]:
    venue = await factories.venue(library, name=name)
    body = {
        "organisation_id": str(library.id),
        "venue_id": str(venue.id),
        "name": {"zh-Hans": name, "en": f"{name} (en)"},
        "address": {"zh-Hans": "人民路1号"},
        "services": ["lending", "e_reading"],
        "weekly_hours": NINE_TO_FIVE,
        **overrides,
    }
    made = await client.post("/api/v1/library-branches", json=body, headers=factories.token_for(keeper))
    assert made.status_code == 201, made.text
    return made.json()


async def read(client: Client, branch: dict[str, Any], **params: Any) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/library-branches/{branch['id']}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def path(branch: dict[str, Any], tab: str = "") -> str:
    return f"/console/libraries/{branch['id']}" + (f"/{tab}" if tab else "")


def next_weekday(weekday: int) -> date:
    today = clock.city_today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


async def test_every_page_of_the_room_opens_for_a_librarian(client: Client, lib: dict[str, Any]) -> None:
    await sign_in(client, lib["librarian"])
    home = await client.get("/console")
    assert 'href="/console/libraries"' in home.text
    listed = await client.get("/console/libraries")
    assert listed.status_code == 200
    assert "双塔分馆" in listed.text and "莲花分馆" not in listed.text  # only their own library's
    for tab in ("", "rooms", "hours", "exceptions", "seats"):
        shown = await client.get(path(lib["ours"], tab))
        assert shown.status_code == 200, (tab, shown.text)
        assert "双塔分馆" in shown.text
    assert re.search(r'<html lang="zh-Hans"', shown.text)


async def test_the_list_filters_sorts_and_pages(client: Client, lib: dict[str, Any]) -> None:
    for n in range(3):
        await make_branch(client, lib["tree"]["library_a"], lib["librarian"], f"平江分馆{n}")
    await sign_in(client, lib["librarian"])
    everything = await client.get("/console/libraries?sort=-name")
    names = re.findall(r'<a href="/console/libraries/[0-9a-f-]{36}">([^<]+)</a>', everything.text)
    assert names == sorted(names, reverse=True) and len(names) == 4
    found = await client.get("/console/libraries", params={"q": "平江分馆1"})
    assert "平江分馆1</a>" in found.text and "双塔分馆</a>" not in found.text
    none = await client.get("/console/libraries", params={"q": "nowhere", "service": "children"})
    assert none.status_code == 200 and "没有符合" in none.text
    odd = await client.get("/console/libraries", params={"sort": "drop table", "page": "x", "service": "bogus"})
    assert odd.status_code == 200 and "双塔分馆" in odd.text


async def test_another_library_and_other_roles_are_kept_out(client: Client, lib: dict[str, Any]) -> None:
    organiser = await factories.staff(Role.organiser, lib["tree"]["community_a"])
    csrf = await sign_in(client, organiser)
    assert 'href="/console/libraries"' not in (await client.get("/console")).text
    assert (await client.get("/console/libraries")).status_code == 403
    assert (await client.get(path(lib["ours"]))).status_code == 403
    refused = await send(client, path(lib["ours"], "seats"), csrf, free_seats="3")
    assert refused.status_code == 403

    client.cookies.clear()
    csrf = await sign_in(client, lib["librarian"])
    for tab in ("", "rooms", "hours", "exceptions", "seats"):
        assert (await client.get(path(lib["theirs"], tab))).status_code == 404
    assert (await client.get(f"/console/libraries/{uuid.uuid4()}")).status_code == 404
    assert (await client.get("/console/libraries/not-an-id")).status_code == 404
    # A write to another library's branch is the API's refusal: the same service answers.
    api = await client.put(
        f"/api/v1/library-branches/{lib['theirs']['id']}/occupancy",
        json={"free_seats": 1},
        headers=factories.token_for(lib["librarian"]),
    )
    written = await send(client, path(lib["theirs"], "seats"), csrf, htmx=True, free_seats="1")
    assert written.status_code == api.status_code == 403
    assert api.json()["detail"] in written.text
    preview = await send(
        client, path(lib["theirs"], "exceptions/preview"), csrf, htmx=True, day="2026-12-31", closed="true"
    )
    assert preview.status_code == 404


async def test_changes_without_the_token_are_refused(client: Client, lib: dict[str, Any]) -> None:
    await sign_in(client, lib["librarian"])
    for tab, fields in (("seats", {"free_seats": "3"}), ("exceptions", {"day": "2026-12-31", "closed": "true"})):
        refused = await client.post(path(lib["ours"], tab), data=fields)
        assert refused.status_code == 403
    assert (await read(client, lib["ours"]))["occupancy"]["known"] is False


async def test_details_are_saved_in_every_language(client: Client, lib: dict[str, Any]) -> None:
    csrf = await sign_in(client, lib["librarian"])
    saved = await send(
        client,
        path(lib["ours"]),
        csrf,
        **{
            "name.zh-Hans": "双塔街道图书馆",
            "name.en": "Shuangta Library",
            "name.ja": "双塔図書館",
            "address.zh-Hans": "定慧寺巷1号",
            "contact_phone": "0512-6522 0000",
            "services": ["lending", "children"],  # type: ignore[arg-type]
            "e_reading_seats": "30",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=details")
    assert "已保存" in (await client.get(saved.headers["location"])).text
    read_en = await read(client, lib["ours"], lang="en")
    assert read_en["name"] == "Shuangta Library" and read_en["contact_phone"] == "0512-6522 0000"
    assert read_en["services"] == ["lending", "children"] and read_en["e_reading_seats"] == 30
    assert (await read(client, lib["ours"], lang="ja"))["name"] == "双塔図書館"

    bad = await send(client, path(lib["ours"]), csrf, htmx=True, contact_phone="call me", e_reading_seats="-1")
    assert bad.status_code == 422 and bad.headers["hx-retarget"] == "#problems"
    assert "电话" in bad.text or "电子阅览座位" in bad.text
    assert (await read(client, lib["ours"]))["e_reading_seats"] == 30

    # A language box emptied is a text taken away, not one kept: here every box of the address.
    cleared = await send(
        client, path(lib["ours"]), csrf, **{"name.zh-Hans": "双塔街道图书馆", "name.en": "", "address.zh-Hans": ""}
    )
    assert cleared.status_code == 303
    after = await read(client, lib["ours"], lang="en")
    assert (after["name"], after["address"]) == ("双塔街道图书馆", "")
    assert (await read(client, lib["ours"], lang="ja"))["name"] == "双塔街道图书馆"


async def test_a_room_is_added(client: Client, lib: dict[str, Any]) -> None:
    csrf = await sign_in(client, lib["librarian"])
    added = await send(client, path(lib["ours"], "rooms"), csrf, **{"name.zh-Hans": "电子阅览室", "seats": "12"})
    assert added.status_code == 303
    rooms = (await read(client, lib["ours"]))["rooms"]
    assert [(r["name"], r["seats"], r["own_hours"]) for r in rooms] == [("电子阅览室", 12, False)]
    assert "电子阅览室" in (await client.get(path(lib["ours"], "rooms"))).text
    bad = await send(client, path(lib["ours"], "rooms"), csrf, htmx=True, **{"name.zh-Hans": "x", "seats": "many"})
    assert bad.status_code == 422 and "座位" in bad.text


async def test_weekly_hours_with_a_break_past_midnight_and_24_hours(client: Client, lib: dict[str, Any]) -> None:
    csrf = await sign_in(client, lib["librarian"])
    fields = {
        "hours-0-0-opens": "09:00",
        "hours-0-0-closes": "12:00",
        "hours-0-1-opens": "13:30",
        "hours-0-1-closes": "20:00",
        "hours-4-0-opens": "18:00",
        "hours-4-0-closes": "02:00",
        "hours-5-0-opens": "00:00",
        "hours-5-0-closes": "00:00",
        "holiday_rules.public_holiday": "closed",
        "holiday_rules.makeup_workday": "weekday_hours",
        "holiday_rules.monday_closed_unless_holiday": "true",
    }
    preview = await send(client, path(lib["ours"], "hours/preview"), csrf, htmx=True, month="2026-10", **fields)
    assert preview.status_code == 200 and 'id="calendar"' in preview.text
    assert "预览" in preview.text and "changed" in preview.text
    assert "国庆节" in preview.text  # the engine's public holidays, named in the reader's language
    assert (await read(client, lib["ours"]))["holiday_rules"]["public_holiday"] == "sunday_hours"  # not saved

    saved = await send(client, path(lib["ours"], "hours"), csrf, **fields)
    assert saved.status_code == 303
    branch = await read(client, lib["ours"], at=f"{next_weekday(4).isoformat()}T12:00:00")
    assert branch["holiday_rules"] == {
        "monday_closed_unless_holiday": True,
        "public_holiday": "closed",
        "makeup_workday": "weekday_hours",
    }
    by_weekday = {date.fromisoformat(d["date"]).weekday(): d for d in branch["week"]}
    if by_weekday[4]["kind"] == "workday":
        assert by_weekday[4]["intervals"] == [{"opens": "18:00", "closes": "02:00"}]
    if by_weekday[5]["kind"] == "weekend":
        assert by_weekday[5]["intervals"] == [{"opens": "00:00", "closes": "00:00"}]
    if by_weekday[2]["kind"] == "workday":
        assert by_weekday[2]["intervals"] == []  # left empty: closed


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({"hours-2-1-opens": "25:00", "hours-2-1-closes": "17:00"}, "周三开馆"),
        ({"hours-6-0-opens": "09:00"}, "周日闭馆"),
    ],
)
async def test_bad_hours_mark_the_field(
    client: Client, lib: dict[str, Any], fields: dict[str, str], label: str
) -> None:
    csrf = await sign_in(client, lib["librarian"])
    for tab in ("hours/preview", "hours"):
        refused = await send(client, path(lib["ours"], tab), csrf, htmx=True, **fields)
        assert refused.status_code == 422, refused.text
        assert label in refused.text and 'href="#field-weekly_hours-' in refused.text
    assert (await read(client, lib["ours"]))["week"][0]["intervals"]  # nothing saved


async def test_a_date_exception_previewed_saved_and_removed(client: Client, lib: dict[str, Any]) -> None:
    csrf = await sign_in(client, lib["librarian"])
    day = clock.city_today() + timedelta(days=3)
    fields = {"day": day.isoformat(), "closed": "true", "note.zh-Hans": "设备检修", "note.en": "Maintenance"}
    preview = await send(client, path(lib["ours"], "exceptions/preview"), csrf, htmx=True, **fields)
    assert preview.status_code == 200 and "设备检修" in preview.text and "预览" in preview.text
    assert f'datetime="{day.isoformat()}"' in preview.text
    assert not [d for d in (await read(client, lib["ours"]))["week"] if d["note"]]  # a preview saves nothing

    saved = await send(client, path(lib["ours"], "exceptions"), csrf, **fields)
    assert saved.status_code == 303 and f"month={day:%Y-%m}" in saved.headers["location"]
    that_day = next(d for d in (await read(client, lib["ours"], lang="en"))["week"] if d["date"] == day.isoformat())
    assert that_day["intervals"] == [] and that_day["note"] == "Maintenance"
    listed = await client.get(saved.headers["location"])
    assert "设备检修" in listed.text and "已保存" in listed.text

    special = {"day": day.isoformat(), "iv-0-opens": "10:00", "iv-0-closes": "14:00"}
    assert (await send(client, path(lib["ours"], "exceptions"), csrf, **special)).status_code == 303
    that_day = next(d for d in (await read(client, lib["ours"]))["week"] if d["date"] == day.isoformat())
    assert that_day["intervals"] == [{"opens": "10:00", "closes": "14:00"}]

    removed = await send(client, path(lib["ours"], f"exceptions/{day.isoformat()}/delete"), csrf)
    assert removed.status_code == 303
    that_day = next(d for d in (await read(client, lib["ours"]))["week"] if d["date"] == day.isoformat())
    assert that_day["note"] is None


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"day": "2026-02-30", "closed": "true"}, "日期"),
        ({"closed": "true"}, "日期"),
        ({"day": "2026-12-24"}, "请填写特殊开放时间"),
        ({"day": "2026-12-24", "iv-1-opens": "10:00", "iv-1-closes": "9:99"}, "闭馆"),
    ],
)
async def test_a_bad_exception_is_a_form_message(
    client: Client, lib: dict[str, Any], fields: dict[str, str], said: str
) -> None:
    csrf = await sign_in(client, lib["librarian"])
    for tab in ("exceptions/preview", "exceptions"):
        refused = await send(client, path(lib["ours"], tab), csrf, htmx=True, **fields)
        assert refused.status_code == 422, refused.text
        assert said in refused.text and refused.headers["hx-retarget"] == "#problems"


async def test_free_seats_are_reported_in_one_tap(client: Client, lib: dict[str, Any]) -> None:
    csrf = await sign_in(client, lib["librarian"])
    page = await client.get(path(lib["ours"], "seats"))
    assert page.text.count('name="free_seats" value=') == 21  # 0 to 20, one button each
    tapped = await send(client, path(lib["ours"], "seats"), csrf, htmx=True, free_seats="12")
    assert tapped.status_code == 200 and tapped.headers["hx-redirect"].endswith("/seats?done=seats")
    occupancy = (await read(client, lib["ours"]))["occupancy"]
    assert occupancy["known"] and occupancy["free_seats"] == 12
    shown = await client.get(path(lib["ours"], "seats"))
    assert "<strong>12</strong> / 20" in shown.text and "前报告" in shown.text

    too_many = await send(client, path(lib["ours"], "seats"), csrf, htmx=True, free_seats="21")
    api = await client.put(
        f"/api/v1/library-branches/{lib['ours']['id']}/occupancy",
        json={"free_seats": 21},
        headers=factories.token_for(lib["librarian"]),
    )
    assert too_many.status_code == api.status_code == 422 and api.json()["detail"] in too_many.text
    for value in ("-1", "lots", ""):
        bad = await send(client, path(lib["ours"], "seats"), csrf, htmx=True, free_seats=value)
        assert bad.status_code == 422, value
    assert (await read(client, lib["ours"]))["occupancy"]["free_seats"] == 12


async def test_the_calendar_pages_through_months(client: Client, lib: dict[str, Any]) -> None:
    await sign_in(client, lib["librarian"])
    october = await client.get(
        path(lib["ours"], "calendar"), params={"month": "2026-10"}, headers={"HX-Request": "true"}
    )
    assert october.status_code == 200 and "2026年10月" in october.text
    assert "国庆节" in october.text and "调休" in october.text  # 1–7 Oct off, Sat 10 Oct worked
    assert 'hx-get="/console/libraries/' in october.text and "month=2026-11" in october.text
    odd = await client.get(path(lib["ours"], "hours"), params={"month": "2026-13"})
    assert odd.status_code == 200
