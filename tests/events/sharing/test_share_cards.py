"""Share cards: real glyphs in every language, the mini-program code or a QR, share links.

Font checks run once; the API tests run on both backends. No glyph may fall back to the font's
.notdef box ("tofu"): each drawn character is checked against the face's character map (fontTools)
and its bitmap against the .notdef bitmap.
"""

from __future__ import annotations

import io
import itertools
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from PIL import Image
from redis.asyncio import Redis

from backend.accounts.tables import Role, User
from backend.core import fonts
from backend.core.cache import VersionedCache
from backend.core.i18n import use_locale
from backend.core.stores import build_stores
from backend.events.catalogue import queries, services
from backend.events.catalogue.schemas import EventCreate
from backend.events.catalogue.tables import Event, Venue
from backend.events.sharing import cards
from backend.events.sharing import services as share_links
from backend.events.sharing.tables import ShareLink
from backend.settings import Settings
from tests import factories
from tests.conftest import build_app, serve_in_process
from tests.fakes.wechat import FakeWechat

Client = httpx.AsyncClient
CJK_LOCALES = ("zh-Hans", "zh-Hant", "ja", "ko")
# WECHAT.md: a scene is at most 32 characters of this set.
SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
FAKE_CODE_GREEN = (7, 193, 96)  # the colour of the fake WeChat's mini-program code

SAMPLES = {
    "zh-Hans": ["苏州评弹欣赏会", "《珍珠塔》选段：名家现场演出，欢迎邻里带上家人！", "11月28日周六 14:00–16:00"],
    "zh-Hant": ["蘇州評彈欣賞會", "南園社區活動中心（雙塔街道）", "11月28日週六 下午2:00至4:00"],
    "ja": ["蘇州の評弾", "評弾（ひょうだん）の夕べ・南園コミュニティセンター", "11月28日(土) 14:00～16:00"],
    "ko": ["쑤저우 평탄 공연", "난위안 커뮤니티 센터에서 만나요!", "11월 28일 (토) 오후 2:00~4:00"],
}
TITLES = {
    "zh-Hans": "苏州评弹欣赏会：《珍珠塔》选段",
    "zh-Hant": "蘇州評彈欣賞會：《珍珠塔》選段",
    "ja": "蘇州の評弾（ひょうだん）を楽しむ夕べ",
    "ko": "쑤저우 평탄 공연: 진주탑",
    "en": "Pingtan Evening: The Pearl Pagoda",
}
VENUE_NAMES = {
    "zh-Hans": "南园社区活动中心",
    "zh-Hant": "南園社區活動中心",
    "ja": "南園コミュニティセンター",
    "ko": "난위안 커뮤니티 센터",
    "en": "Nanyuan Community Centre",
}


# --- the app with the share-card routes -----------------------------------------------------------


