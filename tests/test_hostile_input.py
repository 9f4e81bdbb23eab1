"""Hostile input against the real endpoints, on both databases: decompression bombs, polyglots,
broken and absurd JSON, dates beyond the calendar, NUL bytes, other residents' ids.

Every refusal is an exact 4xx problem+json, in the language the caller asked for, and leaves
every row of every table and every file of the media folder exactly as it was. What is accepted
(a polyglot, a CMYK or 16-bit picture, a phone photo with GPS) is stored as our own clean
re-encoding. One world per database is built once; each case is one request.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image
from redis.asyncio import Redis

from backend.accounts import staff_accounts
from backend.accounts.tables import Role, User
from backend.core.errors import PROBLEM_TYPE_BASE
from backend.core.i18n import translations
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason
from backend.inclusion.rewards.tables import Redemption
from backend.notifications.tables import Notice
from backend.settings import Settings
from tests import factories
from tests import hostile_corpus as corpus
from tests.conftest import BACKENDS, _clean, all_tables, build_app, make_settings, serve_in_process
from tests.volunteers import builders

Client = httpx.AsyncClient
PROBLEM = "application/problem+json"
LANGS = ("ja", "ko", "zh-Hant")
MB = 1024 * 1024

# The message behind each code these cases meet (untranslated, as the code raises it).
MESSAGES = {
    "image_too_large": "The image is too large; the limit is {limit_mp} megapixels.",
    "image_file_too_large": "The image file is too large; the limit is {limit_mb} MB.",
    "image_invalid": "The image file is damaged or incomplete.",
    "image_unsupported": "This file is not a supported image. Upload a JPEG, PNG, WebP or GIF picture.",
    "payload_too_large": "The request is too large; the limit is {limit_mb} MB.",
    "unsupported_media_type": "This content type is not supported.",
    "validation_failed": "Some fields are not valid.",
    "bad_request": "The request could not be understood.",
    "not_found": "Not found.",
    "cursor_invalid": "This page link is not valid; start again from the first page.",
    "near_invalid": "Give a point as latitude,longitude.",
    "unsupported_locale": "Unsupported language. Choose one of: {locales}.",
    "invalid_month": "Give the month as YYYY-MM.",
    "registration_not_found": "This registration does not exist.",
    "dependant_not_found": "This child is not linked to your account.",
    "redemption_not_found": "This redemption does not exist.",
    "notification_not_found": "This notification does not exist.",
    "hours_entry_not_found": "This hours entry does not exist.",
    "incident_not_found": "This incident does not exist.",
    "incident_photo_not_found": "This incident has no such photo.",
    "event_not_found": "This event does not exist.",
    "staff_only": "Only staff accounts can do this.",
    "forbidden": "You are not allowed to do this.",
    "invite_not_found": (
        "This invitation link is not valid: it may have been used or have expired. "
        "Ask your administrator for a new one."
    ),
}
NOT_JSON = "The request body is not valid JSON."
TOO_DEEP = "The request body is nested too deeply."
# Field messages new with the input checks (their translations arrive with the catalogs).
FIELD_MESSAGES = {
    "nul_character": "Text cannot contain the NUL character.",
    "duplicate_field": "This field appears more than once.",
    "date_out_of_range": "Dates must fall between the years {min_year} and {max_year}.",
}


# --- one world per database ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Module-wide here: the world is built once per database and shared by every case."""
    return request.param


@dataclass
class World:
    client: Client
    settings: Settings
    ids: dict[str, str]
    users: dict[str, User]

    def auth(self, who: str, lang: str) -> dict[str, str]:
        headers = {"Accept-Language": lang}
        return headers if who == "anonymous" else {**headers, **factories.token_for(self.users[who])}

    def path(self, template: str) -> str:
        return template.format(**self.ids)


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _build(client: Client) -> tuple[dict[str, str], dict[str, User]]:
    """A street with an event, a team, a reward; Alice holds one of everything a resident can own."""
    tree = await factories.city_tree()
    community = tree["community_a"]
    venue = await factories.venue(community, community)
    users = {
        "organiser": await factories.staff(Role.organiser, tree["street_a"]),
        "admin": await factories.staff(Role.admin, community),
        "coordinator": await factories.staff(Role.coordinator, community),
        "alice": await factories.resident("hostile-alice"),
        "bob": await factories.resident("hostile-bob"),
    }
    event = await factories.published_event(tree["street_a"], venue)
    team = await builders.team(community)
    await builders.profile(users["alice"])
    await builders.member(team, users["alice"])
    await builders.coordinator(team, users["coordinator"])
    ids = {
        "community": str(community.id),
        "street": str(tree["street_a"].id),
        "venue": str(venue.id),
        "event": str(event.id),
        "team": str(team.id),
    }
    alice, admin = factories.token_for(users["alice"]), factories.token_for(users["admin"])
    ids["registration"] = (
        await _ok(await client.post(f"/api/v1/events/{event.id}/registrations", json={}, headers=alice))
    )["id"]
    ids["dependant"] = (
        await _ok(
            await client.post("/api/v1/me/dependants", json={"display_name": "小宝", "birth_year": 2020}, headers=alice)
        )
    )["id"]
    reward_body = {
        "community_id": ids["community"],
        "name": {"zh-Hans": "购物袋", "en": "Bag"},
        "points_cost": 10,
        "stock": 5,
    }
    ids["reward"] = (await _ok(await client.post("/api/v1/rewards", json=reward_body, headers=admin)))["id"]
    await ledger.append(
        user_id=users["alice"].id, points=100, reason=PointReason.adjustment, source_key=f"test:{uuid.uuid4()}"
    )
    ids["redemption"] = (await _ok(await client.post(f"/api/v1/rewards/{ids['reward']}/redemptions", headers=alice)))[
        "id"
    ]
    incident = {"community_id": ids["community"], "kind": "noise", "text": "楼下深夜施工"}
    ids["incident"] = (await _ok(await client.post("/api/v1/incidents", json=incident, headers=alice)))["id"]
    claim = {"minutes": 90, "service_date": builders.now().date().isoformat(), "reason": "忘记签到，队长可以证明"}
    ids["hours"] = (await _ok(await client.post(f"/api/v1/teams/{team.id}/hours", json=claim, headers=alice)))["id"]
    notice = await Notice.select(Notice.id).where(Notice.recipient == users["alice"].id).first()
    assert notice is not None  # the sign-up told Alice
    ids["notice"] = str(notice["id"])
    redemption = await Redemption.select(Redemption.pickup_code).where(Redemption.id == ids["redemption"]).first()
    ids["pickup_code"] = redemption["pickup_code"]
    ids["organiser"] = str(users["organiser"].id)
    invited = await staff_accounts.create_staff_account(
        username="hostile.invited", display_name="受邀", role=Role.organiser, organisation_id=community.id, invite=True
    )
    assert invited.invite is not None
    ids["invite"] = invited.invite.path.rsplit("/", 1)[-1]
    return ids, users


