"""A big poster over HTTP on both databases: the renditions a page needs in the answer, the wider
ones made by the job ``events.poster_renditions`` (idempotent, made again after a crash, never
over a newer poster), links that work before and after, and an upload that leaves the event loop
free for other requests."""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import struct
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from litestar import Litestar
from PIL import ExifTags, Image

from backend.accounts.tables import Role
from backend.core import images, jobs
from backend.core.tables import AuditEntry
from backend.events.catalogue import posters
from backend.events.catalogue.tables import Event
from backend.settings import Settings
from tests import factories
from tests.core.test_images import encoded

Client = httpx.AsyncClient
POSTER_URL = re.compile(r"/media/posters/[0-9a-f]{16}-w\d+\.(?:webp|jpg)")
FIRST = {f"w{width}.{ext}" for width in (240, 480, 960) for ext in ("webp", "jpg")}
LATER = ["w1440.webp", "w1440.jpg"]
BLUE, WHITE = (0, 0, 255), (255, 255, 255)


# --- images as a phone or an editor sends them -----------------------------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)


def swapped_profile() -> bytes:
    """An ICC profile (v2, matrix and linear curves) whose red is sRGB's blue and whose blue is
    sRGB's red: pixels stored as pure red are blue once converted to sRGB, so the conversion
    shows in the output; a rendition that kept the raw pixels would be red."""
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    text = b"swapped RGB\0"
    description = b"desc" + b"\0" * 4 + struct.pack(">I", len(text)) + text + b"\0" * 11 + b"\0" * 67
    curve = b"curv" + b"\0" * 4 + struct.pack(">I", 0)
    tags = [
        (b"desc", description),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(*blue)),
        (b"gXYZ", _xyz(*green)),
        (b"bXYZ", _xyz(*red)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", offset + len(body))
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + body


def phone_photo(size: tuple[int, int] = (2400, 1600)) -> bytes:
    """A big JPEG as a phone stores it: sideways (EXIF orientation 6), in a colour profile of its
    own. The stored left half is pure red in that profile (blue in sRGB), the right half white;
    shown upright, the blue half is on top. A random comment keeps its bytes unique."""
    image = Image.new("RGB", size, WHITE)
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.ImageDescription] = uuid.uuid4().hex
    return encoded(image, "JPEG", exif=exif, icc_profile=swapped_profile(), quality=90)


