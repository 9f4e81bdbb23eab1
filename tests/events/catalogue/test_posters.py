"""Posters over HTTP: upload, renditions served from /media, who may upload, hostile files."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image
from redis.asyncio import Redis

from backend.accounts.tables import Role
from backend.core import jobs
from backend.events.catalogue.tables import Event
from backend.settings import Settings
from tests import factories
from tests.conftest import build_app, serve_in_process
from tests.core.test_images import encoded, gif_bomb, jpeg_with_gps, png_bomb

Client = httpx.AsyncClient
PROBLEM = "application/problem+json"
CACHE_FOREVER = "public, max-age=31536000, immutable"


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
async def org(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    outsider = await factories.staff(Role.organiser, tree["street_b"])
    event = await factories.published_event(tree["street_a"], venue)
    return {
        "tree": tree,
        "venue": venue,
        "event": event,
        "organiser": organiser,
        "outsider": outsider,
        "auth": factories.token_for(organiser),
    }


async def upload(
    client: Client,
    event_id: uuid.UUID,
    data: bytes,
    headers: dict[str, str] | None = None,
    filename: str = "poster.jpg",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id}/poster", files={"file": (filename, data, content_type)}, headers=headers or {}
    )


async def stored_poster(event_id: uuid.UUID) -> dict[str, str]:
    row = await Event.select(Event.poster).where(Event.id == event_id).output(load_json=True).first()
    assert row is not None
    return row["poster"]


def unique_photo(size: tuple[int, int] = (1600, 1000)) -> bytes:
    """A photo with GPS whose bytes no other test uploads (the media folder is shared)."""
    image = Image.effect_noise(size, 40).convert("RGB")
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 17.0, 40.0)
    exif[ExifTags.Base.ImageDescription] = uuid.uuid4().hex
    return encoded(image, "JPEG", exif=exif, quality=85)


# --- uploading and serving ------------------------------------------------------------------------


async def test_the_organiser_uploads_and_every_rendition_is_served_forever(
    client: Client, org: dict[str, Any], settings: Settings
) -> None:
    response = await upload(client, org["event"].id, jpeg_with_gps(), org["auth"])
    assert response.status_code == 200, response.text
    urls = response.json()["poster_urls"]
    assert set(urls) == {"w240.webp", "w240.jpg", "w480.webp", "w480.jpg", "w800.webp", "w800.jpg"}
    for key, url in urls.items():
        assert url.startswith("/media/posters/") and url.endswith("-" + key)
        served = await client.get(url)
        assert served.status_code == 200, url
        assert served.headers["cache-control"] == CACHE_FOREVER
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-type"] == ("image/webp" if key.endswith(".webp") else "image/jpeg")
        image = Image.open(io.BytesIO(served.content))
        image.load()
        assert image.format == ("WEBP" if key.endswith(".webp") else "JPEG")
        assert image.width == int(key[1:].split(".")[0]) and image.height > image.width  # upright portrait
        assert not image.getexif() and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    stored = await stored_poster(org["event"].id)
    assert {key: f"/media/{path}" for key, path in stored.items()} == urls
    assert all((settings.media_root / path).is_file() for path in stored.values())


async def test_a_new_poster_replaces_the_old_and_the_same_image_is_stored_once(
    client: Client, org: dict[str, Any], settings: Settings
) -> None:
    photo = unique_photo()
    first = (await upload(client, org["event"].id, photo, org["auth"])).json()["poster_urls"]
    other_event = await factories.published_event(org["tree"]["street_a"], org["venue"])
    again = (await upload(client, other_event.id, photo, org["auth"])).json()["poster_urls"]
    assert again == first  # same content, same names: one set of files for both events
    await jobs.drain()  # and the wider renditions, made once for both
    whole = await stored_poster(org["event"].id)
    assert whole == await stored_poster(other_event.id) and len(whole) == len(first) + 2
    digest = first["w240.webp"].split("/")[-1].split("-")[0]
    assert len(list((settings.media_root / "posters").glob(f"{digest}-*"))) == len(whole)
    replaced = await upload(
        client,
        org["event"].id,
        encoded(Image.new("RGB", (300, 200), (9, 9, 9)), "PNG"),
        org["auth"],
        "x.png",
        "image/png",
    )
    assert set(replaced.json()["poster_urls"]) == {"w240.webp", "w240.jpg", "w300.webp", "w300.jpg"}
    assert set((await stored_poster(org["event"].id)).keys()) == {"w240.webp", "w240.jpg", "w300.webp", "w300.jpg"}


async def test_the_type_comes_from_the_content_not_the_name(client: Client, org: dict[str, Any]) -> None:
    png = encoded(Image.new("RGB", (500, 400), (0, 128, 0)), "PNG")
    response = await upload(
        client, org["event"].id, png, org["auth"], filename="poster.exe", content_type="application/x-msdownload"
    )
    assert response.status_code == 200, response.text
    served = await client.get(response.json()["poster_urls"]["w500.jpg"])
    assert Image.open(io.BytesIO(served.content)).format == "JPEG"


async def test_the_event_list_and_detail_carry_the_poster(client: Client, org: dict[str, Any]) -> None:
    event_id = org["event"].id
    assert (await client.get(f"/api/v1/events/{event_id}")).json()["poster_urls"] == {}  # cached before the upload
    urls = (await upload(client, event_id, jpeg_with_gps(), org["auth"])).json()["poster_urls"]
    detail = (await client.get(f"/api/v1/events/{event_id}")).json()
    assert detail["poster_urls"] == urls
    [item] = [i for i in (await client.get("/api/v1/events")).json()["items"] if i["id"] == str(event_id)]
    assert item["poster_urls"] == urls


async def test_a_cancelled_event_keeps_its_poster(client: Client, org: dict[str, Any]) -> None:
    cancelled = await client.post(f"/api/v1/events/{org['event'].id}/cancel", headers=org["auth"])
    assert cancelled.status_code == 200, cancelled.text
    response = await upload(client, org["event"].id, jpeg_with_gps(), org["auth"])
    assert response.status_code == 409 and response.json()["code"] == "event_closed"


# --- who may upload -------------------------------------------------------------------------------


async def test_only_the_events_organisers_may_upload(client: Client, org: dict[str, Any]) -> None:
    photo = jpeg_with_gps()
    outsider = await upload(client, org["event"].id, photo, factories.token_for(org["outsider"]))
    assert outsider.status_code == 404 and outsider.json()["code"] == "event_not_found"
    resident = await upload(client, org["event"].id, photo, factories.token_for(await factories.resident()))
    assert resident.status_code == 404 and resident.json()["code"] == "event_not_found"
    anonymous = await upload(client, org["event"].id, photo)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"].startswith(PROBLEM)
    missing = await upload(client, uuid.uuid4(), photo, org["auth"])
    assert missing.status_code == 404 and missing.json()["code"] == "event_not_found"
    assert await stored_poster(org["event"].id) == {}


async def test_an_organiser_higher_up_may_upload(client: Client, org: dict[str, Any]) -> None:
    district = await factories.staff(Role.organiser, org["tree"]["district_a"])
    response = await upload(client, org["event"].id, jpeg_with_gps(), factories.token_for(district))
    assert response.status_code == 200, response.text


# --- hostile files ---------------------------------------------------------------------------------

HOSTILE = {
    "png-bomb": (png_bomb, 422, "image_too_large"),
    "gif-bomb": (gif_bomb, 422, "image_too_large"),
    "truncated-jpeg": (lambda: jpeg_with_gps()[:3000], 422, "image_invalid"),
    "text-named-jpg": (lambda: b"Dear residents, the poster is attached.\n" * 50, 422, "image_unsupported"),
    "gif-html-polyglot": (lambda: b"GIF89a<html><script>alert(1)</script></html>", 422, "image_invalid"),
    "svg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        422,
        "image_unsupported",
    ),
    "empty": (lambda: b"", 422, "image_unsupported"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_files_are_refused_cleanly_and_change_nothing(
    client: Client, org: dict[str, Any], name: str
) -> None:
    first = await upload(client, org["event"].id, jpeg_with_gps(), org["auth"])
    before = await stored_poster(org["event"].id)
    make, status, code = HOSTILE[name]
    response = await upload(client, org["event"].id, make(), {**org["auth"], "Accept-Language": "en"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["code"] == code and problem["status"] == status and problem["detail"]
    assert await stored_poster(org["event"].id) == before
    assert (await client.get(first.json()["poster_urls"]["w240.jpg"])).status_code == 200


async def test_refusals_speak_the_callers_language(client: Client, org: dict[str, Any]) -> None:
    for data in (gif_bomb(), b"not an image at all", jpeg_with_gps()[:3000]):
        english = await upload(client, org["event"].id, data, {**org["auth"], "Accept-Language": "en"})
        japanese = await upload(client, org["event"].id, data, {**org["auth"], "Accept-Language": "ja"})
        assert japanese.status_code == english.status_code == 422
        assert japanese.headers["content-language"] == "ja"
        assert japanese.json()["code"] == english.json()["code"]
        assert japanese.json()["detail"] != english.json()["detail"]


async def test_refusals_carry_the_callers_locale(client: Client, org: dict[str, Any]) -> None:
    response = await upload(client, org["event"].id, b"not an image", {**org["auth"], "Accept-Language": "ja"})
    assert response.status_code == 422 and response.headers["content-language"] == "ja"
    missing = await client.post(
        f"/api/v1/events/{org['event'].id}/poster",
        files={"photo": ("a.jpg", jpeg_with_gps(), "image/jpeg")},
        headers={**org["auth"], "Accept-Language": "ja"},
    )
    english = await client.post(
        f"/api/v1/events/{org['event'].id}/poster",
        files={"photo": ("a.jpg", jpeg_with_gps(), "image/jpeg")},
        headers={**org["auth"], "Accept-Language": "en"},
    )
    assert missing.status_code == 422 and missing.json()["code"] == "validation_failed"
    assert missing.json()["errors"][0]["field"] == "file"
    assert missing.json()["detail"] != english.json()["detail"]


async def test_a_file_over_the_image_limit_is_413(client: Client, org: dict[str, Any]) -> None:
    # Under the 10 MB request limit, over the 8 MB image limit: the pipeline's own answer.
    big = b"\xff\xd8\xff" + b"\0" * (9 * 1024 * 1024)
    response = await upload(client, org["event"].id, big, org["auth"])
    assert response.status_code == 413 and response.json()["code"] == "image_file_too_large"
    assert response.json()["params"] == {"limit_mb": 8}
    # Over the request limit: refused while the body streams in, before the handler runs, and
    # still told the image limit (not a request limit it could not act on).
    huge = await upload(client, org["event"].id, b"\0" * (11 * 1024 * 1024), org["auth"])
    assert huge.status_code == 413 and huge.json()["code"] == "image_file_too_large"
    assert huge.json()["params"] == {"limit_mb": 8}
    assert await stored_poster(org["event"].id) == {}


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"json": {"file": "aGVsbG8="}},
        {"data": {"file": "hello"}},
        {"files": {"file": (None, b"hello")}},
        {"files": [("file", ("a.jpg", b"a", "image/jpeg")), ("file", ("b.jpg", b"b", "image/jpeg"))]},
        {"content": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
        {},
    ],
    ids=["json", "form-urlencoded", "text-field", "two-files", "broken-multipart", "no-body"],
)
async def test_malformed_uploads_are_4xx_problems(
    client: Client, org: dict[str, Any], request_kwargs: dict[str, Any]
) -> None:
    kwargs = dict(request_kwargs)
    headers = {**org["auth"], **kwargs.pop("headers", {})}
    response = await client.post(f"/api/v1/events/{org['event'].id}/poster", headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert await stored_poster(org["event"].id) == {}


# --- /media is a closed room -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/media/../../etc/passwd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/posters/..%2F..%2Fsecret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/%2Fetc%2Fpasswd",
        "/media//etc/passwd",
        "/media/posters/a%00.webp",
        "/media/posters/",
        "/media/posters/does-not-exist.webp",
    ],
)
async def test_media_never_serves_what_lies_outside_its_root(client: Client, settings: Settings, path: str) -> None:
    (settings.media_root.parent / "secret.txt").write_text("secret")
    (settings.media_root / "posters").mkdir(parents=True, exist_ok=True)
    response = await client.get(path)
    assert response.status_code == 404, (path, response.text)
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "secret" not in response.text and "root:" not in response.text


async def test_files_in_flight_are_not_served(client: Client, settings: Settings) -> None:
    folder: Path = settings.media_root / "posters"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".tmp-abc123").write_bytes(b"half a file")
    assert (await client.get("/media/posters/.tmp-abc123")).status_code == 404


async def test_the_upload_is_in_the_api_document(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    operation = document["paths"]["/api/v1/events/{event_id}/poster"]["post"]
    assert operation["operationId"] == "upload_poster"
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"401", "404", "413", "422"} <= set(operation["responses"])


async def test_uploads_are_limited_per_account(
    client: Client, org: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    async with serve_in_process(build_app(settings, shared_redis, poster_rate_limit=2)) as limited:
        answers = [
            (await upload(limited, org["event"].id, unique_photo((300, 200)), org["auth"])).status_code
            for _ in range(3)
        ]
        assert answers == [200, 200, 429]
        refused = await upload(limited, org["event"].id, unique_photo((300, 200)), org["auth"])
        assert (refused.json()["code"], bool(refused.headers["retry-after"])) == ("rate_limited", True)
    document = (await client.get("/schema/openapi.json")).json()
    assert "429" in document["paths"]["/api/v1/events/{event_id}/poster"]["post"]["responses"]


async def test_a_poster_can_be_removed(client: Client, org: dict[str, Any]) -> None:
    assert (await upload(client, org["event"].id, unique_photo((300, 200)), org["auth"])).status_code == 200
    outsider = factories.token_for(org["outsider"])
    assert (await client.delete(f"/api/v1/events/{org['event'].id}/poster", headers=outsider)).status_code == 404
    assert await stored_poster(org["event"].id)
    removed = await client.delete(f"/api/v1/events/{org['event'].id}/poster", headers=org["auth"])
    assert removed.status_code == 204
    assert await stored_poster(org["event"].id) == {}
    assert (await client.get(f"/api/v1/events/{org['event'].id}")).json()["poster_urls"] == {}