@pytest.fixture(scope="module")
async def world(
    backend: str, request: pytest.FixtureRequest, _wechat_server: Any, workdir: Path
) -> AsyncIterator[World]:
    fake, base_url = _wechat_server
    settings = make_settings(
        request.getfixturevalue(f"{backend}_url"),
        fake,
        base_url,
        workdir,
        log_level="CRITICAL",
        signup_rate_limit=100_000,  # hundreds of hostile sign-ups from one resident in one window
        reward_image_rate_limit=100_000,  # every hostile image goes to the reward endpoint too, by one admin
        redemption_rate_limit=100_000,
        poster_rate_limit=100_000,  # and dozens of hostile posters from one organiser
        incident_rate_limit=100_000,  # and reports, and photos
        incident_photo_rate_limit=100_000,
        login_rate_limit=100_000,  # and of hostile answers to one invitation link from one address
    )
    redis = None
    if backend == "postgres":
        redis = Redis.from_url(request.getfixturevalue("redis_url"))
        await redis.flushdb()
    app = build_app(settings, redis)
    try:
        async with serve_in_process(app) as client:
            await _clean(app)
            ids, users = await _build(client)
            yield World(client, settings, ids, users)
            await _clean(app)
    finally:
        if redis is not None:
            await redis.aclose()


# --- what every refusal must be -----------------------------------------------------------------


async def _fingerprint() -> dict[str, str]:
    """A hash of every row of every table, independent of row order."""
    prints = {}
    for table in all_tables():
        rows = sorted(repr(sorted(row.items())) for row in await table.select())
        prints[table._meta.tablename] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return prints


def _media_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@asynccontextmanager
async def nothing_written(world: World) -> AsyncIterator[None]:
    private = world.settings.media_root.parent / "private"  # incident photos, service records
    tables, files = await _fingerprint(), (_media_files(world.settings.media_root), _media_files(private))
    yield
    after = await _fingerprint()
    assert {name for name in tables if tables[name] != after[name]} == set()
    assert (_media_files(world.settings.media_root), _media_files(private)) == files


