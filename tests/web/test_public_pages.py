"""The public pages behind QR codes and shared links, over HTTP on both databases: an event, a
share link, a library branch, a service record's check and the home page, in the reader's
language, the same for every visitor (cacheable), refusals as pages, nothing personal shown."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image
from redis.asyncio import Redis

from backend.accounts.tables import Role
from backend.core import clock
from backend.core.i18n import CITY_TZ, use_locale
from backend.events.catalogue.tables import Event, Venue
from backend.events.sharing.services import share_link_code
from backend.events.sharing.tables import ShareLink
from backend.libraries.api import branch_page
from backend.volunteers.hours.tables import ServiceRecord
from tests import factories
from tests.conftest import build_app, serve_in_process
from tests.volunteers import builders
from tests.volunteers.test_records import entry, with_identity

Client = httpx.AsyncClient
PUBLIC = "public, max-age=60"
WEEK = {
    **{str(d): [{"opens": "09:00", "closes": "12:00"}, {"opens": "13:30", "closes": "21:00"}] for d in range(5)},
    **{str(d): [{"opens": "10:00", "closes": "17:00"}] for d in (5, 6)},
}
LONG_TITLE = {
    "zh-Hans": "苏州评弹与昆曲名家联袂演出暨非物质文化遗产进社区系列活动第三场",
    "ja": "蘇州評弾と崑曲の名人による共演、無形文化遺産を地域に届けるシリーズ第三回公演",
    "en": "Pingtan and Kunqu masters on one stage: intangible heritage in the community, part three",
}


def evening(days: int) -> dict[str, str]:
    """From 19:00 to 21:00 Suzhou time, ``days`` from today: a time an event is held at."""
    start = datetime.combine(clock.city_today() + timedelta(days=days), time(19, 0), CITY_TZ)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}


async def a_poster(client: Client, event_id: uuid.UUID, organiser: Any) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (1200, 800), (20, 120, 200)).save(photo, format="JPEG")
    uploaded = await client.post(
        f"/api/v1/events/{event_id}/poster",
        files={"file": ("p.jpg", photo.getvalue(), "image/jpeg")},
        headers=factories.token_for(organiser),
    )
    assert uploaded.status_code == 200, uploaded.text


async def public_world(client: Client) -> dict[str, Any]:
    """An event with a poster and a long title, one without, a library branch with seats counted
    and an event there, a volunteer's service record: what the pages show (tests and browser)."""
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    await Venue.update(
        {
            Venue.address: {"zh-Hans": "姑苏区南园北路 88 号", "en": "88 Nanyuan North Rd, Gusu"},
            Venue.accessibility_notes: {"zh-Hans": "正门有坡道，一楼有无障碍卫生间。", "en": "Ramp at the main door."},
        }
    ).where(Venue.id == venue.id)
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    event = await factories.published_event(
        tree["street_a"],
        venue,
        **evening(3),
        title=LONG_TITLE,
        accessibility=["wheelchair"],
        contact_name="王晓红",
        contact_phone="13812345678",
        description={
            "zh-Hans": "由苏州评弹团的老艺人演出，欢迎新苏州人一起来听。",
            "en": "Masters of the Suzhou Pingtan troupe.",
        },
    )
    await a_poster(client, event.id, organiser)
    plain = await factories.published_event(
        tree["street_a"],
        venue,
        **evening(5),
        title={"zh-Hans": "邻里读书会"},
        summary={"zh-Hans": "每月一次，邻居们一起读书聊天。"},
        capacity=5,
        languages=["zh"],
    )

    staff = factories.token_for(await factories.staff(Role.library_staff, tree["library_a"]))
    library_venue = await factories.venue(tree["library_a"], tree["community_a"], name="苏州图书馆双塔分馆")
    body = {
        "organisation_id": str(tree["library_a"].id),
        "venue_id": str(library_venue.id),
        "name": {"zh-Hans": "苏州图书馆双塔分馆", "en": "Suzhou Library, Shuangta Branch", "ja": "蘇州図書館双塔分館"},
        "address": {"zh-Hans": "姑苏区凤凰街 160 号", "en": "160 Fenghuang St, Gusu"},
        "services": ["lending", "e_reading"],
        "e_reading_seats": 24,
        "contact_phone": "0512-65227581",
        "weekly_hours": WEEK,
        "holiday_rules": {"public_holiday": "closed", "makeup_workday": "weekday_hours"},
    }
    created = await client.post("/api/v1/library-branches", json=body, headers=staff)
    assert created.status_code == 201, created.text
    branch = created.json()["id"]
    room = {"name": {"zh-Hans": "电子阅览室", "en": "E-reading room"}, "seats": 24}
    assert (await client.post(f"/api/v1/library-branches/{branch}/rooms", json=room, headers=staff)).status_code == 201
    counted = await client.put(f"/api/v1/library-branches/{branch}/occupancy", json={"free_seats": 7}, headers=staff)
    assert counted.is_success, counted.text
    at_library = await factories.published_event(
        tree["library_a"], library_venue, **evening(4), title={"zh-Hans": "绘本故事会", "en": "Picture-book stories"}
    )
    return {
        "tree": tree,
        "organiser": organiser,
        "event": event,
        "plain": plain,
        "branch": branch,
        "at_library": at_library,
    }