def transparent_png(size: tuple[int, int] = (2000, 1500)) -> bytes:
    """A PNG with alpha: the top half transparent, the bottom opaque blue (unique per call)."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, size[1] // 2, size[0], size[1]))
    image.putpixel((0, 0), (uuid.uuid4().int % 255, 0, 0, 0))
    return encoded(image, "PNG")


def webp_picture(size: tuple[int, int] = (2000, 1500)) -> bytes:
    """A WebP: the top half white, the bottom blue (lossless, unique per call)."""
    image = Image.new("RGB", size, WHITE)
    image.paste(BLUE, (0, size[1] // 2, size[0], size[1]))
    image.putpixel((0, 0), (255, 255, uuid.uuid4().int % 255))
    return encoded(image, "WEBP", lossless=True)


# --- jobs the test runs when it chooses -----------------------------------------------------------------


@dataclass
class HeldJobs:
    """A job runner that keeps what is queued until the test runs it (or loses it)."""

    queued: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refuse: bool = False  # as Redis away: enqueueing raises

    async def enqueue(self, name: str, *, key: str | None, run_at: Any, kwargs: dict[str, Any]) -> bool:
        if self.refuse:
            raise ConnectionError("the queue is away")
        self.queued.append((name, kwargs))
        return True

    async def drain(self) -> None:
        return None

    async def run(self) -> list[Any]:
        """Run what is queued, in order; the outcomes."""
        done = []
        while self.queued:
            name, kwargs = self.queued.pop(0)
            done.append(await jobs_of(name)(**kwargs))
        return done


def jobs_of(name: str) -> Any:
    from backend.core import runtime

    return runtime.current().job(name).function


@pytest.fixture
async def held(client: Client, app: Litestar) -> AsyncIterator[HeldJobs]:
    current = app.state.runtime
    runner = HeldJobs()
    previous, current.runner = current.runner, runner
    try:
        yield runner
    finally:
        current.runner = previous


@pytest.fixture
async def org(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    event = await factories.published_event(tree["street_a"], venue)
    return {"tree": tree, "venue": venue, "event": event, "auth": factories.token_for(organiser)}


async def upload(
    client: Client, event_id: uuid.UUID, data: bytes, auth: dict[str, str], **headers: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id}/poster", files={"file": ("poster", data, "image/jpeg")}, headers={**auth, **headers}
    )


async def stored_poster(event_id: uuid.UUID) -> dict[str, str]:
    row = await Event.select(Event.poster).where(Event.id == event_id).output(load_json=True).first()
    assert row is not None
    return dict(row["poster"])


async def fetched(client: Client, url: str) -> Image.Image:
    served = await client.get(url)
    assert served.status_code == 200, url
    image = Image.open(io.BytesIO(served.content))
    image.load()
    return image


async def linked_from_pages(client: Client, event_id: uuid.UUID) -> set[str]:
    """Every poster URL the public page (both languages) and the API answer link to; each must
    answer with an image."""
    urls: set[str] = set()
    for lang in ("zh-Hans", "en"):
        page = await client.get(f"/events/{event_id}?lang={lang}")
        assert page.status_code == 200
        urls |= set(POSTER_URL.findall(page.text))
    urls |= set((await client.get(f"/api/v1/events/{event_id}")).json()["poster_urls"].values())
    for url in urls:
        assert (await client.get(url)).status_code == 200, url
    return urls


@pytest.fixture(autouse=True)
def no_sources_left(settings: Settings) -> None:
    """Originals other tests' uploads left waiting for a job they never ran are not this test's."""
    shutil.rmtree(posters.sources_store(settings).root / posters.SOURCES_FOLDER, ignore_errors=True)


def sources_of(settings: Settings) -> list[Path]:
    folder = posters.sources_store(settings).root / posters.SOURCES_FOLDER
    return sorted(folder.iterdir()) if folder.is_dir() else []


# --- the answer and the job --------------------------------------------------------------------------


async def test_a_big_photo_answers_with_what_pages_need_and_the_job_makes_the_rest(
    client: Client, org: dict[str, Any], held: HeldJobs, settings: Settings
) -> None:
    event_id = org["event"].id
    response = await upload(client, event_id, phone_photo(), org["auth"])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer["poster_urls"]) == FIRST and answer["coming"] == LATER
    for key, url in answer["poster_urls"].items():
        image = await fetched(client, url)
        width = int(key[1:].split(".")[0])
        assert image.size == (width, width * 3 // 2)  # upright: the phone held it portrait
        assert not image.info.get("icc_profile") and not image.getexif()
        top, bottom = image.convert("RGB").getpixel((width // 2, width // 4)), image.getpixel((width // 2, width))
        assert all(abs(a - b) <= 12 for a, b in zip(top, BLUE, strict=True)), (key, top)  # sRGB, not red
        assert all(abs(a - b) <= 12 for a, b in zip(bottom, WHITE, strict=True)), (key, bottom)
    # Before the job: every link of the pages and the API works, and none names a width not made.
    before = await linked_from_pages(client, event_id)
    assert not any("w1440" in url for url in before)
    assert len(sources_of(settings)) == 1
    audited = await AuditEntry.count().where(AuditEntry.object_id == str(event_id))

    assert await held.run() == ["made"]
    answer_after = (await client.get(f"/api/v1/events/{event_id}")).json()["poster_urls"]
    assert set(answer_after) == FIRST | set(LATER)
    assert {k: v for k, v in answer_after.items() if k in FIRST} == answer["poster_urls"]
    for key in LATER:
        image = await fetched(client, answer_after[key])
        assert image.size == (1440, 2160) and image.format == ("WEBP" if key.endswith("webp") else "JPEG")
        top = image.convert("RGB").getpixel((720, 360))
        assert all(abs(a - b) <= 12 for a, b in zip(top, BLUE, strict=True)), (key, top)
    after = await linked_from_pages(client, event_id)  # the cached page was refreshed too
    assert before < after and any("w1440" in url for url in after)
    assert sources_of(settings) == []  # the original (with its EXIF) is gone
    # Sizes of the same picture: no change of anyone's, no second audit entry.
    assert await AuditEntry.count().where(AuditEntry.object_id == str(event_id)) == audited


async def test_the_in_process_runner_makes_the_rest(client: Client, org: dict[str, Any], app: Litestar) -> None:
    """The embedded default (no Redis): the app's own runner takes the job after the answer."""
    current = app.state.runtime
    runner = jobs.ProcessRunner(current.jobs)
    previous, current.runner = current.runner, runner
    try:
        response = await upload(client, org["event"].id, phone_photo(), org["auth"])
        assert response.status_code == 200 and response.json()["coming"] == LATER
        await runner.drain()
    finally:
        current.runner = previous
    assert set(await stored_poster(org["event"].id)) == FIRST | set(LATER)