# --- glyph checks ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cmaps() -> Iterator[dict[tuple[str, bool], set[int]]]:
    """The character map of the face drawn for each (locale, bold)."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    maps: dict[tuple[str, bool], set[int]] = {}
    for bold in (False, True):
        collection = ttlib.TTCollection(str(fonts.font_file(bold=bold)), lazy=True)
        for locale in fonts.FAMILIES:
            face = collection.fonts[fonts.face_index(locale, bold=bold)]
            assert face["name"].getDebugName(1) == fonts.FAMILIES[locale]
            maps[(locale, bold)] = set(face["cmap"].getBestCmap())
    yield maps


def assert_every_glyph(text: str, *, locale: str, bold: bool, cmaps: dict[tuple[str, bool], set[int]]) -> None:
    drawn = [c for c in text if not c.isspace()]
    assert drawn, "nothing to check"
    font = fonts.cjk_font(48, locale=locale, bold=bold)
    assert fonts.missing_glyphs(text, font) == [], (locale, text)
    not_mapped = [c for c in text if ord(c) not in cmaps[(locale, bold)] and c != " "]
    assert not_mapped == [], (locale, text, [f"U+{ord(c):04X}" for c in not_mapped])


def test_each_language_has_its_regional_face() -> None:
    families = {locale: fonts.cjk_font(40, locale=locale).getname()[0] for locale in CJK_LOCALES}
    assert families == {
        "zh-Hans": "Noto Sans CJK SC",
        "zh-Hant": "Noto Sans CJK TC",
        "ja": "Noto Sans CJK JP",
        "ko": "Noto Sans CJK KR",
    }
    assert fonts.cjk_font(40, locale="ja", bold=True).getname() == ("Noto Sans CJK JP", "Bold")


@pytest.mark.parametrize("locale", CJK_LOCALES)
@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
def test_sample_text_renders_every_glyph(locale: str, bold: bool, cmaps: dict[tuple[str, bool], set[int]]) -> None:
    for sample in SAMPLES[locale]:
        assert_every_glyph(fonts.normalise_spaces(sample), locale=locale, bold=bold, cmaps=cmaps)


def test_the_tofu_check_sees_tofu() -> None:
    """The check is not vacuous: Thai and an unassigned code point are not in Noto Sans CJK."""
    font = fonts.cjk_font(48, locale="zh-Hans")
    assert fonts.missing_glyphs("评弹ก\U0010fffd", font) == ["ก", "\U0010fffd"]


def test_a_missing_font_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    with pytest.raises(fonts.FontMissing, match="apt-get install fonts-noto-cjk"):
        fonts.cjk_font(40, locale="ko")


# --- wrapping ----------------------------------------------------------------------------------------


def test_chinese_wraps_between_characters_and_keeps_punctuation_in_place() -> None:
    font = fonts.cjk_font(60, locale="zh-Hans", bold=True)
    text = "苏州评弹欣赏会：《珍珠塔》选段，名家现场演出"
    lines = fonts.wrap(text, font, 400, max_lines=10)
    assert len(lines) > 2
    assert "".join(lines) == text
    assert all(font.getlength(line) <= 400 for line in lines)
    assert not any(line[0] in "：，）》。" for line in lines)
    assert not any(line[-1] in "《（" for line in lines)


def test_latin_and_korean_wrap_between_words() -> None:
    font = fonts.cjk_font(40, locale="ko")
    for text in ("Pingtan storytelling evening with the masters of Suzhou", "쑤저우 평탄 공연 전통 이야기 음악의 밤"):
        lines = fonts.wrap(text, font, 300, max_lines=10)
        assert len(lines) > 1
        assert " ".join(lines) == text  # every break fell on a space
        assert all(font.getlength(line) <= 300 for line in lines)


def test_too_long_text_ends_with_an_ellipsis() -> None:
    font = fonts.cjk_font(60, locale="zh-Hans", bold=True)
    lines = fonts.wrap("评弹" * 60, font, 622, max_lines=4)
    assert len(lines) == 4 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 622 for line in lines)
    one = fonts.ellipsize("Sat, Nov 28, 2:00\u2009–\u20094:00\u202fPM, Nanyuan Community Centre", font, 300)
    assert one.endswith("…") and font.getlength(one) <= 300 and "\u2009" not in one


# --- builders ------------------------------------------------------------------------------------------


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    await Venue.update({Venue.name: VENUE_NAMES}).where(Venue.id == venue.id)
    organisation = tree["street_a"]
    return {
        "organisation": organisation,
        "venue": venue,
        "organiser": await factories.staff(Role.organiser, organisation),
    }


async def make_event(place: dict[str, Any], *, publish: bool = True, **overrides: Any) -> Event:
    """Made before a test's first request: the cache used here is a throwaway one."""
    cache = VersionedCache(build_stores(None))
    body = factories.event_body(place["organisation"], place["venue"], title=TITLES, **overrides)
    organiser: User = place["organiser"]
    _, events = await services.create_events(user_id=organiser.id, data=msgspec.convert(body, EventCreate), cache=cache)
    if publish:
        await services.publish_event(user_id=organiser.id, event_id=events[0].id, scope="this", cache=cache)
    return events[0]


async def card(
    client: Client, event_id: uuid.UUID, *, lang: str = "zh-Hans", user: User | None = None
) -> httpx.Response:
    headers = factories.token_for(user) if user is not None else {}
    return await client.get(f"/api/v1/events/{event_id}/share-card", params={"lang": lang}, headers=headers)


def opened(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (750, 1334))
    image.load()
    return image.convert("RGB")


def code_region(image: Image.Image) -> Image.Image:
    left, top, side = cards.QR_BOX
    return image.crop((left, top, left + side, top + side))