async def a_record(client: Client) -> ServiceRecord:
    tree = await factories.city_tree()
    patrol = await builders.team(tree["community_a"])
    volunteer = await factories.resident()
    await builders.member(patrol, volunteer)
    await with_identity(volunteer)
    await entry(patrol, volunteer, 150, days_ago=20)
    await entry(patrol, volunteer, 60, days_ago=3)
    answer = await client.get("/api/v1/me/hours/record", headers=factories.token_for(volunteer))
    assert answer.status_code == 200, answer.text
    record = await ServiceRecord.objects().where(ServiceRecord.user == volunteer.id).first()
    assert record is not None
    return record


def meta(html: str, name: str) -> str:
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', html)
    assert found, name
    return found.group(1)


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    return await public_world(client)


# --- the event ------------------------------------------------------------------------------------


async def test_the_event_page_in_chinese_and_japanese(client: Client, world: dict[str, Any]) -> None:
    event = world["event"]
    page = await client.get(f"/events/{event.id}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="zh-Hans">' in html and LONG_TITLE["zh-Hans"] in html
    for needle in (
        "剩余 20 个名额",
        "南园社区活动中心",
        "双塔街道",
        "/calendar.ics",
        "每次报名最多 4 人",
        "免费",
        "轮椅",
    ):
        assert needle in html, needle
    assert "<picture>" in html and 'type="image/webp"' in html and 'alt="海报' in html
    assert page.headers["cache-control"] == PUBLIC
    assert page.headers["content-language"] == "zh-Hans" and "Accept-Language" in page.headers["vary"]

    ja = await client.get(f"/events/{event.id}", headers={"Accept-Language": "ja"})
    assert '<html lang="ja">' in ja.text and LONG_TITLE["ja"] in ja.text
    assert "残り20席" in ja.text and "カレンダーに追加" in ja.text
    english = await client.get(f"/events/{event.id}?lang=en")
    assert LONG_TITLE["en"] in english.text and "Nanyuan Community Centre" in english.text
    assert "Up to 4 people per sign-up" in english.text


async def test_a_title_in_another_language_or_converted_says_so(client: Client, world: dict[str, Any]) -> None:
    plain = world["plain"]
    ko = await client.get(f"/events/{plain.id}?lang=ko")
    assert "邻里读书会" in ko.text and 'lang="zh-Hans"' in ko.text
    assert "중국어" in ko.text  # "not in your language; shown in Chinese (Simplified)"
    hant = await client.get(f"/events/{plain.id}?lang=zh-Hant")
    assert "鄰里讀書會" in hant.text and "自動轉換" in hant.text


async def test_link_previews_carry_open_graph_tags(client: Client, world: dict[str, Any], settings: Any) -> None:
    event, plain = world["event"], world["plain"]
    html = (await client.get(f"/events/{event.id}")).text
    base = settings.public_base_url.rstrip("/")
    assert meta(html, "og:title") == LONG_TITLE["zh-Hans"]
    assert meta(html, "og:url") == f"{base}/events/{event.id}"
    assert meta(html, "og:image").startswith(f"{base}/media/") and meta(html, "og:image").endswith(".jpg")
    assert meta(html, "og:description") and meta(html, "twitter:card") == "summary_large_image"
    without = (await client.get(f"/events/{plain.id}")).text
    assert meta(without, "og:image") == f"{base}/api/v1/events/{plain.id}/share-card?lang=zh-Hans"


async def test_no_personal_data_on_the_page(client: Client, world: dict[str, Any]) -> None:
    resident = factories.token_for(await factories.resident("李小梅"))
    await client.post(f"/api/v1/events/{world['event'].id}/registrations", json={}, headers=resident)
    for lang in ("zh-Hans", "en"):
        html = (await client.get(f"/events/{world['event'].id}?lang={lang}")).text
        for secret in ("王晓红", "13812345678", "李小梅", world["organiser"].username):
            assert secret not in html
    assert "剩余 19 个名额" in (await client.get(f"/events/{world['event'].id}")).text


async def test_a_cancelled_event_says_so_and_a_draft_or_unknown_one_is_a_page_not_found(
    client: Client, world: dict[str, Any]
) -> None:
    event, plain = world["event"], world["plain"]
    organiser = factories.token_for(world["organiser"])
    assert (await client.post(f"/api/v1/events/{plain.id}/cancel", headers=organiser)).is_success
    cancelled = await client.get(f"/events/{plain.id}?lang=en")
    assert cancelled.status_code == 200 and "This event has been cancelled." in cancelled.text
    assert "Add to calendar" not in cancelled.text

    await Event.update({Event.status: "draft"}).where(Event.id == event.id)
    await client.patch(f"/api/v1/events/{event.id}", json={}, headers=organiser)  # bumps the cache
    for path in (f"/events/{event.id}", f"/events/{uuid.uuid4()}", "/events/not-an-id"):
        for lang, words in (("zh-Hans", "找不到"), ("ja", "見つかりません")):
            missing = await client.get(f"{path}?lang={lang}")
            assert missing.status_code == 404, path
            assert missing.headers["content-type"].startswith("text/html")
            assert f'<html lang="{lang}">' in missing.text and words in missing.text
            assert missing.headers["cache-control"] == "private, no-store"
    api = await client.get(f"/api/v1/events/{uuid.uuid4()}")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


# --- the share link ---------------------------------------------------------------------------------


async def test_a_share_link_opens_the_event_and_hands_its_code_on(
    client: Client, world: dict[str, Any], fake_wechat: Any
) -> None:
    event = world["event"]
    sharer = await factories.resident()
    code = await share_link_code(event_id=event.id, sharer_id=sharer.id)
    before = await ShareLink.count()
    for _ in range(2):
        page = await client.get(f"/s/{code}")
        assert page.status_code == 200 and LONG_TITLE["zh-Hans"] in page.text
        assert f"/events/{event.id}/open?lang=zh-Hans&amp;share={code}" in page.text
        assert meta(page.text, "og:url").endswith(f"/events/{event.id}")  # one canonical address
    # As the API counts it: a visit records nothing; the code credits the sharer at sign-up.
    assert await ShareLink.count() == before
    opened = await client.post(f"/events/{event.id}/open?share={code}", headers={"HX-Request": "true"})
    assert opened.status_code == 200
    assert fake_wechat.urllinks[-1]["query"] == f"id={event.id}&share={code}"
    assert (await client.get("/s/nosuchcode")).status_code == 404
    assert "找不到" in (await client.get("/s/nosuchcode")).text


# --- open in the mini-program -------------------------------------------------------------------------


async def test_each_visitor_gets_a_url_link_of_their_own(
    client: Client, world: dict[str, Any], fake_wechat: Any, settings: Any
) -> None:
    event = world["event"]
    page = await client.get(f"/events/{event.id}")
    assert f'hx-post="/events/{event.id}/open?lang=zh-Hans"' in page.text and "在小程序中打开" in page.text
    links = []
    for _visitor in range(2):
        answer = await client.post(f"/events/{event.id}/open", headers={"HX-Request": "true"})
        assert answer.status_code == 200 and answer.headers["cache-control"] == "private, no-store"
        found = re.search(r'href="(https://wxaurl\.cn/[^"]+)"', answer.text)
        assert found, answer.text
        links.append(found.group(1))
    assert len(set(links)) == 2 and len(fake_wechat.urllinks) == 2
    sent = fake_wechat.urllinks[0]
    assert sent["path"] == settings.wechat_event_page and sent["query"] == f"id={event.id}"
    assert (sent["expire_type"], sent["expire_interval"]) == (1, 30)
    # Without JavaScript the same POST answers a page with the link.
    plain = await client.post(f"/events/{event.id}/open?lang=en")
    assert plain.status_code == 200 and "<html" in plain.text and "Open in WeChat" in plain.text


async def test_the_button_degrades_to_the_code_when_wechat_errs(
    client: Client, world: dict[str, Any], fake_wechat: Any
) -> None:
    event = world["event"]
    fake_wechat.urllink_daily_limit = 0  # WeChat's own count is spent: 45009
    answer = await client.post(f"/events/{event.id}/open", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "wxaurl.cn" not in answer.text
    assert f"/api/v1/events/{event.id}/share-card" in answer.text and "用微信扫码" in answer.text
    fake_wechat.urllink_daily_limit = 500_000
    fake_wechat.fail_http(10)  # WeChat away
    away = await client.post(f"/events/{event.id}/open", headers={"HX-Request": "true"})
    assert away.status_code == 200 and "wxaurl.cn" not in away.text and "share-card" in away.text


async def test_the_button_degrades_to_the_code_at_the_days_budget(
    client: Client, world: dict[str, Any], fake_wechat: Any, settings: Any, shared_redis: Redis | None
) -> None:
    event = world["event"]
    async with serve_in_process(build_app(settings, shared_redis, wechat_urllink_daily_budget=2)) as frugal:
        answers = [
            (await frugal.post(f"/events/{event.id}/open", headers={"HX-Request": "true"})).text for _ in range(3)
        ]
    assert ["wxaurl.cn" in text for text in answers] == [True, True, False]
    assert len(fake_wechat.urllinks) == 2 and "share-card" in answers[2]


async def test_asking_for_links_is_limited_per_address(client: Client, world: dict[str, Any], app: Any) -> None:
    event = world["event"]
    limit = app.state.settings.urllink_rate_limit
    for _ in range(limit):
        assert (await client.post(f"/events/{event.id}/open", headers={"HX-Request": "true"})).status_code == 200
    refused = await client.post(f"/events/{event.id}/open?lang=en")
    assert refused.status_code == 429 and refused.headers["content-type"].startswith("text/html")
    assert "Too many requests" in refused.text and "retry-after" in refused.headers


async def test_without_wechat_the_page_has_no_button(
    client: Client, world: dict[str, Any], settings: Any, shared_redis: Redis | None, fake_wechat: Any
) -> None:
    async with serve_in_process(build_app(settings, shared_redis, wechat_appid="", wechat_secret="")) as plain:
        page = await plain.get(f"/events/{world['event'].id}")
        asked = await plain.post(f"/events/{world['event'].id}/open", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "/open" not in page.text and "添加到日历" in page.text
    assert "share-card" in asked.text and fake_wechat.urllinks == []


async def test_a_foreign_site_cannot_spend_the_links(client: Client, world: dict[str, Any], fake_wechat: Any) -> None:
    refused = await client.post(f"/events/{world['event'].id}/open", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    assert fake_wechat.urllinks == []


# --- the library branch ---------------------------------------------------------------------------------


async def test_the_branch_page_in_chinese_and_english(client: Client, world: dict[str, Any]) -> None:
    page = await client.get(f"/library-branches/{world['branch']}")
    assert page.status_code == 200 and page.headers["cache-control"] == PUBLIC
    html = page.text
    with use_locale("zh-Hans"):
        now = await branch_page(uuid.UUID(world["branch"]))  # open or closed: whatever the hour is
    for needle in (
        "苏州图书馆双塔分馆",
        now.open_text,
        now.status,
        "24 个电子阅览座位中尚有 7 个空位",
        "统计",
        "图书借阅",
        "绘本故事会",
        "0512-65227581",
    ):
        assert needle in html, needle
    assert f'href="/events/{world["at_library"].id}"' in html
    english = (await client.get(f"/library-branches/{world['branch']}?lang=en")).text
    for needle in ("Suzhou Library, Shuangta Branch", "7 of 24 e-reading seats free", "Picture-book stories", "today"):
        assert needle in english, needle


async def test_holidays_and_make_up_days_are_marked(client: Client, world: dict[str, Any]) -> None:
    """The week from Sunday 20 September 2026: a make-up working day, then the Mid-autumn Festival."""
    with clock.frozen(datetime(2026, 9, 20, 10, tzinfo=CITY_TZ)):
        html = (await client.get(f"/library-branches/{world['branch']}")).text
        english = (await client.get(f"/library-branches/{world['branch']}?lang=en")).text
    assert "国庆节调休上班" in html and "中秋节" in html
    assert "Make-up working day for National Day" in english and "Mid-autumn Festival" in english


async def test_an_old_seat_count_is_said_to_be_old(client: Client, world: dict[str, Any]) -> None:
    from backend.libraries.tables import LibraryBranch

    long_ago = datetime.now(UTC) - timedelta(hours=3)
    await LibraryBranch.update({LibraryBranch.free_seats_at: long_ago}).where(LibraryBranch.id == world["branch"])
    english = (await client.get(f"/library-branches/{world['branch']}?lang=en")).text
    assert "No recent count of free seats" in english and "3 hours ago" in english and "too old" in english


async def test_an_unknown_branch_is_a_page_not_found(client: Client, world: dict[str, Any]) -> None:
    for path in (f"/library-branches/{uuid.uuid4()}", "/library-branches/42"):
        missing = await client.get(path + "?lang=en")
        assert missing.status_code == 404 and "<html" in missing.text and "does not exist" in missing.text


# --- the service record -----------------------------------------------------------------------------------


async def test_a_record_is_checked_by_code_or_number(client: Client) -> None:
    record = await a_record(client)
    for given in (record.code, record.record_number, record.record_number.lower()):
        page = await client.get(f"/verify/{given}")
        assert page.status_code == 200, given
        html = page.text
        for needle in ("有效", "张*明", "3.5", record.record_number, "南园巡逻队"):
            assert needle in html, needle
        assert "张晓明" not in html and "11010519491231002X" not in html
        assert page.headers["cache-control"] == "private, no-store"
    english = (await client.get(f"/verify/{record.code}?lang=en")).text
    assert "Valid" in english and "3.5 hours" in english and "Nanyuan Patrol" in english
    unknown = await client.get("/verify/NOSUCHCODE23?lang=ja")
    assert unknown.status_code == 404 and '<html lang="ja">' in unknown.text and "不明" in unknown.text


async def test_a_superseded_record_says_so(client: Client) -> None:
    record = await a_record(client)
    newer = ServiceRecord(**{**record.to_dict(), "id": uuid.uuid4()})
    newer.record_number, newer.code = "LL-2026-ZZZZZZZZ", "ZZZZZZZZZZZZ"
    newer.issued_at = record.issued_at + timedelta(days=1)
    newer.fingerprint = "another"
    await newer.save()
    english = (await client.get(f"/verify/{record.code}?lang=en")).text
    assert "Superseded" in english and "newer record" in english


async def test_the_record_pdf_qr_points_at_this_page(settings: Any) -> None:
    from backend.volunteers.hours.records import verification_url

    assert verification_url(settings.public_base_url, "ABCD") == settings.public_base_url.rstrip("/") + "/verify/ABCD"


# --- the home page ---------------------------------------------------------------------------------


async def test_the_home_page_lists_events_and_branches(client: Client, world: dict[str, Any]) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["cache-control"] == PUBLIC
    html = page.text
    assert f'href="/events/{world["event"].id}"' in html and "邻里读书会" in html
    assert f'href="/library-branches/{world["branch"]}"' in html and "苏州图书馆双塔分馆" in html
    ja = (await client.get("/?lang=ja")).text
    assert LONG_TITLE["ja"] in ja and "蘇州図書館双塔分館" in ja


async def test_the_home_page_when_nothing_is_listed(client: Client) -> None:
    english = (await client.get("/?lang=en")).text
    assert "No events are open for sign-up right now" in english and "No library branches are listed yet" in english
