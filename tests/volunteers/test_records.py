"""The service record: a text PDF over verified hours, reissued only when they change and kept in
private storage, and its public check by number or code that shows nothing but the masked name and
the totals."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from redis.asyncio import Redis

from backend.accounts.tables import User
from backend.core.clock import city_today
from backend.core.crypto import DataKeys, seal
from backend.settings import Settings
from backend.volunteers.api import record_for_verification
from backend.volunteers.hours import records_pdf
from backend.volunteers.hours.records import ALPHABET, grouped_code, normalise_code
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus, ServiceRecord
from backend.volunteers.people.services import ID_NUMBER, REAL_NAME
from backend.volunteers.teams.tables import Team
from tests import factories
from tests.conftest import SECRET, build_app, serve_in_process
from tests.volunteers import builders

# Sealed as the test apps seal: no LINLI_DATA_KEYS, a data key derived from their secret.
SEALING = DataKeys.parse("", secret_key=SECRET)

Client = httpx.AsyncClient
REAL_NAME_TEXT = "张晓明"
ID_NUMBER_TEXT = "11010519491231002X"


async def entry(
    team: Team, user: User, minutes: int, *, status: HoursStatus = HoursStatus.verified, days_ago: int = 0
) -> HoursEntry:
    row = HoursEntry(
        user=user.id,
        team=team.id,
        kind=HoursKind.shift.value,
        minutes=minutes,
        service_date=city_today() - timedelta(days=days_ago),
        content="夜间巡逻",
        source_key=f"test:{uuid.uuid4()}",
        status=status.value,
        created_by=user.id,
        created_at=datetime.now(UTC),
    )
    await row.save()
    return row


async def with_identity(user: User) -> None:
    await builders.profile(
        user,
        real_name_sealed=seal(REAL_NAME_TEXT, keys=SEALING, purpose=REAL_NAME),
        real_name_masked="张*明",
        id_document="resident_id",
        id_number_sealed=seal(ID_NUMBER_TEXT, keys=SEALING, purpose=ID_NUMBER),
        id_number_masked="1101**********002X",
    )


def pdf_text(body: bytes) -> str:
    """The PDF's text without white space and NULs. fpdf2 embeds Noto Sans CJK (CFF outlines) as a
    CID font with its own code → CID map; pypdf reads those two-byte codes byte by byte and guesses
    spaces from widths, so its raw output reads "\x00V\x00o…" or "志 愿" where viewers show "Vo…", "志愿"."""
    reader = PdfReader(io.BytesIO(body))
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    patrol = await builders.team(tree["community_a"])
    library = await builders.team(tree["community_b"], name="莲花图书馆志愿队")
    volunteer = await factories.resident()
    for team in (patrol, library):
        await builders.member(team, volunteer)
    return {"tree": tree, "patrol": patrol, "library": library, "volunteer": volunteer}


async def download(client: Client, user: User, lang: str = "zh-Hans") -> httpx.Response:
    return await client.get(f"/api/v1/me/hours/record?lang={lang}", headers=factories.token_for(user))


async def test_the_record_states_the_verified_hours(client: Client, place: dict[str, Any]) -> None:
    volunteer = place["volunteer"]
    await with_identity(volunteer)
    await entry(place["patrol"], volunteer, 120, days_ago=30)
    await entry(place["patrol"], volunteer, 60, days_ago=2)
    await entry(place["library"], volunteer, 30, days_ago=10)
    await entry(place["patrol"], volunteer, 600, status=HoursStatus.pending)
    answer = await download(client, volunteer)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.content.startswith(b"%PDF")

    record = await ServiceRecord.objects().output(load_json=True).where(ServiceRecord.user == volunteer.id).first()
    assert re.fullmatch(rf"LL-{city_today().year}-[{ALPHABET}]{{8}}", record.record_number)
    assert re.fullmatch(rf"[{ALPHABET}]{{12}}", record.code)
    assert (record.total_minutes, record.entry_count, record.holder_masked) == (210, 3, "张*明")
    assert (record.period_start, record.period_end) == (
        city_today() - timedelta(days=30),
        city_today() - timedelta(days=2),
    )
    assert [(team["minutes"], team["shifts"]) for team in record.summary["teams"]] == [(180, 2), (30, 1)]

    text = pdf_text(answer.content)
    for needle in (
        REAL_NAME_TEXT,
        "3.5",
        record.record_number,
        grouped_code(record.code),
        "南园巡逻队",
        "莲花图书馆志愿队",
        "南园社区",
        "莲花社区",
        "1101**********002X",
    ):
        assert needle in text, needle
    assert ID_NUMBER_TEXT not in text
    assert record.record_number in answer.headers["content-disposition"]


async def test_the_same_hours_give_the_same_record(client: Client, place: dict[str, Any]) -> None:
    volunteer = place["volunteer"]
    await with_identity(volunteer)
    await entry(place["patrol"], volunteer, 90)
    first = await download(client, volunteer)
    again = await download(client, volunteer, "en")
    assert (first.status_code, again.status_code) == (200, 200)
    assert await ServiceRecord.count() == 1
    record = await ServiceRecord.objects().first()
    english = pdf_text(again.content)
    assert record.record_number in english and grouped_code(record.code) in english
    assert "Volunteerservicerecord" in english and "Residentidentitycard" in english and "NanyuanPatrol" in english

    await entry(place["library"], volunteer, 45)
    newer = await download(client, volunteer)
    assert newer.status_code == 200
    assert await ServiceRecord.count() == 2
    latest = await ServiceRecord.objects().where(ServiceRecord.id != record.id).first()
    assert latest.record_number != record.record_number and latest.total_minutes == 135
    assert latest.record_number in pdf_text(newer.content)


async def test_anyone_checks_a_record_by_its_code(client: Client, place: dict[str, Any]) -> None:
    volunteer = place["volunteer"]
    await with_identity(volunteer)
    await entry(place["patrol"], volunteer, 150, days_ago=3)
    assert (await download(client, volunteer)).status_code == 200
    record = await ServiceRecord.objects().first()
    spellings = [
        record.code,
        grouped_code(record.code),
        grouped_code(record.code).lower(),
        " ".join(grouped_code(record.code).split("-")),
    ]
    for spelling in spellings:
        answer = await client.get(f"/api/v1/hours/records/{spelling}?lang=en")
        assert answer.status_code == 200, (spelling, answer.text)
        body = answer.json()
        assert body == {
            "valid": True,
            "superseded": False,
            "record_number": record.record_number,
            "holder": "张*明",
            "total_hours": 2.5,
            "period_start": (city_today() - timedelta(days=3)).isoformat(),
            "period_end": (city_today() - timedelta(days=3)).isoformat(),
            "issued_at": body["issued_at"],
            "issuer": "Linli community participation platform",
            "teams": ["Nanyuan Patrol"],
        }
        assert REAL_NAME_TEXT not in answer.text and "002X" not in answer.text
    unknown = await client.get("/api/v1/hours/records/ABCD-EFGH-JKMN")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "record_not_found")
    nonsense = await client.get(f"/api/v1/hours/records/{'A' * 80}")
    assert nonsense.status_code == 404


async def test_no_record_without_verified_hours_or_a_real_name(client: Client, place: dict[str, Any]) -> None:
    volunteer = place["volunteer"]
    await entry(place["patrol"], volunteer, 120, status=HoursStatus.pending)
    nothing = await download(client, volunteer)
    assert (nothing.status_code, nothing.json()["code"]) == (409, "no_verified_hours")
    await entry(place["patrol"], volunteer, 120)
    nameless = await download(client, volunteer)
    assert (nameless.status_code, nameless.json()["code"]) == (409, "real_name_required")
    assert await ServiceRecord.count() == 0
    assert (await client.get("/api/v1/me/hours/record")).status_code == 401


async def test_checking_codes_is_rate_limited_per_address(
    client: Client, settings: Settings, shared_redis: Redis | None
) -> None:
    async with serve_in_process(build_app(settings, shared_redis, record_check_rate_limit=2)) as limited:
        answers = [(await limited.get(f"/api/v1/hours/records/ABCD-EFGH-JKM{i}")).status_code for i in range(3)]
    assert answers == [404, 404, 429]


def test_codes_are_read_as_people_type_them() -> None:
    assert normalise_code(" abcd-efgh jkmn ") == "ABCDEFGHJKMN"
    assert grouped_code("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"
    assert not set("01ILO") & set(ALPHABET)


async def test_the_record_number_checks_the_record_too(client: Client, place: dict[str, Any]) -> None:
    volunteer = place["volunteer"]
    await with_identity(volunteer)
    await entry(place["patrol"], volunteer, 150, days_ago=3)
    first = await download(client, volunteer, "en")
    record = await ServiceRecord.objects().first()
    number = record.record_number
    for spelling in (number, number.lower(), number.replace("-", " "), number.replace("-", "")):
        answer = await client.get(f"/api/v1/hours/records/{spelling}?lang=en")
        assert answer.status_code == 200, (spelling, answer.text)
        assert (answer.json()["record_number"], answer.json()["holder"]) == (number, "张*明")
    unknown = await client.get(f"/api/v1/hours/records/LL-{city_today().year}-ABCDEFGH")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "record_not_found")

    # The sheet labels both, says either one checks it, and its QR code opens the verification page.
    text = pdf_text(first.content)
    assert "Recordnumber" in text and "Verificationcode" in text
    assert "Therecordnumberortheverificationcodechecksthisrecord" in text
    assert f"/verify/{record.code}" in text

    # New hours: a new record; the first one still checks, and says a newer one exists.
    await entry(place["library"], volunteer, 60)
    assert (await download(client, volunteer)).status_code == 200
    older = (await client.get(f"/api/v1/hours/records/{number}")).json()
    assert (older["valid"], older["superseded"], older["total_hours"]) == (True, True, 2.5)

    shown = await record_for_verification(grouped_code(record.code).lower())
    assert shown is not None and shown.record_number == number and shown.superseded
    assert (shown.holder_masked, shown.total_minutes, shown.entry_count) == ("张*明", 150, 1)
    assert [(team.name["zh-Hans"], team.community["zh-Hans"], team.minutes) for team in shown.teams] == [
        ("南园巡逻队", "南园社区", 150)
    ]
    assert await record_for_verification("no such thing") is None


async def test_an_unchanged_record_is_served_from_private_storage(
    client: Client, place: dict[str, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    volunteer = place["volunteer"]
    await with_identity(volunteer)
    await entry(place["patrol"], volunteer, 90)
    first = await download(client, volunteer)
    assert first.status_code == 200
    folder = settings.media_root.parent / "private" / "service-records" / str(volunteer.id)
    [stored] = list(folder.glob("*.pdf"))
    assert stored.read_bytes() == first.content
    assert not list(settings.media_root.rglob(f"*{volunteer.id}*"))  # nothing under the public root

    drawn: list[Any] = []
    draw = records_pdf.render_record_pdf

    def counted(*args: Any) -> bytes:
        drawn.append(args)
        return draw(*args)

    monkeypatch.setattr(records_pdf, "render_record_pdf", counted)
    again = await download(client, volunteer)
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["cache-control"] == "private, no-store"
    assert drawn == []  # an unchanged record is read from storage, not drawn again
    assert await ServiceRecord.count() == 1

    # A newly verified entry changes what the record shows: a new record, drawn once.
    await entry(place["patrol"], volunteer, 30)
    changed = await download(client, volunteer)
    assert changed.status_code == 200 and changed.content != first.content
    assert len(drawn) == 1
    assert await ServiceRecord.count() == 2
    assert (await download(client, volunteer)).content == changed.content
    assert len(drawn) == 1
    assert [path.read_bytes() for path in folder.glob("*.pdf")] == [changed.content]  # only the latest kept
    monkeypatch.undo()

    # Another language is drawn once and kept beside it; erasing the identity removes them all.
    assert (await download(client, volunteer, "ja")).status_code == 200
    assert len(list(folder.glob("*.pdf"))) == 2
    erased = await client.delete("/api/v1/volunteers/me/identity", headers=factories.token_for(volunteer))
    assert erased.status_code == 200
    assert not folder.exists()