@pytest.mark.parametrize("make", [transparent_png, webp_picture], ids=["png-alpha", "webp"])
async def test_png_and_webp_make_the_same_renditions_on_white(
    client: Client, org: dict[str, Any], held: HeldJobs, make: Any
) -> None:
    response = await upload(client, org["event"].id, make(), org["auth"])
    assert response.status_code == 200, response.text
    assert set(response.json()["poster_urls"]) == FIRST and response.json()["coming"] == LATER
    assert await held.run() == ["made"]
    poster = (await client.get(f"/api/v1/events/{org['event'].id}")).json()["poster_urls"]
    for key, url in poster.items():
        image = (await fetched(client, url)).convert("RGB")
        width = int(key[1:].split(".")[0])
        assert image.size == (width, width * 3 // 4)
        top, bottom = image.getpixel((width // 2, width // 8)), image.getpixel((width // 2, width * 5 // 8))
        assert all(abs(a - b) <= 12 for a, b in zip(top, WHITE, strict=True)), (key, top)
        assert all(abs(a - b) <= 12 for a, b in zip(bottom, BLUE, strict=True)), (key, bottom)


async def test_a_small_poster_is_made_whole_in_the_request(client: Client, org: dict[str, Any], held: HeldJobs) -> None:
    response = await upload(client, org["event"].id, phone_photo((900, 600)), org["auth"])
    assert response.status_code == 200
    assert set(response.json()["poster_urls"]) == {
        "w240.webp",
        "w240.jpg",
        "w480.webp",
        "w480.jpg",
        "w600.webp",
        "w600.jpg",
    }
    assert response.json()["coming"] == [] and held.queued == []


async def test_the_job_run_twice_makes_the_same_files(
    client: Client, org: dict[str, Any], held: HeldJobs, settings: Settings
) -> None:
    await upload(client, org["event"].id, phone_photo(), org["auth"])
    queued = list(held.queued)
    [source] = sources_of(settings)
    original = source.read_bytes()
    assert await held.run() == ["made"]
    poster = await stored_poster(org["event"].id)
    files = {key: (settings.media_root / path) for key, path in poster.items()}
    first_run = {key: (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino) for key, path in files.items()}
    # A crash after the poster was completed but before the original was deleted: run it again.
    source.write_bytes(original)
    held.queued = list(queued)
    assert await held.run() == ["done before"]
    assert await stored_poster(org["event"].id) == poster
    second_run = {key: (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino) for key, path in files.items()}
    assert second_run == first_run  # the same files, not even rewritten
    held.queued = list(queued)
    assert await held.run() == ["gone"]  # and once the original is gone, nothing to do


async def test_a_job_lost_to_a_crash_is_queued_again_by_the_chore(
    client: Client, org: dict[str, Any], held: HeldJobs, settings: Settings, app: Litestar
) -> None:
    held.refuse = True  # the job never reaches the queue (Redis away, or the process died)
    response = await upload(client, org["event"].id, phone_photo(), org["auth"])
    assert response.status_code == 200 and response.json()["coming"] == LATER
    assert set(await stored_poster(org["event"].id)) == FIRST
    held.refuse = False
    chore = app.state.runtime.job("chore.poster_renditions").function
    assert await chore() == 0  # a young original: its job is most likely still on its way
    [source] = sources_of(settings)
    aged = source.stat().st_mtime - 2 * posters.SWEEP_AFTER_SECONDS
    os.utime(source, (aged, aged))
    assert await chore() == 1
    assert await held.run() == ["made"]
    assert set(await stored_poster(org["event"].id)) == FIRST | set(LATER)
    assert sources_of(settings) == [] and await chore() == 0


async def test_housekeeping_makes_what_waits_itself(
    client: Client, org: dict[str, Any], held: HeldJobs, settings: Settings, app: Litestar
) -> None:
    """``linli housekeeping`` runs the chores once with no queue at all: the chore makes the
    renditions there and then."""
    await upload(client, org["event"].id, phone_photo(), org["auth"])
    held.queued.clear()  # lost
    [source] = sources_of(settings)
    aged = source.stat().st_mtime - 2 * posters.SWEEP_AFTER_SECONDS
    os.utime(source, (aged, aged))
    current = app.state.runtime
    current.runner = None
    try:
        assert await current.job("chore.poster_renditions").function() == 1
    finally:
        current.runner = held
    assert set(await stored_poster(org["event"].id)) == FIRST | set(LATER)
    assert sources_of(settings) == [] and held.queued == []


async def test_a_newer_poster_wins_over_a_late_job(
    client: Client, org: dict[str, Any], held: HeldJobs, settings: Settings
) -> None:
    event_id = org["event"].id
    await upload(client, event_id, phone_photo(), org["auth"])
    late = held.queued.pop()
    newer = (await upload(client, event_id, webp_picture(), org["auth"])).json()["poster_urls"]
    held.queued.insert(0, late)
    assert await held.run() == ["replaced", "made"]
    poster = await stored_poster(event_id)
    assert set(poster) == FIRST | set(LATER)
    assert {k: f"/media/{v}" for k, v in poster.items() if k in FIRST} == newer
    assert posters.poster_digest(poster) == newer["w240.jpg"].split("/")[-1].split("-")[0]
    assert sources_of(settings) == []  # the older original was deleted too


async def test_an_upload_between_the_jobs_look_and_its_write_wins(
    client: Client, org: dict[str, Any], held: HeldJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job looks at the event before its slow part and writes after: an upload in between
    must win, so the write looks again while it holds the row."""
    event_id = org["event"].id
    await upload(client, event_id, phone_photo(), org["auth"])
    job = held.queued.pop()
    newer: dict[str, str] = {}
    add = posters._add

    async def upload_first(*args: Any) -> str:
        if not newer:  # once: the newer poster's own job adds as usual
            response = await upload(client, event_id, webp_picture(), org["auth"])
            newer.update(response.json()["poster_urls"])
        return await add(*args)

    monkeypatch.setattr(posters, "_add", upload_first)
    held.queued.insert(0, job)
    assert await held.run() == ["replaced", "made"]  # the older job's write refused; the newer's job done
    poster = await stored_poster(event_id)
    assert {k: f"/media/{v}" for k, v in poster.items() if k in FIRST} == newer
    assert posters.poster_digest(poster) == newer["w240.jpg"].split("/")[-1].split("-")[0]


async def test_a_removed_poster_stays_removed(client: Client, org: dict[str, Any], held: HeldJobs) -> None:
    await upload(client, org["event"].id, phone_photo(), org["auth"])
    assert (await client.delete(f"/api/v1/events/{org['event'].id}/poster", headers=org["auth"])).status_code == 204
    assert await held.run() == ["replaced"]
    assert await stored_poster(org["event"].id) == {}


async def test_a_refused_upload_keeps_nothing_and_speaks_the_readers_language(
    client: Client, org: dict[str, Any], held: HeldJobs, settings: Settings
) -> None:
    photo = phone_photo()
    for data in (photo[: len(photo) // 2], b"GIF89a" + b"\0" * 64, b"<html>not a picture</html>"):
        chinese = await upload(client, org["event"].id, data, org["auth"], **{"Accept-Language": "zh-Hans"})
        english = await upload(client, org["event"].id, data, org["auth"], **{"Accept-Language": "en"})
        assert chinese.status_code == english.status_code == 422, chinese.text
        assert chinese.headers["content-language"] == "zh-Hans"
        assert chinese.json()["code"] == english.json()["code"]
        assert (
            re.search(r"[\u4e00-\u9fff]", chinese.json()["detail"])
            and chinese.json()["detail"] != english.json()["detail"]
        )
    assert await stored_poster(org["event"].id) == {} and held.queued == [] and sources_of(settings) == []


# --- the event loop stays free -------------------------------------------------------------------------


async def test_other_requests_are_answered_while_a_big_upload_is_decoded(
    client: Client, org: dict[str, Any], held: HeldJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decode is held until another request has come back. Were it on the event loop, that
    request could not be served: the hold would give up (and the upload fail) instead."""
    entered, release = threading.Event(), threading.Event()
    decode = images._decode

    def held_decode(*args: Any) -> Any:
        entered.set()
        if not release.wait(timeout=30):
            raise RuntimeError("the decode was never released: another request could not be served")
        return decode(*args)

    monkeypatch.setattr(images, "_decode", held_decode)
    uploading = asyncio.create_task(upload(client, org["event"].id, phone_photo(), org["auth"]))
    assert await anyio.to_thread.run_sync(entered.wait, 30)
    other = await client.get(f"/api/v1/events/{org['event'].id}")
    assert other.status_code == 200 and other.json()["poster_urls"] == {}
    assert not uploading.done()
    release.set()
    response = await uploading
    assert response.status_code == 200 and set(response.json()["poster_urls"]) == FIRST
