"""Incidents leave the volunteers Piccolo app for their own without losing a row; their photos
leave the public media store for the private one.

A database is made as it was before the move (every app's migrations, the volunteers app's only up
to its last migration from then, none of the incidents app's), reports, routings and their history
are written into it with plain SQL, and then ``linli migrate`` runs in its own process, as an
operator runs it: every row is still there, and the API reads them. On both databases.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from backend.accounts import sessions
from backend.accounts.tables import SessionKind
from backend.core.context import Kind
from backend.settings import Settings
from tests.conftest import REPO, SECRET, build_app, migrate, serve_in_process
from tests.servers import PostgresServer

LAST_BEFORE_THE_MOVE = "2026-11-26T23:26:00:000000"  # the volunteers app's last migration holding incidents

# The database as it was: run in its own process, where piccolo_conf finds this database.
MIGRATE_AS_BEFORE = f"""
import asyncio

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards


async def main() -> None:
    for app in BaseMigrationManager().get_sorted_app_names():
        if app == "incidents":
            continue
        target = {LAST_BEFORE_THE_MOVE!r} if app == "volunteers" else "all"
        result = await run_forwards(app_name=app, migration_id=target)
        assert result.success, result.message


asyncio.run(main())
"""

COMMUNITY, POLICE, REPORTER, COORDINATOR = (uuid.uuid4() for _ in range(4))
REPORTED, FORWARDED = uuid.uuid4(), uuid.uuid4()
NOISE_RULE, RENTING_RULE = uuid.uuid4(), uuid.uuid4()
CHANGES = [
    (uuid.uuid4(), REPORTED, "reported", REPORTER, "reporter", "2026-11-20T08:00:00+00:00"),
    (uuid.uuid4(), FORWARDED, "reported", REPORTER, "reporter", "2026-11-21T08:00:00+00:00"),
    (uuid.uuid4(), FORWARDED, "acknowledged", COORDINATOR, "coordinator", "2026-11-21T09:00:00+00:00"),
    (uuid.uuid4(), FORWARDED, "forwarded", COORDINATOR, "coordinator", "2026-11-21T10:00:00+00:00"),
]
WRITES = [
    "INSERT INTO account_organisation (id, kind, name, path, created_at) VALUES "
    f"""('{COMMUNITY}', 'community', '{{"zh-Hans": "南园社区", "en": "Nanyuan"}}', '/{COMMUNITY}/', """
    "'2026-11-01T00:00:00+00:00'), "
    f"""('{POLICE}', 'police', '{{"zh-Hans": "南园派出所", "en": "Nanyuan police station"}}', """
    f"'/{COMMUNITY}/{POLICE}/', '2026-11-01T00:00:00+00:00')",
    "INSERT INTO account_user (id, is_staff, display_name, created_at) VALUES "
    f"('{REPORTER}', false, '小王', '2026-11-01T00:00:00+00:00'), "
    f"('{COORDINATOR}', true, '李老师', '2026-11-01T00:00:00+00:00')",
    'INSERT INTO account_membership (id, "user", organisation, role, created_at) VALUES '
    f"('{uuid.uuid4()}', '{COORDINATOR}', '{COMMUNITY}', 'coordinator', '2026-11-01T00:00:00+00:00')",
    "INSERT INTO volunteer_incident_routing (id, community, kind, party, organisation) VALUES "
    f"('{NOISE_RULE}', '{COMMUNITY}', 'noise', 'police', '{POLICE}'), "
    f"('{RENTING_RULE}', '{COMMUNITY}', 'group_renting', 'property_company', NULL)",
    "INSERT INTO volunteer_incident (id, reporter, community, kind, text, moderation, photo, latitude, longitude, "
    "party, party_organisation, status, created_at, updated_at) VALUES "
    f"('{REPORTED}', '{REPORTER}', '{COMMUNITY}', 'other', '3号楼东侧绿地堆放建材', 'clear', '{{}}', 31.2946, "
    f"120.6285, 'residents_committee', '{COMMUNITY}', 'reported', '2026-11-20T08:00:00+00:00', "
    "'2026-11-20T08:00:00+00:00'), "
    f"('{FORWARDED}', '{REPORTER}', '{COMMUNITY}', 'noise', '夜里两点还在装修', 'clear', '{{}}', NULL, NULL, "
    f"'police', '{POLICE}', 'forwarded', '2026-11-21T08:00:00+00:00', '2026-11-21T10:00:00+00:00')",
    "INSERT INTO volunteer_incident_change (id, incident, status, actor, actor_role, note, party, created_at) VALUES "
    + ", ".join(
        f"('{change}', '{incident}', '{status}', '{actor}', '{role}', '', 'police', '{at}')"
        for change, incident, status, actor, role, at in CHANGES
    ),
]
TABLES = ("volunteer_incident_routing", "volunteer_incident", "volunteer_incident_change")


@pytest.fixture
def database_before_the_move(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of its own, migrated as it was before incidents had their own app."""
    return _database(backend, request, tmp_path, MIGRATE_AS_BEFORE)


async def sql(database_url: str, *statements: str) -> list[list[tuple[Any, ...]]]:
    """Each statement's rows, run in one connection outside the app (and outside Piccolo)."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            return [connection.execute(statement).fetchall() for statement in statements]
    connection = await asyncpg.connect(database_url)
    try:
        return [[tuple(row) for row in await connection.fetch(statement)] for statement in statements]
    finally:
        await connection.close()


def _everything() -> list[str]:
    """Every row of the three tables, every column, in a stable order."""
    return [f"SELECT * FROM {table} ORDER BY CAST(id AS TEXT)" for table in TABLES]


async def test_incidents_keep_every_row_when_they_move_to_their_own_app(
    database_before_the_move: str, settings: Settings
) -> None:
    url = database_before_the_move
    assert await sql(url, "SELECT COUNT(*) FROM migration WHERE app_name = 'incidents'") == [[(0,)]]
    await sql(url, *WRITES)
    before = await sql(url, *_everything())
    assert [len(rows) for rows in before] == [2, 2, 4]

    migrate(url)  # linli migrate, in its own process

    # Every row keeps every column it had; the columns added since (reports by place) come last,
    # with their defaults: a rule names its organisation, a report has no estate or grid yet.
    after = await sql(url, *_everything())
    assert [[row[: len(rows[0])] for row in now] for rows, now in zip(before, after, strict=True)] == before
    added = [[row[len(rows[0]) :] for row in now] for rows, now in zip(before, after, strict=True)]
    assert added[0] == [("named",)] * 2 and added[1] == [(None, None, "routing")] * 2 and added[2] == [()] * 4
    moved = "SELECT app_name, name FROM migration WHERE name LIKE '2026-12-05T16:00%' ORDER BY name"
    assert await sql(url, moved) == [
        [("volunteers", "2026-12-05T16:00:00:000000"), ("incidents", "2026-12-05T16:00:01:000000")]
    ]
    async with serve_in_process(build_app(settings, None, database_url=url)) as client:
        await _the_api_reads_them(client)


async def _headers(user_id: uuid.UUID, kind: Kind) -> dict[str, str]:
    """A real session for a person of the old rows, opened in the served app's database."""
    staff = kind == "staff"
    opened = await sessions.open_session(
        user_id=user_id,
        staff=staff,
        kind=SessionKind.password if staff else SessionKind.developer,
        address="127.0.0.1",
        secret_key=SECRET,
        ttl_seconds=600,
    )
    return {"Authorization": f"Bearer {opened.token.token}", "Accept-Language": "en"}


async def _the_api_reads_them(client: httpx.AsyncClient) -> None:
    reporter, coordinator = await _headers(REPORTER, "resident"), await _headers(COORDINATOR, "staff")

    mine = (await client.get("/api/v1/incidents", headers=reporter)).json()
    assert [item["id"] for item in mine["items"]] == [str(FORWARDED), str(REPORTED)]
    assert mine["items"][0]["party_organisation"] == {"id": str(POLICE), "name": "Nanyuan police station"}

    forwarded = (await client.get(f"/api/v1/incidents/{FORWARDED}", headers=coordinator)).json()
    # Coordinators see the reporter masked (need to know), staff by name.
    assert (forwarded["text"], forwarded["status"], forwarded["reporter_name"]) == (
        "夜里两点还在装修",
        "forwarded",
        "小*",
    )
    assert [(step["status"], step["actor_name"]) for step in forwarded["history"]] == [
        ("reported", "小*"),
        ("acknowledged", "李老师"),
        ("forwarded", "李老师"),
    ]

    routing = (await client.get(f"/api/v1/communities/{COMMUNITY}/incident-routing", headers=coordinator)).json()
    routed = {rule["kind"]: (rule["party"], rule["is_default"]) for rule in routing}
    assert routed["noise"] == ("police", False)
    assert routed["group_renting"] == ("property_company", False)
    assert routed["other"] == ("residents_committee", True)


# --- photos move to the private store -------------------------------------------------------------

BEFORE_PRIVATE_PHOTOS = """
import asyncio

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards


async def main() -> None:
    for app in BaseMigrationManager().get_sorted_app_names():
        target = "2026-12-05T16:00:01:000000" if app == "incidents" else "all"
        result = await run_forwards(app_name=app, migration_id=target)
        assert result.success, result.message


asyncio.run(main())
"""


def _database(backend: str, request: pytest.FixtureRequest, tmp_path: Path, script: str) -> str:
    """An empty database of its own, migrated by ``script`` (run where piccolo_conf finds it)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.sqlite'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        name = f"before_{uuid.uuid4().hex[:10]}"
        subprocess.run(
            [str(server.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "linli", name],
            check=True,
            capture_output=True,
        )
        url = server.admin_url(name)
    env = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_ENV": "test", "PICCOLO_CONF": "backend.piccolo_conf"}
    made = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return url


def migrate_with_media(url: str, media: Path) -> None:
    """``linli migrate`` in its own process, with the media root the files are in."""
    env = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_ENV": "test", "LINLI_MEDIA_ROOT": str(media)}
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "migrate"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_public_incident_photos_move_to_the_private_store(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = _database(backend, request, tmp_path, BEFORE_PRIVATE_PHOTOS)
    media = tmp_path / "media"
    (media / "incidents").mkdir(parents=True)
    shared = {"w240.jpg": "incidents/0123456789abcdef-w240.jpg", "w240.webp": "incidents/0123456789abcdef-w240.webp"}
    for path in shared.values():
        (media / path).write_bytes(b"picture " + path.encode())
    photo = json.dumps(shared).replace("'", "''")
    await sql(url, *WRITES[:2])
    await sql(
        url,
        "INSERT INTO volunteer_incident (id, reporter, community, kind, text, moderation, photo, party, status, "
        "created_at, updated_at) VALUES "
        + ", ".join(
            f"('{incident}', '{REPORTER}', '{COMMUNITY}', 'noise', '同一张照片', 'clear', '{photo}', "
            "'residents_committee', 'reported', '2026-11-20T08:00:00+00:00', '2026-11-20T08:00:00+00:00')"
            for incident in (REPORTED, FORWARDED)  # two reports of one picture share its files
        ),
    )

    migrate_with_media(url, media)

    rows = await sql(url, "SELECT photo FROM volunteer_incident ORDER BY CAST(id AS TEXT)")
    photos = [json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in rows[0]]
    assert [set(photo) for photo in photos] == [set(shared), set(shared)]
    assert set(photos[0].values()).isdisjoint(photos[1].values())  # each report a name of its own
    for photo in photos:
        for key, path in photo.items():
            assert path.startswith("incident-photos/") and "0123456789abcdef" not in path
            assert (tmp_path / "private" / path).read_bytes() == b"picture " + shared[key].encode()
    assert not any((media / path).exists() for path in shared.values())