def expected_qr_region(event_id: uuid.UUID, code: str) -> Image.Image:
    """The QR box as it must look for this share code's link (the code is placed as drawn)."""
    link = f"{share_links.DEFAULT_PUBLIC_BASE_URL}/s/{code}"
    qr = cards._qr_image(link)
    box = Image.new("RGB", (cards.QR_SIDE, cards.QR_SIDE), (255, 255, 255))
    box.paste(qr, ((cards.QR_SIDE - qr.width) // 2, (cards.QR_SIDE - qr.height) // 2))
    return box


async def codes(event_id: uuid.UUID) -> dict[uuid.UUID | None, list[str]]:
    rows = await ShareLink.select(ShareLink.code, ShareLink.sharer).where(ShareLink.event == event_id)
    found: dict[uuid.UUID | None, list[str]] = {}
    for row in rows:
        found.setdefault(row["sharer"], []).append(row["code"])
    return found


# --- the card through the API ----------------------------------------------------------------------------


async def test_cards_in_four_languages_render_every_glyph(
    client: Client, place: dict[str, Any], cmaps: dict[tuple[str, bool], set[int]]
) -> None:
    event = await make_event(place)
    row = await Event.objects().output(load_json=True).where(Event.id == event.id).first()
    venue = await queries.get_venue(event.venue)
    images = {}
    for locale in (*CJK_LOCALES, "en"):
        response = await card(client, event.id, lang=locale)
        images[locale] = opened(response)
        assert response.headers["content-language"] == locale
        assert response.headers["cache-control"] == "private, max-age=300"
        # Every character the card draws has a glyph in the face it is drawn in.
        with use_locale(locale):
            text = cards.card_text(row, venue)
        assert (text.title, text.title_locale, text.venue_locale) == (TITLES[locale], locale, locale)
        for run in cards.layout_card(text).runs:
            assert_every_glyph(run.text, locale=run.locale, bold=run.bold, cmaps=cmaps)
    pixels = {locale: image.tobytes() for locale, image in images.items()}
    assert len(set(pixels.values())) == len(pixels), "each language has its own card"


async def test_the_card_carries_the_mini_program_code(
    client: Client, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    event = await make_event(place)
    image = opened(await card(client, event.id))
    [request] = fake_wechat.wxacodes
    assert SCENE.match(request["scene"]) and request["scene"].startswith("e=")
    [code] = (await codes(event.id))[None]
    assert request == {
        "scene": f"e={code}",
        "page": "pages/event/index",
        "width": 280,
        "check_path": False,
        "env_version": "release",
    }
    left, top, side = cards.QR_BOX
    assert image.getpixel((left + side // 2, top + side // 2)) == FAKE_CODE_GREEN
    # Again, and in another language: the card and the code come from the cache.
    opened(await card(client, event.id))
    opened(await card(client, event.id, lang="ja"))
    assert fake_wechat.calls["/wxa/getwxacodeunlimit"] == 1


async def test_without_wechat_the_card_has_a_qr_of_the_event_link(
    client: Client, place: dict[str, Any], settings: Settings, shared_redis: Redis | None, fake_wechat: FakeWechat
) -> None:
    event = await make_event(place)
    async with serve_in_process(build_app(settings, shared_redis, wechat_appid="", wechat_secret="")) as plain:
        image = opened(await card(plain, event.id, lang="ko"))
    assert fake_wechat.calls["/wxa/getwxacodeunlimit"] == 0 and fake_wechat.token_calls == 0
    [code] = (await codes(event.id))[None]
    region = code_region(image)
    assert region.getextrema()[0] == (33, 255), "dark modules on white, not a blank box"
    assert region.tobytes() == expected_qr_region(event.id, code).tobytes()


async def test_a_busy_wechat_falls_back_to_the_qr(
    client: Client, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    event = await make_event(place)
    fake_wechat.busy(10)
    image = opened(await card(client, event.id))
    [code] = (await codes(event.id))[None]
    assert code_region(image).tobytes() == expected_qr_region(event.id, code).tobytes()
    assert fake_wechat.wxacodes == []


async def test_a_wechat_error_falls_back_to_the_qr(
    client: Client, place: dict[str, Any], fake_wechat: FakeWechat, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = await make_event(place)
    monkeypatch.setattr(share_links, "SCENE_PREFIX", "e%")  # '%' is not allowed in a scene: 40129
    image = opened(await card(client, event.id))
    assert fake_wechat.calls["/wxa/getwxacodeunlimit"] == 1 and fake_wechat.wxacodes == []
    [code] = (await codes(event.id))[None]
    assert code_region(image).tobytes() == expected_qr_region(event.id, code).tobytes()


def test_an_unusable_code_image_falls_back_to_the_qr() -> None:
    text = cards.CardText(
        locale="ko",
        category="공연",
        title="쑤저우 평탄 공연",
        title_locale="ko",
        when="11월 28일 (토) 오후 2:00~4:00",
        venue="난위안 커뮤니티 센터",
        venue_locale="ko",
        call_to_action="코드를 스캔하세요",
    )
    event_id = uuid.uuid4()
    link = f"{share_links.DEFAULT_PUBLIC_BASE_URL}/s/AbCd1234"
    png = cards.render_card(text, wxacode=b"<html>not an image</html>", link=link)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert code_region(image).tobytes() == expected_qr_region(event_id, "AbCd1234").tobytes()


async def test_the_poster_is_drawn_in_the_card(client: Client, place: dict[str, Any]) -> None:
    event = await make_event(place)
    plain = opened(await card(client, event.id))
    assert plain.getpixel((375, 40)) == cards.SLATE  # no poster: the dark panel
    photo = io.BytesIO()
    Image.new("RGB", (1200, 900), (230, 120, 20)).save(photo, format="JPEG", quality=95)
    uploaded = await client.post(
        f"/api/v1/events/{event.id}/poster",
        files={"file": ("poster.jpg", photo.getvalue(), "image/jpeg")},
        headers=factories.token_for(place["organiser"]),
    )
    assert uploaded.status_code == 200, uploaded.text
    drawn = opened(await card(client, event.id))
    top = drawn.getpixel((375, 40))
    assert all(abs(a - b) < 12 for a, b in zip(top, (230, 120, 20), strict=True)), top
    # Across the card's width, as high as the words under it allow (at most its own 562 px here).
    assert all(abs(a - b) < 12 for a, b in zip(drawn.getpixel((375, 450)), (230, 120, 20), strict=True))
    assert drawn.getpixel((375, 580)) == cards.PAPER
    removed = await client.delete(f"/api/v1/events/{event.id}/poster", headers=factories.token_for(place["organiser"]))
    assert removed.status_code == 204
    assert opened(await card(client, event.id)).getpixel((375, 40)) == cards.SLATE


def test_every_layout_keeps_the_words_apart() -> None:
    """Nothing runs into the code, past the edges, or over another line, with or without a poster."""
    text = cards.CardText(
        locale="ja",
        category="伝統芸能・無形文化遺産",
        title="昆劇『牡丹亭』名場面公演：遊園・驚夢ほか、古戯台の夜。蘇州の伝統を味わう特別な一夜",
        title_locale="ja",
        when="12月19日(土) 19:00～21:00",
        venue="斜塘老街 古戯台（工業園区斜塘老街、地下鉄2号線から徒歩10分）",
        venue_locale="ja",
        call_to_action="コードを読み取って\nイベントを確認・申し込み",
    )
    for poster in (None, (1200, 900), (900, 1600), (3000, 500)):
        layout = cards.layout_card(text, poster)
        code_top = cards.QR_BOX[1] - cards.QR_PAD
        above = [run for run in layout.runs if run.xy[1] < code_top]
        assert max(run.xy[1] + run.size for run in above) < code_top - 24, poster
        tops = sorted(run.xy[1] for run in above if run.anchor == "la")
        assert all(b - a >= 40 for a, b in itertools.pairwise(tops)), (poster, tops)
        for run in layout.runs:
            width = cards._font(run.size, run.locale, run.bold).getlength(run.text)
            assert run.xy[0] + width <= cards.CARD_SIZE[0] - cards.MARGIN + 1, (poster, run.text)
        if layout.poster is not None:
            assert layout.poster[3] >= min(cards.MIN_POSTER_HEIGHT, round(750 * poster[1] / poster[0]))
            assert layout.pill[1] > layout.poster[3]


async def test_the_card_follows_changes_to_the_event(client: Client, place: dict[str, Any]) -> None:
    event = await make_event(place)
    before = opened(await card(client, event.id)).tobytes()
    changed = await client.patch(
        f"/api/v1/events/{event.id}",
        json={"title": {**TITLES, "zh-Hans": "评弹欣赏会（改期）"}},
        headers=factories.token_for(place["organiser"]),
    )
    assert changed.status_code == 200, changed.text
    assert opened(await card(client, event.id)).tobytes() != before


async def test_drafts_and_unknown_events_have_no_card(client: Client, place: dict[str, Any]) -> None:
    draft = await make_event(place, publish=False)
    for event_id, user in ((draft.id, None), (draft.id, place["organiser"]), (uuid.uuid4(), None)):
        response = await card(client, event_id, user=user)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "event_not_found"
    assert await ShareLink.count() == 0


# --- share links -------------------------------------------------------------------------------------------


async def test_each_resident_shares_with_a_link_of_their_own(
    client: Client, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    event = await make_event(place)
    alice, bob = await factories.resident("alice"), await factories.resident("bob")
    for user in (alice, alice, bob, None, None, place["organiser"]):
        opened(await card(client, event.id, user=user))
    links = await codes(event.id)
    # One link each for Alice and Bob, one shared by everyone else (staff are no "neighbours").
    assert {sharer: len(found) for sharer, found in links.items()} == {alice.id: 1, bob.id: 1, None: 1}
    assert len({found[0] for found in links.values()}) == 3
    assert sorted(w["scene"] for w in fake_wechat.wxacodes) == sorted(f"e={found[0]}" for found in links.values())
    for found in links.values():
        for asked in (found[0], f"e={found[0]}"):
            resolved = await client.get(f"/api/v1/share-links/{asked}")
            assert (resolved.status_code, resolved.json()) == (200, {"event_id": str(event.id)})


async def test_an_unknown_share_link_is_not_found(client: Client) -> None:
    for code in ("Zz9Zz9Zz", "not-a-code", "x" * 40):
        response = await client.get(f"/api/v1/share-links/{code}", params={"lang": "ja"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "share_link_not_found"