def assert_problem(
    response: httpx.Response, status: int, code: str, lang: str, message: str | None = None
) -> dict[str, Any]:
    """Exact status and code, problem+json, and the detail in the caller's language (not English)."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["content-language"] == lang
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, PROBLEM_TYPE_BASE + code)
    msgid = message or MESSAGES[code]
    english = msgid.format(**body.get("params", {}))
    assert body["detail"] == translations(lang).gettext(msgid).format(**body.get("params", {}))
    assert body["detail"] != english
    return body


def assert_field(body: dict[str, Any], lang: str, code: str, field: str | None = None) -> None:
    """The first field problem has this code (and field); new messages read as the catalogs say."""
    assert body["errors"], body
    first = body["errors"][0]
    assert first["code"] == code, body["errors"]
    if field is not None:
        assert first["field"] == field, body["errors"]
    if code in FIELD_MESSAGES:
        expected = translations(lang).gettext(FIELD_MESSAGES[code]).format(min_year=1900, max_year=2199)
        assert first["message"] == expected


def lang_of(index: int) -> str:
    return LANGS[index % len(LANGS)]


# --- images, to every upload endpoint --------------------------------------------------------------

UPLOADS = {
    # name: (upload path, who may upload, key of the answer, where the stored image shows)
    "event-poster": ("/api/v1/events/{event}/poster", "organiser", "poster_urls", "/api/v1/events/{event}"),
    "incident-photo": ("/api/v1/incidents/{incident}/photo", "alice", "photo_urls", "/api/v1/incidents/{incident}"),
    "reward-image": ("/api/v1/rewards/{reward}/image", "admin", "image_urls", "/api/v1/rewards/{reward}"),
}

REFUSED_IMAGES: dict[str, tuple[Callable[[], bytes], int, str]] = {
    "png-bomb-30000x30000": (corpus.bomb_png, 422, "image_too_large"),
    "gif-bomb-65535x65535": (corpus.bomb_gif, 422, "image_too_large"),
    "webp-bomb-16383x16383": (corpus.bomb_webp, 422, "image_too_large"),
    "png-text-chunk-bomb": (corpus.text_chunk_bomb, 422, "image_invalid"),
    "truncated-jpeg": (corpus.truncated_jpeg, 422, "image_invalid"),
    "truncated-png": (corpus.truncated_png, 422, "image_invalid"),
    "gif-header-then-html": (corpus.gif_header_then_html, 422, "image_invalid"),
    "html-named-jpg": (corpus.html_named_jpg, 422, "image_unsupported"),
    "svg-with-script": (corpus.svg_with_script, 422, "image_unsupported"),
    "zero-byte": (lambda: b"", 422, "image_unsupported"),
    "over-the-image-limit": (lambda: corpus.over_limit(8 * MB), 413, "image_file_too_large"),
    # refused while it streams in, before the handler: still told the image limit
    "over-the-request-limit": (lambda: corpus.over_limit(10 * MB), 413, "image_file_too_large"),
}


async def test_these_are_all_the_upload_endpoints(world: World) -> None:
    """The endpoints above are exactly those that take multipart uploads in the API document."""
    document = (await world.client.get("/schema/openapi.json")).json()
    multipart = {
        path
        for path, operations in document["paths"].items()
        for operation in operations.values()
        if isinstance(operation, dict) and "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    ours = {
        template.replace("{event}", "{event_id}")
        .replace("{incident}", "{incident_id}")
        .replace("{reward}", "{reward_id}")
        for template, *_ in UPLOADS.values()
    }
    # Not images: an estate's units as a CSV file, refused line by line (tests/places/test_api.py).
    not_images = {"/api/v1/estates/{estate_id}/units/import"}
    assert multipart == ours | not_images


async def upload(
    world: World, endpoint: str, data: bytes, lang: str, filename: str = "photo.jpg", content_type: str = "image/jpeg"
) -> httpx.Response:
    path, who, _, _ = UPLOADS[endpoint]
    return await world.client.post(
        world.path(path), files={"file": (filename, data, content_type)}, headers=world.auth(who, lang)
    )


@pytest.mark.parametrize("case", list(REFUSED_IMAGES))
@pytest.mark.parametrize("endpoint", list(UPLOADS))
async def test_hostile_images_are_refused_and_leave_nothing(world: World, endpoint: str, case: str) -> None:
    make, status, code = REFUSED_IMAGES[case]
    lang = lang_of(list(REFUSED_IMAGES).index(case) + list(UPLOADS).index(endpoint))
    async with nothing_written(world):
        response = await upload(world, endpoint, make(), lang)
        assert_problem(response, status, code, lang)


MULTIPART = b"HostileBoundary"


def _multipart(parts: list[tuple[bytes, bytes]], *, close: bool = True) -> bytes:
    body = b"".join(b"--" + MULTIPART + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n" for head, data in parts)
    return body + (b"--" + MULTIPART + b"--\r\n" if close else b"")


def _file_part(data: bytes, filename: bytes = b"a.png") -> tuple[bytes, bytes]:
    return b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\nContent-Type: image/png', data


BROKEN_FORMS: dict[str, tuple[Callable[[], bytes], str, int, str]] = {
    "five-thousand-parts": (
        lambda: _multipart(
            [(b'Content-Disposition: form-data; name="f%d"' % i, b"x") for i in range(5000)]
            + [_file_part(corpus.small_png())]
        ),
        f"multipart/form-data; boundary={MULTIPART.decode()}",
        400,
        "bad_request",
    ),
    "megabyte-part-header": (
        lambda: _multipart([_file_part(corpus.small_png(), b"a" * MB + b".png")]),
        f"multipart/form-data; boundary={MULTIPART.decode()}",
        400,
        "bad_request",
    ),
    "never-closed": (
        lambda: _multipart([_file_part(corpus.small_png())], close=False),
        f"multipart/form-data; boundary={MULTIPART.decode()}",
        400,
        "bad_request",
    ),
    "no-boundary": (lambda: _multipart([_file_part(corpus.small_png())]), "multipart/form-data", 400, "bad_request"),
    "json-instead-of-a-file": (lambda: b'{"file": "aGVsbG8="}', "application/json", 415, "unsupported_media_type"),
    "form-urlencoded-instead-of-a-file": (
        lambda: b"file=aGVsbG8%3D",
        "application/x-www-form-urlencoded",
        415,
        "unsupported_media_type",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_FORMS))
async def test_broken_upload_forms_are_refused(world: World, case: str) -> None:
    make, content_type, status, code = BROKEN_FORMS[case]
    lang = lang_of(list(BROKEN_FORMS).index(case))
    async with nothing_written(world):
        response = await world.client.post(
            world.path(UPLOADS["reward-image"][0]),
            content=make(),
            headers={**world.auth("admin", lang), "Content-Type": content_type},
        )
        assert_problem(response, status, code, lang)


PAYLOAD_MARKERS = (b"PK\x03\x04", b"<script", b"<html", b"alert(", b"Exif", b"taken at home")
ACCEPTED_IMAGES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    # name: (bytes, declared file name, declared content type)
    "png-then-zip": (corpus.png_then_zip, "poster.png", "image/png"),
    "jpeg-then-html": (corpus.jpeg_then_html, "photo.jpg", "image/jpeg"),
    "gif-javascript-polyglot": (corpus.gif_javascript, "x.gif", "application/javascript"),
    "png-declared-as-html": (corpus.small_png, "page.html", "text/html"),
    "animated-gif-300-frames": (corpus.animated_gif, "anim.gif", "image/gif"),
    "cmyk-jpeg": (corpus.cmyk_jpeg, "print.jpg", "image/jpeg"),
    "sixteen-bit-png": (corpus.sixteen_bit_png, "scan.png", "image/png"),
    "phone-photo-with-gps": (corpus.photo_with_gps, "IMG_0001.JPG", "image/jpeg"),
}


@pytest.mark.parametrize("case", list(ACCEPTED_IMAGES))
@pytest.mark.parametrize("endpoint", list(UPLOADS))
async def test_odd_images_are_stored_as_clean_renditions(world: World, endpoint: str, case: str) -> None:
    make, filename, content_type = ACCEPTED_IMAGES[case]
    response = await upload(world, endpoint, make(), "ja", filename, content_type)
    assert response.status_code == 200, response.text
    urls = response.json()[UPLOADS[endpoint][2]]
    assert urls and all(url.endswith((".webp", ".jpg")) for url in urls.values())
    shown = await world.client.get(world.path(UPLOADS[endpoint][3]), headers=world.auth(UPLOADS[endpoint][1], "en"))
    assert shown.json()[UPLOADS[endpoint][2]] == urls  # the record points at exactly these files
    for key, url in urls.items():
        if url.startswith("/media/"):  # public images; an incident's photo is private, behind its route
            assert (world.settings.media_root / url.removeprefix("/media/")).is_file()
        served = await world.client.get(url, headers=world.auth(UPLOADS[endpoint][1], "en"))
        assert served.status_code == 200 and served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-type"] == ("image/webp" if key.endswith(".webp") else "image/jpeg")
        assert not any(marker in served.content for marker in PAYLOAD_MARKERS), (key, case)
        image = Image.open(io.BytesIO(served.content))
        image.load()
        assert image.mode == "RGB" and getattr(image, "n_frames", 1) == 1
        assert not image.getexif() and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
        if case == "phone-photo-with-gps":
            assert image.height > image.width  # turned upright by its orientation tag
        if case == "cmyk-jpeg":
            red = image.getpixel((image.width // 2, image.height // 2))
            assert red[0] > 200 and red[1] < 60 and red[2] < 60
    assert corpus.has_gps(corpus.photo_with_gps())  # the upload did carry GPS


# --- JSON bodies -------------------------------------------------------------------------------------


def _soon(days: int = 5, hours: int = 0) -> str:
    return (
        datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=days, hours=hours)
    ).isoformat()


# name: (method, path, who, valid body, path to a text field inside it)
ENDPOINTS: dict[str, tuple[str, str, str, Callable[[World], dict[str, Any]], tuple[str | int, ...]]] = {
    "event-create": (
        "POST",
        "/api/v1/events",
        "organiser",
        lambda w: {
            "organisation_id": w.ids["street"],
            "venue_id": w.ids["venue"],
            "category": "lecture",
            "title": {"zh-Hans": "讲座"},
            "starts_at": _soon(),
            "ends_at": _soon(hours=2),
            "capacity": 10,
        },
        ("title", "zh-Hans"),
    ),
    "event-patch": (
        "PATCH",
        "/api/v1/events/{event}",
        "organiser",
        lambda w: {"title": {"zh-Hans": "新标题"}},
        ("title", "zh-Hans"),
    ),
    "sign-up": (
        "POST",
        "/api/v1/events/{event}/registrations",
        "bob",
        lambda w: {"party_size": 1, "share_code": "e=abc"},
        ("share_code",),
    ),
    "team-create": (
        "POST",
        "/api/v1/teams",
        "coordinator",
        lambda w: {
            "community_id": w.ids["community"],
            "kind": "patrol",
            "name": {"zh-Hans": "巡逻队"},
        },
        ("name", "zh-Hans"),
    ),
    "team-patch": (
        "PATCH",
        "/api/v1/teams/{team}",
        "coordinator",
        lambda w: {"name": {"zh-Hans": "新队名"}},
        ("name", "zh-Hans"),
    ),
    "incident-create": (
        "POST",
        "/api/v1/incidents",
        "bob",
        lambda w: {
            "community_id": w.ids["community"],
            "kind": "noise",
            "text": "楼道堆物",
        },
        ("text",),
    ),
    "incident-patch": (
        "PATCH",
        "/api/v1/incidents/{incident}",
        "coordinator",
        lambda w: {"status": "acknowledged", "note": "收到"},
        ("note",),
    ),
    "resident-profile": (
        "PUT",
        "/api/v1/me/resident-profile",
        "bob",
        lambda w: {"consent": True, "languages": ["zh"]},
        ("languages", 0),
    ),
    "reward-create": (
        "POST",
        "/api/v1/rewards",
        "admin",
        lambda w: {
            "community_id": w.ids["community"],
            "name": {"zh-Hans": "雨伞"},
            "points_cost": 5,
            "stock": 1,
        },
        ("name", "zh-Hans"),
    ),
    "reward-patch": (
        "PATCH",
        "/api/v1/rewards/{reward}",
        "admin",
        lambda w: {"name": {"zh-Hans": "新袋"}},
        ("name", "zh-Hans"),
    ),
    "point-rules": (
        "PUT",
        "/api/v1/communities/{community}/point-rules",
        "admin",
        lambda w: {
            "rules": [{"kind": "attendance", "points": 10}],
        },
        ("rules", 0, "kind"),
    ),
    "shift-create": (
        "POST",
        "/api/v1/teams/{team}/shifts",
        "coordinator",
        lambda w: {
            "title": {"zh-Hans": "夜巡"},
            "starts_at": _soon(),
            "ends_at": _soon(hours=2),
            "capacity": 5,
        },
        ("title", "zh-Hans"),
    ),
    "me": ("PATCH", "/api/v1/me", "bob", lambda w: {"display_name": "Bob"}, ("display_name",)),
    # accounts: administration and invitation links
    "organisation-create": (
        "POST",
        "/api/v1/organisations",
        "admin",
        lambda w: {"kind": "library", "parent_id": w.ids["community"], "name": {"zh-Hans": "书屋"}},
        ("name", "zh-Hans"),
    ),
    "organisation-rename": (
        "PATCH",
        "/api/v1/organisations/{community}",
        "admin",
        lambda w: {"name": {"en": "Nanyuan"}},
        ("name", "en"),
    ),
    "staff-create": (
        "POST",
        "/api/v1/staff",
        "admin",
        lambda w: {
            "username": "hostile.new",
            "display_name": "新人",
            "role": "organiser",
            "organisation_id": w.ids["community"],
            "password": "told by phone 1",
        },
        ("display_name",),
    ),
    "invite-accept": (
        "POST",
        "/api/v1/auth/invites/{invite}",
        "anonymous",
        lambda w: {"password": "a long passphrase"},
        ("password",),
    ),
}


def _with_text(body: dict[str, Any], where: tuple[str | int, ...], text: str) -> dict[str, Any]:
    changed = json.loads(json.dumps(body))
    target: Any = changed
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = text
    return changed


def _dotted(where: tuple[str | int, ...]) -> str:
    out = ""
    for step in where:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _duplicate_first_key(body: dict[str, Any]) -> bytes:
    key, value = next(iter(body.items()))
    return ("{" + json.dumps(key) + ": " + json.dumps(value) + ", " + json.dumps(body)[1:]).encode()


JSON_TYPE = "application/json"
# name: (build the request body and content type, status, code, message, field code)
GENERIC: dict[
    str, tuple[Callable[[dict[str, Any], tuple[str | int, ...]], tuple[bytes, str]], int, str, str | None, str | None]
] = {
    "over-the-request-limit": (
        lambda b, w: (corpus.huge_body(10 * MB + 1), JSON_TYPE),
        413,
        "payload_too_large",
        None,
        None,
    ),
    "nested-100000-deep": (lambda b, w: (corpus.nested(100_000), JSON_TYPE), 400, "malformed_body", TOO_DEEP, None),
    "invalid-utf8": (
        lambda b, w: (corpus.invalid_utf8(json.dumps(b, ensure_ascii=False).encode()), JSON_TYPE),
        400,
        "malformed_body",
        NOT_JSON,
        None,
    ),
    "truncated": (lambda b, w: (json.dumps(b).encode()[:-2], JSON_TYPE), 400, "malformed_body", NOT_JSON, None),
    "nan-literal": (
        lambda b, w: (json.dumps(b).encode()[:-1] + b', "n": NaN}', JSON_TYPE),
        400,
        "malformed_body",
        NOT_JSON,
        None,
    ),
    "text-plain": (lambda b, w: (json.dumps(b).encode(), "text/plain"), 415, "unsupported_media_type", None, None),
    "form-urlencoded": (
        lambda b, w: (json.dumps(b).encode(), "application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
        None,
        None,
    ),
    "duplicate-key": (
        lambda b, w: (_duplicate_first_key(b), JSON_TYPE),
        422,
        "validation_failed",
        None,
        "duplicate_field",
    ),
    "nul-in-text": (
        lambda b, w: (json.dumps(_with_text(b, w, "a\u0000b")).encode(), JSON_TYPE),
        422,
        "validation_failed",
        None,
        "nul_character",
    ),
    "megabyte-text": (
        lambda b, w: (json.dumps(_with_text(b, w, "长" * MB)).encode(), JSON_TYPE),
        422,
        "validation_failed",
        None,
        None,
    ),
    "top-level-array": (
        lambda b, w: (b"[" + json.dumps(b).encode() + b"]", JSON_TYPE),
        422,
        "validation_failed",
        None,
        "wrong_type",
    ),
}


@pytest.mark.parametrize("case", list(GENERIC))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_hostile_json_bodies_are_refused_and_change_nothing(world: World, endpoint: str, case: str) -> None:
    method, path, who, valid, text_at = ENDPOINTS[endpoint]
    build, status, code, message, field_code = GENERIC[case]
    content, content_type = build(valid(world), text_at)
    lang = lang_of(list(GENERIC).index(case) + list(ENDPOINTS).index(endpoint))
    async with nothing_written(world):
        response = await world.client.request(
            method, world.path(path), content=content, headers={**world.auth(who, lang), "Content-Type": content_type}
        )
        body = assert_problem(response, status, code, lang, message)
    if field_code is not None:
        assert_field(body, lang, field_code, _dotted(text_at) if field_code == "nul_character" else None)


def _raw(body: dict[str, Any], key: str, literal: str) -> bytes:
    """``body`` with ``key`` set to a JSON literal Python cannot write (NaN, 1e400…)."""
    marker = "__raw__"
    return json.dumps({**body, key: marker}).replace(json.dumps(marker), literal).encode()


# name: (endpoint, change to the valid body (dict to merge, or raw bytes from it), status, code, field code, field)
ABSURD: dict[str, tuple[str, Any, int, str, str | None, str | None]] = {
    "event-unknown-category": (
        "event-create",
        {"category": "rave"},
        422,
        "validation_failed",
        "invalid_choice",
        "category",
    ),
    "event-unknown-audience": (
        "event-create",
        {"audiences": ["aliens"]},
        422,
        "validation_failed",
        "invalid_choice",
        None,
    ),
    "event-unknown-locale-key": (
        "event-create",
        {"title": {"tlh": "Qapla'"}},
        422,
        "validation_failed",
        "invalid_choice",
        None,
    ),
    "event-capacity-minus-one": ("event-create", {"capacity": -1}, 422, "validation_failed", "too_small", "capacity"),
    "event-capacity-10e30": ("event-create", {"capacity": 10**30}, 422, "validation_failed", None, None),
    "event-capacity-infinity": (
        "event-create",
        lambda b: _raw(b, "capacity", "Infinity"),
        400,
        "malformed_body",
        None,
        None,
    ),
    "event-capacity-1e400": ("event-create", lambda b: _raw(b, "capacity", "1e400"), 400, "malformed_body", None, None),
    "event-capacity-fraction": ("event-create", {"capacity": 5.5}, 422, "validation_failed", "wrong_type", "capacity"),
    "event-naive-start": (
        "event-create",
        {"starts_at": "2026-12-05T14:00:00"},
        422,
        "validation_failed",
        None,
        "starts_at",
    ),
    "event-offset-plus-25h": (
        "event-create",
        {"starts_at": "2026-12-05T14:00:00+25:00"},
        422,
        "validation_failed",
        None,
        "starts_at",
    ),
    "event-ends-before-it-starts": (
        "event-create",
        lambda b: {**b, "ends_at": _soon(hours=-1)},
        422,
        "ends_before_start",
        None,
        None,
    ),
    "event-year-9999": (
        "event-create",
        {"starts_at": "9999-12-31T22:00:00-12:00", "ends_at": "9999-12-31T23:59:59-12:00"},
        422,
        "validation_failed",
        "date_out_of_range",
        "starts_at",
    ),
    "event-year-9999-in-seconds": (
        "event-create",
        {"starts_at": 253402300700, "ends_at": 253402304300},
        422,
        "validation_failed",
        "date_out_of_range",
        "starts_at",
    ),
    "event-year-9999-in-seconds-that-fit-utc": (
        "event-create",
        {"starts_at": 253402257600, "ends_at": 253402261200},
        422,
        "validation_failed",
        "date_out_of_range",
        "starts_at",
    ),
    "event-year-0001": (
        "event-create",
        {"starts_at": "0001-01-01T00:00:00+14:00", "ends_at": "0001-01-01T02:00:00+14:00"},
        422,
        "validation_failed",
        "date_out_of_range",
        "starts_at",
    ),
    "event-registration-opens-in-year-1": (
        "event-create",
        {"registration_opens_at": "0001-01-01T00:00:00+14:00"},
        422,
        "validation_failed",
        "date_out_of_range",
        "registration_opens_at",
    ),
    "event-repeats-until-9999": (
        "event-create",
        {"recurrence": {"freq": "daily", "until": "9999-12-31"}},
        422,
        "validation_failed",
        "date_out_of_range",
        "recurrence.until",
    ),
    "event-weekday-nine": (
        "event-create",
        {"recurrence": {"freq": "weekly", "weekdays": [9]}},
        422,
        "validation_failed",
        "too_large",
        None,
    ),
    "event-patch-capacity-zero": ("event-patch", {"capacity": 0}, 422, "validation_failed", "too_small", "capacity"),
    "event-patch-to-year-9999": (
        "event-patch",
        {"starts_at": "9999-12-31T23:00:00-12:00", "ends_at": "9999-12-31T23:30:00-12:00"},
        422,
        "validation_failed",
        "date_out_of_range",
        "starts_at",
    ),
    "event-patch-status": ("event-patch", {"status": "published"}, 422, "validation_failed", "unknown_field", "status"),
    "party-of-zero": ("sign-up", {"party_size": 0}, 422, "validation_failed", "too_small", "party_size"),
    "party-of-minus-three": ("sign-up", {"party_size": -3}, 422, "validation_failed", "too_small", "party_size"),
    "party-of-10e30": ("sign-up", {"party_size": 10**30}, 422, "validation_failed", None, None),
    "team-unknown-kind": ("team-create", {"kind": "ninjas"}, 422, "validation_failed", "invalid_choice", "kind"),
    "team-unknown-join-mode": (
        "team-patch",
        {"join_mode": "anyone"},
        422,
        "validation_failed",
        "invalid_choice",
        "join_mode",
    ),
    "incident-unknown-kind": (
        "incident-create",
        {"kind": "aliens"},
        422,
        "validation_failed",
        "invalid_choice",
        "kind",
    ),
    "incident-latitude-1000": (
        "incident-create",
        {"latitude": 1000, "longitude": 120.6},
        422,
        "validation_failed",
        "too_large",
        "latitude",
    ),
    "incident-latitude-minus-1e400": (
        "incident-create",
        lambda b: _raw(b, "latitude", "-1e400"),
        400,
        "malformed_body",
        None,
        None,
    ),
    "incident-ten-thousand-characters": (
        "incident-create",
        {"text": "吵" * 10_000},
        422,
        "validation_failed",
        "too_long",
        "text",
    ),
    "incident-unknown-status": (
        "incident-patch",
        {"status": "teleported"},
        422,
        "validation_failed",
        "invalid_choice",
        "status",
    ),
    "incident-unknown-party": (
        "incident-patch",
        {"status": "forwarded", "party": "mafia"},
        422,
        "validation_failed",
        "invalid_choice",
        "party",
    ),
    "profile-unknown-group": (
        "resident-profile",
        {"resident_group": "martian"},
        422,
        "validation_failed",
        "invalid_choice",
        "resident_group",
    ),
    "profile-unknown-language": (
        "resident-profile",
        {"languages": ["klingon"]},
        422,
        "validation_failed",
        "invalid_choice",
        None,
    ),
    "profile-home-latitude-1000": (
        "resident-profile",
        {"home": {"latitude": 1000, "longitude": 0}},
        422,
        "validation_failed",
        "too_large",
        "home.latitude",
    ),
    "reward-negative-cost": (
        "reward-create",
        {"points_cost": -5},
        422,
        "validation_failed",
        "too_small",
        "points_cost",
    ),
    "reward-stock-10e30": ("reward-create", {"stock": 10**30}, 422, "validation_failed", None, None),
    "reward-until-year-9999": (
        "reward-create",
        {"active_until": "9999-12-31T23:59:59-12:00"},
        422,
        "validation_failed",
        "date_out_of_range",
        "active_until",
    ),
    "reward-from-year-0001": (
        "reward-patch",
        {"active_from": "0001-01-01T00:00:00+14:00"},
        422,
        "validation_failed",
        "date_out_of_range",
        "active_from",
    ),
    "reward-naive-time": (
        "reward-patch",
        {"active_until": "2026-12-01T00:00:00"},
        422,
        "validation_failed",
        None,
        "active_until",
    ),
    "rule-unknown-kind": (
        "point-rules",
        {"rules": [{"kind": "bribery", "points": 10}]},
        422,
        "validation_failed",
        "invalid_choice",
        None,
    ),
    "rule-negative-points": (
        "point-rules",
        {"rules": [{"kind": "attendance", "points": -10}]},
        422,
        "validation_failed",
        "too_small",
        None,
    ),
    "rule-points-10e30": (
        "point-rules",
        {"rules": [{"kind": "attendance", "points": 10**30}]},
        422,
        "validation_failed",
        None,
        None,
    ),
    "shift-year-9999": (
        "shift-create",
        {"starts_at": "9999-12-31T22:00:00-12:00", "ends_at": "9999-12-31T23:00:00-12:00"},
        422,
        "validation_failed",
        "date_out_of_range",
        "starts_at",
    ),
    "shift-year-0001": (
        "shift-create",
        {"starts_at": "0001-01-01T00:00:00+14:00", "ends_at": "0001-01-01T02:00:00+14:00"},
        422,
        "validation_failed",
        "date_out_of_range",
        "starts_at",
    ),
    "shift-ends-before-it-starts": (
        "shift-create",
        lambda b: {**b, "ends_at": _soon(hours=-2)},
        422,
        "shift_ends_before_start",
        None,
        None,
    ),
    "shift-meeting-point-longitude-999": (
        "shift-create",
        {"latitude": 31.3, "longitude": 999},
        422,
        "validation_failed",
        "too_large",
        "longitude",
    ),
    "me-unknown-locale": ("me", {"locale": "tlh"}, 422, "validation_failed", "invalid_choice", "locale"),
    "me-born-in-year-0": ("me", {"birth_year": 0}, 422, "validation_failed", "too_small", "birth_year"),
    "me-ten-thousand-character-name": (
        "me",
        {"display_name": "名" * 10_000},
        422,
        "validation_failed",
        "too_long",
        "display_name",
    ),
    "organisation-unknown-kind": (
        "organisation-create",
        {"kind": "guild"},
        422,
        "validation_failed",
        "invalid_choice",
        "kind",
    ),
    "organisation-name-in-klingon": (
        "organisation-create",
        {"name": {"zh-Hans": "书屋", "tlh": "Qapla'"}},
        422,
        "validation_failed",
        "invalid_choice",
        None,
    ),
    "organisation-without-a-chinese-name": (
        "organisation-create",
        {"name": {"en": "Reading Room"}},
        422,
        "organisation_name_required",
        None,
        None,
    ),
    "organisation-name-with-a-bell": (
        "organisation-create",
        {"name": {"zh-Hans": "书\u0007屋"}},
        422,
        "organisation_name_invalid",
        None,
        None,
    ),
    "organisation-parent-a-path": (
        "organisation-create",
        {"parent_id": "../../etc/passwd"},
        422,
        "validation_failed",
        None,
        "parent_id",
    ),
    "organisation-rename-drops-the-chinese-name": (
        "organisation-rename",
        {"name": {"zh-Hans": None}},
        422,
        "organisation_name_required",
        None,
        None,
    ),
    "staff-username-with-capitals": (
        "staff-create",
        {"username": "Hostile.New"},
        422,
        "username_invalid",
        None,
        None,
    ),
    "staff-username-climbing-out": ("staff-create", {"username": "../admin"}, 422, "username_invalid", None, None),
    "staff-unknown-role": ("staff-create", {"role": "mayor"}, 422, "validation_failed", "invalid_choice", "role"),
    "staff-password-and-invite": ("staff-create", {"invite": True}, 422, "password_or_invite", None, None),
    "staff-says-it-is-not-staff": (
        "staff-create",
        {"is_staff": False},
        422,
        "validation_failed",
        "unknown_field",
        "is_staff",
    ),
    "invite-password-too-short": ("invite-accept", {"password": "short"}, 422, "password_too_short", None, None),
}


@pytest.mark.parametrize("case", list(ABSURD))
async def test_absurd_values_are_refused_and_change_nothing(world: World, case: str) -> None:
    endpoint, change, status, code, field_code, field = ABSURD[case]
    method, path, who, valid, _ = ENDPOINTS[endpoint]
    body = valid(world)
    if callable(change):
        change = change(body)
    content = change if isinstance(change, bytes) else json.dumps({**body, **change}).encode()
    lang = lang_of(list(ABSURD).index(case))
    async with nothing_written(world):
        response = await world.client.request(
            method, world.path(path), content=content, headers={**world.auth(who, lang), "Content-Type": JSON_TYPE}
        )
        message = {"malformed_body": NOT_JSON}.get(code) or MESSAGES.get(code) or DOMAIN_MESSAGES[code]
        problem = assert_problem(response, status, code, lang, message)
    if field_code is not None or field is not None:
        assert problem["errors"], problem
        if field_code is not None:
            assert_field(problem, lang, field_code, field)
        elif field is not None:
            assert problem["errors"][0]["field"] == field


DOMAIN_MESSAGES = {
    "ends_before_start": "An event must end after it starts.",
    "shift_ends_before_start": "A shift must end after it starts.",
    "organisation_name_required": "Give the organisation a name in Simplified Chinese.",
    "organisation_name_invalid": (
        "A name may hold at most {limit} characters and no control characters, in the app's languages only."
    ),
    "username_invalid": (
        "A username has {min}–{max} characters: lowercase letters, digits, dots, hyphens and underscores."
    ),
    "password_or_invite": "Give a temporary password or ask for an invitation link: one of the two.",
    "password_too_short": "The password must be at least {limit} characters long.",
}


# --- query strings and paths ---------------------------------------------------------------------------

# name: (who, method, path and query, status, code, field code)
QUERIES: dict[str, tuple[str, str, str, int, str, str | None]] = {
    "limit-minus-one": ("anonymous", "GET", "/api/v1/events?limit=-1", 422, "validation_failed", "too_small"),
    "limit-10e24": (
        "anonymous",
        "GET",
        "/api/v1/events?limit=1000000000000000000000000",
        422,
        "validation_failed",
        None,
    ),
    "offset-10e23": (
        "bob",
        "GET",
        "/api/v1/me/notifications?offset=100000000000000000000000",
        422,
        "validation_failed",
        None,
    ),
    "offset-minus-one": ("bob", "GET", "/api/v1/me/notifications?offset=-1", 422, "validation_failed", "too_small"),
    "garbage-cursor": ("anonymous", "GET", "/api/v1/events?cursor=garbage", 400, "cursor_invalid", None),
    "unknown-lang": ("anonymous", "GET", "/api/v1/events?lang=tlh", 400, "unsupported_locale", None),
    "near-garbage": ("anonymous", "GET", "/api/v1/events?near=garbage", 400, "near_invalid", None),
    "near-1000-1000": ("anonymous", "GET", "/api/v1/events?near=1000,1000", 400, "near_invalid", None),
    "near-nan": ("anonymous", "GET", "/api/v1/library-branches?near=nan,nan", 400, "near_invalid", None),
    "near-infinity": ("anonymous", "GET", "/api/v1/library-branches?near=inf,-inf", 400, "near_invalid", None),
    "negative-radius": (
        "anonymous",
        "GET",
        "/api/v1/events?near=31.29,120.63&radius_m=-5",
        422,
        "validation_failed",
        "too_small",
    ),
    "huge-q": ("anonymous", "GET", "/api/v1/events?q=" + "x" * 60_000, 422, "validation_failed", "too_long"),
    "nul-in-q": ("anonymous", "GET", "/api/v1/events?q=%00", 422, "validation_failed", "nul_character"),
    "nul-in-team-search": ("anonymous", "GET", "/api/v1/teams?q=a%00b", 422, "validation_failed", "nul_character"),
    "unknown-category": (
        "anonymous",
        "GET",
        "/api/v1/events?category=rave",
        422,
        "validation_failed",
        "invalid_choice",
    ),
    "unknown-incident-status": (
        "coordinator",
        "GET",
        "/api/v1/incidents?status=teleported",
        422,
        "validation_failed",
        "invalid_choice",
    ),
    "unknown-edit-scope": (
        "organiser",
        "PATCH",
        "/api/v1/events/{event}?scope=everything",
        422,
        "validation_failed",
        "invalid_choice",
    ),
    "events-from-year-9999": (
        "anonymous",
        "GET",
        "/api/v1/events?from=9999-12-31T23:59:59-12:00",
        422,
        "validation_failed",
        "date_out_of_range",
    ),
    "events-from-year-0001": (
        "anonymous",
        "GET",
        "/api/v1/events?from=0001-01-01T00:00:00%2B14:00",
        422,
        "validation_failed",
        "date_out_of_range",
    ),
    "events-from-year-10000-in-seconds": (
        "anonymous",
        "GET",
        "/api/v1/events?from=253402300800",
        422,
        "validation_failed",
        "date_out_of_range",
    ),
    "events-from-year-1-in-seconds": (
        "anonymous",
        "GET",
        "/api/v1/events?from=-62135596800",
        422,
        "validation_failed",
        "date_out_of_range",
    ),
    "shifts-from-year-10000-in-seconds": (
        "anonymous",
        "GET",
        "/api/v1/shifts?from=253402300800",
        422,
        "validation_failed",
        "date_out_of_range",
    ),
    "library-open-at-year-10000-in-seconds": (
        "anonymous",
        "GET",
        "/api/v1/library-branches?open_now=true&at=253402300800",
        422,
        "validation_failed",
        "date_out_of_range",
    ),
    "library-open-at-year-9999": (
        "anonymous",
        "GET",
        "/api/v1/library-branches?open_now=true&at=9999-12-31T23:59:59-12:00",
        422,
        "validation_failed",
        "date_out_of_range",
    ),
    "shifts-from-year-9999": (
        "anonymous",
        "GET",
        "/api/v1/shifts?from=9999-12-31T23:59:59-12:00",
        422,
        "validation_failed",
        "date_out_of_range",
    ),
    "hours-csv-of-december-9999": (
        "coordinator",
        "GET",
        "/api/v1/teams/{team}/hours.csv?month=9999-12",
        422,
        "invalid_month",
        None,
    ),
    "unknown-leaderboard": ("anonymous", "GET", "/api/v1/leaderboards/bribes", 422, "validation_failed", None),
    "nul-in-a-path": ("anonymous", "GET", "/api/v1/hours/records/%00", 404, "not_found", None),
    "nul-in-a-share-link": ("anonymous", "GET", "/api/v1/share-links/a%00b", 404, "not_found", None),
    # An incident's photo is named by its rendition: no path leads from there to a stored file.
    "incident-photo-by-a-path": (
        "alice",
        "GET",
        "/api/v1/incidents/{incident}/photo/..%2F..%2Flinli.sqlite",
        404,
        "not_found",
        None,
    ),
    "incident-photo-by-a-stored-name": (
        "alice",
        "GET",
        "/api/v1/incidents/{incident}/photo/incident-photos%2Fw240.webp",
        404,
        "not_found",
        None,
    ),
    "incident-photo-by-an-unknown-rendition": (
        "alice",
        "GET",
        "/api/v1/incidents/{incident}/photo/w9999.webp",
        404,
        "incident_photo_not_found",
        None,
    ),
    "incident-photo-with-nul": (
        "alice",
        "GET",
        "/api/v1/incidents/{incident}/photo/w240%00.webp",
        404,
        "not_found",
        None,
    ),
    "staff-limit-zero": ("admin", "GET", "/api/v1/staff?limit=0", 422, "validation_failed", "too_small"),
    "staff-offset-10e23": (
        "admin",
        "GET",
        "/api/v1/staff?offset=100000000000000000000000",
        422,
        "validation_failed",
        None,
    ),
    "huge-staff-search": ("admin", "GET", "/api/v1/staff?q=" + "x" * 60_000, 422, "validation_failed", "too_long"),
    "nul-in-staff-search": ("admin", "GET", "/api/v1/staff?q=a%00b", 422, "validation_failed", "nul_character"),
    "organisations-of-an-unknown-kind": (
        "admin",
        "GET",
        "/api/v1/organisations?kind=guild",
        422,
        "validation_failed",
        "invalid_choice",
    ),
    "revoke-an-unknown-role": (
        "admin",
        "DELETE",
        "/api/v1/staff/{organiser}/roles/{community}/mayor",
        422,
        "validation_failed",
        "invalid_choice",
    ),
    "nul-in-an-invite": ("anonymous", "GET", "/api/v1/auth/invites/a%00b", 404, "not_found", None),
    "huge-invite": ("anonymous", "GET", "/api/v1/auth/invites/" + "t" * 30_000, 404, "invite_not_found", None),
}


@pytest.mark.parametrize("case", list(QUERIES))
async def test_hostile_query_strings_and_paths_are_refused(world: World, case: str) -> None:
    who, method, path, status, code, field_code = QUERIES[case]
    lang = lang_of(list(QUERIES).index(case))
    body = {"capacity": 12} if method == "PATCH" else None
    async with nothing_written(world):
        response = await world.client.request(method, world.path(path), json=body, headers=world.auth(who, lang))
        problem = assert_problem(response, status, code, lang)
    if field_code is not None:
        assert_field(problem, lang, field_code)


# --- another resident's ids ----------------------------------------------------------------------------

# name: (method, path with Alice's ids, body, status, code): Bob tries each.
ALICES: dict[str, tuple[str, str, dict[str, Any] | None, int, str]] = {
    "read-her-registration": ("GET", "/api/v1/registrations/{registration}", None, 404, "registration_not_found"),
    "cancel-her-registration": ("DELETE", "/api/v1/registrations/{registration}", None, 404, "registration_not_found"),
    "her-ticket": ("GET", "/api/v1/registrations/{registration}/ticket", None, 404, "registration_not_found"),
    "her-ticket-png": ("GET", "/api/v1/registrations/{registration}/ticket.png", None, 404, "registration_not_found"),
    "remove-her-child": ("DELETE", "/api/v1/me/dependants/{dependant}", None, 404, "dependant_not_found"),
    "cancel-her-redemption": ("DELETE", "/api/v1/redemptions/{redemption}", None, 404, "redemption_not_found"),
    "cancel-her-pickup-code": ("POST", "/api/v1/redemptions/{pickup_code}/cancel", None, 403, "staff_only"),
    "collect-with-her-pickup-code": ("POST", "/api/v1/redemptions/{pickup_code}/fulfil", None, 403, "staff_only"),
    "read-her-notification": ("POST", "/api/v1/me/notifications/{notice}/read", None, 404, "notification_not_found"),
    "verify-her-hours": ("POST", "/api/v1/hours/{hours}/verify", None, 404, "hours_entry_not_found"),
    "reject-her-hours": ("POST", "/api/v1/hours/{hours}/reject", {"note": "不对不对"}, 404, "hours_entry_not_found"),
    "correct-her-hours": (
        "POST",
        "/api/v1/hours/{hours}/corrections",
        {"minutes": 60, "reason": "多算一点"},
        404,
        "hours_entry_not_found",
    ),
    "verify-her-hours-in-bulk": (
        "POST",
        "/api/v1/teams/{team}/hours/verify",
        {"entry_ids": ["{hours}"]},
        403,
        "forbidden",
    ),
    "read-her-incident": ("GET", "/api/v1/incidents/{incident}", None, 404, "incident_not_found"),
    "close-her-incident": ("PATCH", "/api/v1/incidents/{incident}", {"status": "resolved"}, 404, "incident_not_found"),
    "photo-on-her-incident": ("POST", "/api/v1/incidents/{incident}/photo", None, 404, "incident_not_found"),
    "her-incidents-photo": ("GET", "/api/v1/incidents/{incident}/photo/w240.webp", None, 404, "incident_not_found"),
    "list-her-events-sign-ups": ("GET", "/api/v1/events/{event}/registrations", None, 404, "event_not_found"),
}


def _filled(world: World, value: Any) -> Any:
    if isinstance(value, str):
        return world.path(value)
    if isinstance(value, dict):
        return {key: _filled(world, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(world, item) for item in value]
    return value


@pytest.mark.parametrize("case", list(ALICES))
async def test_another_residents_ids_find_nothing_and_change_nothing(world: World, case: str) -> None:
    method, path, body, status, code = ALICES[case]
    lang = lang_of(list(ALICES).index(case))
    kwargs: dict[str, Any] = {"json": _filled(world, body)} if body else {}
    if path.endswith("/photo"):
        kwargs = {"files": {"file": ("p.png", corpus.small_png(), "image/png")}}
    async with nothing_written(world):
        response = await world.client.request(method, world.path(path), headers=world.auth("bob", lang), **kwargs)
        assert_problem(response, status, code, lang)


async def test_an_occurrence_changed_without_a_scope_changes_alone(world: World) -> None:
    """``scope`` is a name Litestar keeps for the ASGI scope: read as the parameter, any value
    (none, ``this``, ``everything``) edited or cancelled the whole rest of the series."""
    organiser = world.auth("organiser", "en")
    body = {**ENDPOINTS["event-create"][3](world), "recurrence": {"freq": "daily", "count": 3}}
    first, second, third = (await _ok(await world.client.post("/api/v1/events", json=body, headers=organiser)))[
        "events"
    ]
    edited = await world.client.patch(f"/api/v1/events/{first['id']}", json={"capacity": 12}, headers=organiser)
    assert [e["id"] for e in (await _ok(edited))] == [first["id"]]
    cancelled = await world.client.post(f"/api/v1/events/{second['id']}/cancel?scope=this", headers=organiser)
    assert [e["id"] for e in (await _ok(cancelled))] == [second["id"]]
    later = await world.client.get(f"/api/v1/events/{third['id']}", headers=organiser)
    assert ((await _ok(later))["capacity"], (await _ok(later))["status"]) == (10, "draft")
