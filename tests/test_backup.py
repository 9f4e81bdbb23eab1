"""The restore drill, on both databases, as an operator runs it: a database with the demo's data
and media files, ``linli backup``, ``linli restore`` into an empty database and empty media roots,
then every table's rows and every file compared. And what a restore refuses: a database that is
not empty (unless ``--force``), a backup from a newer Linli, a damaged backup.

The commands run in processes of their own, with the settings from the environment, exactly as
``linli`` runs on a server (``backend/core/backup.py`` says why each refusal is there).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import REPO
from tests.servers import PostgresServer


@dataclass
class Place:
    """One database and its media roots, as one deployment's settings name them."""

    url: str
    media: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "LINLI_ENV": "test",
            "LINLI_DATABASE_URL": self.url,
            "LINLI_MEDIA_ROOT": str(self.media),
            "LINLI_PRIVATE_MEDIA_ROOT": "",
        }

    @property
    def private(self) -> Path:
        return self.media.parent / "private"


def linli(place: Place, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], cwd=REPO, env=place.env, capture_output=True, text=True
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def new_place(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Place:
    name = f"drill_{uuid.uuid4().hex[:10]}"
    if backend == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")

        async def create() -> None:
            connection = await asyncpg.connect(server.admin_url())
            try:
                await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()

        asyncio.run(create())
        url = server.admin_url(name)
    else:
        url = f"sqlite:///{tmp_path / name}.sqlite"
    media = tmp_path / name / "media"
    return Place(url=url, media=media)


def rows(place: Place) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, as comparable tuples."""
    if place.url.startswith("postgresql"):

        async def read() -> dict[str, list[tuple[Any, ...]]]:
            connection = await asyncpg.connect(place.url)
            try:
                tables = await connection.fetch(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
                found = {}
                for table in tables:
                    name = table["table_name"]
                    found[name] = sorted(
                        tuple(repr(v) for v in row.values())
                        for row in await connection.fetch(f'SELECT * FROM "{name}"')
                    )
                return found
            finally:
                await connection.close()

        return asyncio.run(read())
    connection = sqlite3.connect(place.url.removeprefix("sqlite:///"))
    try:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            name: sorted(tuple(repr(v) for v in row) for row in connection.execute(f'SELECT * FROM "{name}"'))
            for name in names
        }
    finally:
        connection.close()


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def source(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Place]:
    """A database with the demo's data, a public poster and a private file."""
    place = new_place(backend, tmp_path, request)
    ok(linli(place, "migrate"))
    ok(linli(place, "seed-demo"))
    (place.media / "posters" / "2026").mkdir(parents=True)
    (place.media / "posters" / "2026" / "南园书会.webp").write_bytes(b"RIFF\x00poster" * 100)
    place.private.mkdir(parents=True)
    (place.private / "incident-17.jpg").write_bytes(bytes(range(256)) * 40)
    yield place


def test_restore_drill_brings_back_every_row_and_file(
    source: Place, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    before = rows(source)
    assert sum(len(r) for r in before.values()) > 100, "the demo filled the database"
    assert len(before["migration"]) > 10

    said = ok(linli(source, "backup", str(tmp_path / "backup")))
    assert "2 media files" in said
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"] == ("postgresql" if backend == "postgres" else "sqlite")
    assert len(manifest["migrations"]) == len(before["migration"])
    assert {(f["root"], f["path"]) for f in manifest["media"]} == {
        ("media", "posters/2026/南园书会.webp"),
        ("private", "incident-17.jpg"),
    }

    target = new_place(backend, tmp_path, request)
    said = ok(linli(target, "restore", str(tmp_path / "backup")))
    assert "run `linli migrate`" not in said  # the backup is as new as the code

    assert rows(target) == before
    assert files(target.media) == files(source.media)
    assert files(target.private) == files(source.private)
    # The restored database is one the app takes as it is: nothing left to migrate.
    assert "already up to date" in ok(linli(target, "migrate"))


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    source: Place, tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    ok(linli(source, "backup", str(tmp_path / "backup")))
    before = rows(source)
    target = new_place(backend, tmp_path, request)
    ok(linli(target, "migrate"))
    ok(linli(target, "create-admin", "--username", "stray", "--password", "stray-password-123"))

    refused = linli(target, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1
    assert "the database already holds" in refused.stderr and "--force" in refused.stderr
    assert any("'stray'" in value for row in rows(target)["account_user"] for value in row)

    ok(linli(target, "restore", "--force", str(tmp_path / "backup")))
    assert rows(target) == before  # the stray account is gone, the backup's rows are all there


def test_restore_refuses_a_backup_from_a_newer_linli_or_a_damaged_one(
    source: Place, tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    backup = tmp_path / "backup"
    ok(linli(source, "backup", str(backup)))
    target = new_place(backend, tmp_path, request)
    manifest_path = backup / "manifest.json"
    original = manifest_path.read_text()

    newer = json.loads(original)
    newer["migrations"].append({"app": "events", "id": "2099-01-01T00:00:00:000000"})
    manifest_path.write_text(json.dumps(newer))
    refused = linli(target, "restore", str(backup))
    assert refused.returncode == 1
    assert "newer Linli" in refused.stderr and "events 2099-01-01T00:00:00:000000" in refused.stderr

    manifest_path.write_text(original)
    (backup / "private" / "incident-17.jpg").write_bytes(b"not the photo")
    refused = linli(target, "restore", str(backup))
    assert refused.returncode == 1
    assert "damaged" in refused.stderr and "incident-17.jpg" in refused.stderr

    # Nothing was touched by either refusal: the target is still empty.
    assert not any(rows(target).values())
    assert not target.media.exists() and not target.private.exists()
