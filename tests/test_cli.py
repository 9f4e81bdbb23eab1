"""The `linli` command, run as an operator runs it: in its own process, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.servers import PostgresServer


def linli(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "LINLI_DATABASE_URL": database_url, "LINLI_ENV": "test", **env}
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], cwd=REPO, env=environ, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of its own, so these tests see exactly what the commands did."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"cli_{uuid.uuid4().hex[:10]}"
    subprocess.run(
        [str(server.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "linli", name],
        check=True,
        capture_output=True,
    )
    return server.admin_url(name)


def query(database_url: str, sql: str) -> list[tuple]:
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchall()
    import asyncio

    import asyncpg

    async def run() -> list[tuple]:
        connection = await asyncpg.connect(database_url)
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(run())


def test_migrate_then_seed_twice_then_create_admin(fresh_database: str) -> None:
    migrated = linli("migrate", database_url=fresh_database)
    assert migrated.returncode == 0, migrated.stderr
    again = linli("migrate", database_url=fresh_database)
    assert again.returncode == 0, again.stderr  # nothing left to do is not an error
    # What it says is true: the first run applied migrations, the second found nothing to do.
    assert "applied now" in migrated.stdout and "already complete" not in migrated.stdout
    assert "already up to date" in again.stdout and "applied now" not in again.stdout

    first = linli("seed-demo", database_url=fresh_database)
    assert first.returncode == 0, first.stderr
    assert "demo-admin" in first.stdout
    counting = (
        "SELECT (SELECT COUNT(*) FROM account_organisation), (SELECT COUNT(*) FROM account_user), "
        "(SELECT COUNT(*) FROM event_venue), (SELECT COUNT(*) FROM event_event), "
        "(SELECT COUNT(*) FROM event_event WHERE status = 'published'), (SELECT COUNT(*) FROM library_branch), "
        "(SELECT COUNT(*) FROM event_event WHERE status = 'completed')"
    )
    counts = query(fresh_database, counting)
    organisations, users, venues, events, published, branches, completed = counts[0]
    # Everything ahead is published; 南园's three past neighbourhood evenings are held (completed).
    assert venues > 5 and events >= 30 and published + completed == events and completed == 3
    assert branches == 12
    assert linli("seed-demo", database_url=fresh_database).returncode == 0
    assert query(fresh_database, counting) == counts

    admin = linli("create-admin", "--username", "ops", "--password", "an admin password", database_url=fresh_database)
    assert admin.returncode == 0, admin.stderr
    rows = query(
        fresh_database,
        'SELECT m.role, o.kind FROM account_membership m JOIN account_user u ON u.id = m."user" '
        "JOIN account_organisation o ON o.id = m.organisation WHERE u.username = 'ops'",
    )
    assert rows == [("admin", "city")]

    chores = linli("housekeeping", database_url=fresh_database)
    assert chores.returncode == 0, chores.stderr
    assert {line.split(":")[0] for line in chores.stdout.splitlines()} == {
        "audit_retention",
        "outbox_retention",
        "session_retention",
        "event_no_shows",
        "poster_renditions",
        "forgotten_check_outs",
        "shift_no_shows",
        "expired_points",
        "announce_surveys",
    }


def test_create_admin_refuses_a_short_password(fresh_database: str) -> None:
    assert linli("migrate", database_url=fresh_database).returncode == 0
    result = linli("create-admin", "--username", "ops", "--password", "short", database_url=fresh_database)
    assert result.returncode != 0
    assert "password_too_short" in result.stderr


def test_the_schema_comes_only_from_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    result = linli("seed-demo", database_url=url)
    assert result.returncode != 0  # no tables until `linli migrate` made them
    assert "no such table" in result.stderr


def test_production_refuses_development_secrets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.sqlite'}"
    for command in (["serve"], ["migrate"], ["seed-demo"]):
        result = linli(*command, database_url=url, LINLI_ENV="production")
        assert result.returncode != 0
        assert "refusing to start in production" in result.stderr


def test_seed_demo_refuses_production(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prod.sqlite'}"
    result = linli(
        "seed-demo",
        database_url=url,
        LINLI_ENV="production",
        LINLI_SECRET_KEY="x" * 40,
        LINLI_WECHAT_APPID="wx1",
        LINLI_WECHAT_SECRET="s",
        LINLI_DATA_KEYS="k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    )
    assert result.returncode != 0
    assert "demo data" in result.stderr


def test_settings_lists_every_variable(tmp_path: Path) -> None:
    result = linli("settings", database_url=f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert result.returncode == 0
    assert "LINLI_WECHAT_API_BASE" in result.stdout


def test_serve_answers_on_its_port(tmp_path: Path) -> None:
    import time

    import httpx

    from tests.servers import free_port

    url = f"sqlite:///{tmp_path / 'served.sqlite'}"
    assert linli("migrate", database_url=url).returncode == 0
    port = free_port()
    environ = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_ENV": "test", "LINLI_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "linli serve did not come up"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        schema = httpx.get(f"http://127.0.0.1:{port}/schema/openapi.json", timeout=10)
        assert "/api/v1/auth/wechat" in schema.json()["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/schema", timeout=10).status_code == 200
        # No proxy is trusted by default: a client writing X-Forwarded-For itself is still one
        # client to the login limit (10 a minute on each of the two processes).
        statuses = [
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/auth/login",
                json={"username": "nobody", "password": "wrong password"},
                headers={"X-Forwarded-For": f"198.51.100.{attempt}"},
                timeout=10,
            ).status_code
            for attempt in range(25)
        ]
        assert 429 in statuses and set(statuses) <= {401, 429}, statuses
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_the_development_secret_off_loopback(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "LINLI_SECRET_KEY"}
    environ.update({"LINLI_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "LINLI_ENV": "development"})
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--host", "0.0.0.0", "--port", "9"],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "development secret" in result.stderr and "LINLI_SECRET_KEY" in result.stderr


def test_rotate_keys_moves_every_sealed_value_under_the_new_key(fresh_database: str) -> None:
    """An operator's rotation: add a new data key in front, run rotate-keys, drop the old key.
    Values sealed under the old key, and before data keys existed (v1), all read afterwards; so
    does every value after the signing key changes too."""
    from backend.core import crypto
    from backend.core.crypto import DataKeys
    from tests.core.test_crypto import legacy_seal

    old, new = crypto.new_data_key(), crypto.new_data_key()
    signing = "the-first-signing-key-0123456789abcdef"
    assert linli("migrate", database_url=fresh_database).returncode == 0
    seeded = linli("seed-demo", database_url=fresh_database, LINLI_DATA_KEYS=f"k1:{old}", LINLI_SECRET_KEY=signing)
    assert seeded.returncode == 0, seeded.stderr
    # One profile (陈建国's) from before data keys: sealed under the signing key itself.
    legacy = legacy_seal("王小明", signing, "volunteer.real_name")
    query(
        fresh_database,
        f"UPDATE volunteer_profile SET real_name_sealed = '{legacy}' WHERE \"user\" IN (SELECT id FROM account_user WHERE openid LIKE '%demo-volunteer-3')",
    )

    rotated = linli(
        "rotate-keys", database_url=fresh_database, LINLI_DATA_KEYS=f"k2:{new},k1:{old}", LINLI_SECRET_KEY=signing
    )
    assert rotated.returncode == 0, rotated.stderr
    assert "volunteers:" in rotated.stdout and "'k2'" in rotated.stdout

    after = DataKeys.parse(f"k2:{new}", secret_key="a-new-signing-key-once-the-data-is-safe-0123")
    names = [
        row[0]
        for row in query(
            fresh_database, "SELECT real_name_sealed FROM volunteer_profile WHERE real_name_sealed IS NOT NULL"
        )
    ]
    numbers = [
        row[0]
        for row in query(
            fresh_database, "SELECT id_number_sealed FROM volunteer_profile WHERE id_number_sealed IS NOT NULL"
        )
    ]
    assert names and all(value.startswith("v2.k2.") for value in names + numbers)
    readable = {crypto.unseal(value, keys=after, purpose="volunteer.real_name") for value in names}
    assert readable == {"李华明", "王芳", "王小明"}
    again = linli("rotate-keys", database_url=fresh_database, LINLI_DATA_KEYS=f"k2:{new}", LINLI_SECRET_KEY=signing)
    assert "volunteers: 0 values" in again.stdout  # nothing left under an old key
